-- t_ws_server: websocket echo servers on http.websocket for the tests and the
-- websocket benchmark. `skynet.call(addr, "lua", "start", opts)` -> port of a
-- listener where websocket.accept reads the handshake itself, and port of one
-- where http.httpd reads the request first and hands it over
-- (options.upgrade). opts.protocol "wss" serves TLS. Messages: anything is
-- echoed with its type, except "close-me" (closed with 4000 "bye"),
-- "ping-me" (the server pings), "pongs?" (pongs seen), "info" (addrinfo and
-- real_ip).
local skynet = require "skynet"
local socket = require "skynet.socket"
local websocket = require "http.websocket"
local httpd = require "http.httpd"
local sockethelper = require "http.sockethelper"

local protocol = "ws"
local pongs = 0
local quiet = false

local handle = {}

function handle.message(id, msg, op)
	if msg == "close-me" then
		websocket.close(id, 4000, "bye")
	elseif msg == "ping-me" then
		websocket.ping(id)
	elseif msg == "pongs?" then
		websocket.write(id, tostring(pongs))
	elseif msg == "info" then
		websocket.write(id, string.format("%s|%s", websocket.addrinfo(id), tostring(websocket.real_ip(id))))
	else
		websocket.write(id, msg, op)
	end
end

function handle.pong()
	pongs = pongs + 1
end

local function accepted(ok, err)
	if not ok and not quiet then
		skynet.error("websocket ended: " .. tostring(err))
	end
end

local function listen(on_accept)
	local lid, _, port = socket.listen("127.0.0.1", 0)
	socket.start(lid, function(id, addr)
		skynet.fork(on_accept, id, addr)
	end)
	return port
end

local CMD = {}

function CMD.start(opts)
	opts = opts or {}
	protocol = opts.protocol or "ws"
	quiet = opts.quiet
	local direct = listen(function(id, addr)
		accepted(websocket.accept(id, handle, protocol, addr))
	end)
	local upgraded = listen(function(id, addr)
		socket.start(id)
		local read = sockethelper.readfunc(id)
		local code, url, method, header = httpd.read_request(read, 8192)
		if code ~= 200 then
			if code then
				httpd.write_response(sockethelper.writefunc(id), code)
			end
			socket.close(id)
			return
		end
		accepted(websocket.accept(id, handle, "ws", addr,
			{ upgrade = { header = header, method = method, url = url } }))
	end)
	skynet.error(string.format("websocket server ready port %d %d", direct, upgraded))
	return direct, upgraded
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		skynet.retpack(CMD[cmd](...))
	end)
end)
