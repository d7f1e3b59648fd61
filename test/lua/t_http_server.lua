-- t_http_server: an HTTP server on http.httpd for the tests and the http
-- benchmark. `skynet.call(addr, "lua", "start", opts)` listens on
-- 127.0.0.1:opts.port (0: any) and returns the port. Each connection is served
-- by its own coroutine in a keep-alive loop; a request not complete within
-- opts.idle centiseconds (default 200) closes the connection, so a slow
-- client holds only its own connection. opts.tls = true serves HTTPS
-- (certfile/keyfile from the config). Routes:
--   /echo     the body back; x-method, x-path, x-query, x-body-length headers
--   /chunked  a chunked body of 3 pieces
--   /hello    "hello"
--   other     404
local skynet = require "skynet"
local socket = require "skynet.socket"
local httpd = require "http.httpd"
local sockethelper = require "http.sockethelper"
local urllib = require "http.url"

local BODY_LIMIT = 64 * 1024
local opts = {}
local served = 0

local function route(method, url, header, body)
	local path, query = urllib.parse(url)
	if path == "/hello" then
		return 200, "hello"
	elseif path == "/echo" then
		return 200, body, {
			["x-method"] = method, ["x-path"] = path, ["x-query"] = query,
			["x-body-length"] = tostring(#body),
			["x-content-type"] = tostring(header["content-type"]),
		}
	elseif path == "/chunked" then
		local pieces = { "first,", "second,", "third" }
		local i = 0
		return 200, function()
			i = i + 1
			return pieces[i]
		end
	end
	return 404, "not found: " .. path
end

local function interface(id)
	if opts.tls then
		local tls = require "http.tlshelper"
		local ctx = opts.tls_ctx
		if not ctx then
			ctx = tls.newctx()
			ctx:set_cert(skynet.getenv "certfile", skynet.getenv "keyfile")
			opts.tls_ctx = ctx
		end
		local tls_ctx = tls.newtls("server", ctx)
		tls.init_responsefunc(id, tls_ctx)()
		return tls.readfunc(id, tls_ctx), tls.writefunc(id, tls_ctx), tls.closefunc(tls_ctx)
	end
	return sockethelper.readfunc(id), sockethelper.writefunc(id)
end

local function serve(id)
	socket.start(id)
	local idle = opts.idle or 200
	local pending = 0
	local handshaken = false
	skynet.timeout(idle, function()
		if not handshaken then
			socket.close_fd(id)   -- a TLS handshake that does not finish
		end
	end)
	local ok, read, write, close = pcall(interface, id)
	handshaken = true
	while ok do
		pending = pending + 1
		local mine = pending
		skynet.timeout(idle, function()
			if pending == mine then
				socket.close_fd(id)   -- too slow: the reader wakes with an error
			end
		end)
		local code, url, method, header, body = httpd.read_request(read, BODY_LIMIT)
		pending = pending + 1
		if not code then
			break   -- gone, or closed as too slow
		end
		if code ~= 200 then
			httpd.write_response(write, code, httpd.status_message[code], { connection = "close" })
			break
		end
		local status, rbody, rheader = route(method, url, header, body)
		local conn = header.connection
		local closing = type(conn) == "string" and conn:lower() == "close"
		if closing then
			rheader = rheader or {}
			rheader.connection = "close"
		end
		served = served + 1
		if not httpd.write_response(write, status, rbody, rheader) or closing then
			break
		end
	end
	if close then
		close()
	end
	socket.close(id)
end

local CMD = {}

function CMD.start(o)
	opts = o or {}
	local lid, _, port = socket.listen("127.0.0.1", opts.port or 0)
	socket.start(lid, function(id)
		skynet.fork(serve, id)
	end)
	skynet.error("http server ready port " .. port)
	return port
end

function CMD.served()
	return served
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		skynet.retpack(CMD[cmd](...))
	end)
end)
