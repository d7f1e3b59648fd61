-- http.httpc: an HTTP/1.1 client for Lua services (skynet's module).
--
--   httpc.request(method, host, url [, recvheader, header, content])
--       -> status, body       (recvheader, if given, receives the response
--                              header fields; content: a string, or a
--                              function returning pieces, sent chunked)
--   httpc.get(host, url [, recvheader, header])       -> status, body
--   httpc.post(host, url, form [, recvheader])        -> status, body
--   httpc.head(host, url [, recvheader, header])      -> status
--   httpc.request_stream(method, host, url [, recvheader, header, content])
--       -> stream: .status, .header, stream:padding() / stream() / `for`
--          for each piece of the body, stream:close()
--   httpc.keep_alive_request(method, host, url [, recvheader, header, content])
--       -> status, body, handle   (handle.fd: the connection, reused by the
--                                  next request to the same host while idle
--                                  less than httpc.keep_alive_time seconds)
--   httpc.dns([server, port])  resolve names with skynet.dns from now on
--   httpc.timeout              centiseconds for a whole request (nil: none)
--
-- host is "name[:port]", "http://name[:port]", "https://..." (TLS through
-- http.tlshelper) or "[v6addr]:port". Errors are raised: a connection that
-- fails or drops raises sockethelper.socket_error, a timeout "httpc timeout
-- (N cs): host", a malformed response a message saying what was wrong. Each
-- request but a keep_alive_request uses its own connection, closed when the
-- body has been read.
local skynet = require "skynet"
local socket = require "http.sockethelper"
local rawsocket = require "skynet.socket"
local internal = require "http.internal"

local sformat = string.format

local httpc = {}

local async_dns
function httpc.dns(server, port)
	async_dns = require "skynet.dns"
	async_dns.server(server, port)
end

local default_port = { http = 80, https = 443 }

-- host text -> protocol, hostname, port, kind ("ipv4"|"ipv6"|"hostname"), host header
local function parse_host(host)
	local protocol, rest = host:match("^(%a+)://(.*)$")
	protocol = protocol and protocol:lower() or "http"
	rest = rest or host
	local port = default_port[protocol]
	if not port then
		error("Invalid protocol: " .. protocol)
	end
	local name, p
	if rest:sub(1, 1) == "[" then
		name, p = rest:match("^%[([%x:.]+)%]:?(%d*)$")
		if not name then
			error("Invalid host: " .. host)
		end
		return protocol, name, tonumber(p) or port, "ipv6", rest
	end
	if select(2, rest:gsub(":", "")) > 1 then
		error(sformat("Invalid host: bare IPv6 address '%s', use '[%s]' instead", rest, rest))
	end
	name, p = rest:match("^([^:]+):?(%d*)$")
	if not name then
		error("Invalid host: " .. host)
	end
	local kind = name:match("^%d+%.%d+%.%d+%.%d+$") and "ipv4" or "hostname"
	return protocol, name, tonumber(p) or port, kind, rest
end

local SSLCTX_CLIENT
local function gen_interface(protocol, fd, hostname)
	if protocol == "http" then
		return {
			read = socket.readfunc(fd),
			write = socket.writefunc(fd),
			readall = function() return socket.readall(fd) end,
		}
	end
	local tls = require "http.tlshelper"
	SSLCTX_CLIENT = SSLCTX_CLIENT or tls.newctx()
	local tls_ctx = tls.newtls("client", SSLCTX_CLIENT, hostname)
	return {
		init = tls.init_requestfunc(fd, tls_ctx),
		close = tls.closefunc(tls_ctx),
		read = tls.readfunc(fd, tls_ctx),
		write = tls.writefunc(fd, tls_ctx),
		readall = tls.readallfunc(fd, tls_ctx),
	}
end

-- Each request on an interface gets its own timer; a timer left from an
-- earlier request of a kept-alive connection does nothing.
local function arm_timeout(interface, timeout)
	interface.finish = false
	local req = (interface.req or 0) + 1
	interface.req = req
	if timeout then
		skynet.timeout(timeout, function()
			if interface.req == req and not interface.finish then
				interface.timed_out = true
				rawsocket.close_fd(interface.fd)   -- wakes the reader with an error
			end
		end)
	end
end

local function connect(host, timeout)
	local protocol, hostname, port, kind, hostheader = parse_host(host)
	local addr = hostname
	if kind == "hostname" and async_dns then
		local ip, err = async_dns.resolve(hostname)
		if not ip then
			error(sformat("%s dns resolve failed msg:%s", hostname, err))
		end
		addr = ip
	end
	local fd = socket.connect(addr, port, timeout)
	local interface = gen_interface(protocol, fd, kind == "hostname" and hostname or nil)
	interface.fd = fd
	arm_timeout(interface, timeout)
	if interface.init then
		local ok, err = pcall(interface.init, kind == "hostname" and hostname or nil)
		if not ok then
			interface.finish = true
			socket.close(fd)
			error(err)
		end
	end
	return fd, interface, hostheader
end

local function close_interface(interface, fd)
	interface.finish = true
	if not interface.timed_out then
		socket.close(fd)
	end
	if interface.close then
		interface.close()
		interface.close = nil
	end
end

local function failure(interface, err, host)
	if interface.timed_out then
		return sformat("httpc timeout (%s cs): %s", tostring(httpc.timeout), host)
	end
	return err
end

function httpc.request(method, host, url, recvheader, header, content)
	local fd, interface, hosthdr = connect(host, httpc.timeout)
	local ok, code, body, rheader = pcall(internal.request, interface, method, hosthdr, url, recvheader, header, content)
	if ok then
		ok, body = pcall(internal.response, interface, code, body, rheader)
	end
	close_interface(interface, fd)
	if ok then
		return code, body
	end
	error(failure(interface, body or code, host))
end

function httpc.head(host, url, recvheader, header, content)
	local fd, interface, hosthdr = connect(host, httpc.timeout)
	local ok, code = pcall(internal.request, interface, "HEAD", hosthdr, url, recvheader, header, content)
	close_interface(interface, fd)
	if ok then
		return code
	end
	error(failure(interface, code, host))
end

function httpc.request_stream(method, host, url, recvheader, header, content)
	local fd, interface, hosthdr = connect(host, httpc.timeout)
	local ok, code, body, rheader = pcall(internal.request, interface, method, hosthdr, url, recvheader, header, content)
	if not ok then
		close_interface(interface, fd)
		error(failure(interface, code, host))
	end
	interface.finish = true    -- the timeout covers the request, not the stream
	local ok2, stream = pcall(internal.response_stream, interface, code, body, rheader)
	if not ok2 then
		close_interface(interface, fd)
		error(stream)
	end
	stream._onclose = function()
		close_interface(interface, fd)
	end
	return stream
end

----------------------------------------------------------------------------
-- Kept-alive connections: httpc.keep_alive_request reuses an idle connection
-- to the same host (as written by the caller) and keeps it for
-- httpc.keep_alive_time seconds after each request (default 30).

local idle = {}   -- host -> { handle, ... } (handle: { fd, host, expire, ... })

local function idle_sweep()
	local now = skynet.now()
	local left = false
	for key, list in pairs(idle) do
		for i = #list, 1, -1 do
			local h = list[i]
			if h.expire <= now then
				table.remove(list, i)
				close_interface(h.interface, h.fd)
			end
		end
		if #list == 0 then
			idle[key] = nil
		else
			left = true
		end
	end
	return left
end

local sweeping = false
local function schedule_sweep()
	if sweeping then
		return
	end
	sweeping = true
	local function tick()
		if idle_sweep() then
			skynet.timeout(100, tick)
		else
			sweeping = false
		end
	end
	skynet.timeout(100, tick)
end

local function take_idle(host)
	local list = idle[host]
	while list and #list > 0 do
		local h = table.remove(list)
		if not rawsocket.invalid(h.fd) and not rawsocket.disconnected(h.fd) then
			return h
		end
		close_interface(h.interface, h.fd)
	end
end

local function reusable(code, rheader)
	local conn = internal.single(rheader.connection)
	if conn and conn:lower() == "close" then
		return false
	end
	if internal.single(rheader["transfer-encoding"]) then
		return true
	end
	return rheader["content-length"] ~= nil or code == 204 or code == 304 or code < 200
end

function httpc.keep_alive_request(method, host, url, recvheader, header, content)
	local h = take_idle(host)
	local reused = h ~= nil
	if h then
		arm_timeout(h.interface, httpc.timeout)
	else
		local fd, interface, hosthdr = connect(host, httpc.timeout)
		h = { fd = fd, interface = interface, hosthdr = hosthdr }
	end
	local rheader = recvheader or {}
	local interface = h.interface
	local ok, code, body = pcall(internal.request, interface, method, h.hosthdr, url, rheader, header, content)
	if not ok and reused and not interface.timed_out then
		-- the server closed the idle connection as we reused it: once more, fresh
		close_interface(interface, h.fd)
		return httpc.keep_alive_request(method, host, url, recvheader, header, content)
	end
	if ok then
		ok, body = pcall(internal.response, interface, code, body, rheader)
	end
	interface.finish = true
	if ok and reusable(code, rheader) then
		h.expire = skynet.now() + math.floor((httpc.keep_alive_time or 30) * 100)
		local list = idle[host] or {}
		idle[host] = list
		list[#list + 1] = h
		schedule_sweep()
	else
		close_interface(interface, h.fd)
	end
	if ok then
		return code, body, h
	end
	error(failure(interface, body or code, host))
end

function httpc.get(host, url, recvheader, header, content)
	return httpc.request("GET", host, url, recvheader, header, content)
end

local function escape(s)
	return (tostring(s):gsub("([^A-Za-z0-9_])", function(c)
		return sformat("%%%02X", c:byte())
	end))
end

function httpc.post(host, url, form, recvheader)
	local header = { ["content-type"] = "application/x-www-form-urlencoded" }
	local body = {}
	for k, v in pairs(form) do
		body[#body + 1] = escape(k) .. "=" .. escape(v)
	end
	return httpc.request("POST", host, url, recvheader, header, table.concat(body, "&"))
end

return httpc
