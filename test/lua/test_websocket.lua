-- http.websocket: our server driven by Debian's python3-websockets and raw
-- sockets (test/net/ws_client.py: echo, fragments, pings, both close
-- handshakes, the size limit, protocol errors, fuzzed frames, 50 clients,
-- the httpd upgrade path with x-real-ip), our client against a Python
-- websockets server (test/net/ws_peer.py), and the frame parser fuzzed in
-- process.
-- timeout: 120
-- expect_error: websocket ended: websocket error
local skynet = require "skynet"
local T = require "testlib"
local peers = require "t_netpeer"
local websocket = require "http.websocket"
local sockethelper = require "http.sockethelper"

local direct, upgraded, peer, peer_port

local function drive(port, scenario, ...)
	local p = peers.spawn("ws_client.py", port, scenario, ...)
	local out = peers.wait(p, "[PF][AI][SI][SL]", 6000)
	peers.kill(p)
	if not out:find("^PASS") then
		error(scenario .. ": " .. out)
	end
end

for _, scenario in ipairs { "echo", "fragmented", "pings", "client_close", "server_close",
	"too_big", "protocol_errors", "fuzz", "many" } do
	T.case("server " .. scenario, function()
		drive(direct, scenario, 5)
	end)
end

T.case("server through an httpd upgrade", function()
	drive(upgraded, "upgrade")
end)

local function url(path)
	return string.format("ws://127.0.0.1:%d%s", peer_port, path or "/")
end

T.case("client echo, fragments, big messages", function()
	local id = websocket.connect(url("/chat?x=1"), { ["X-Custom"] = "mine" })
	T.eq(websocket.addrinfo(id), "127.0.0.1:" .. peer_port, "addrinfo")
	websocket.write(id, "hello")
	T.eq(websocket.read(id), "hello", "text echo")
	websocket.write(id, "\0\1\2", "binary")
	T.eq(websocket.read(id), "\0\1\2", "binary echo")
	local big = string.rep("b", 100000)
	websocket.write(id, big)
	T.eq(websocket.read(id), big, "100 KB echo")
	websocket.write(id, "frag")
	T.eq(websocket.read(id), "parts", "fragmented reply joined")
	websocket.write(id, "big")
	local s = websocket.read(id)
	T.eq(#s, 102400, "100 KB binary reply")
	websocket.write(id, "headers")
	T.eq(websocket.read(id), "mine|/chat?x=1", "request header and path")
	websocket.close(id, 1000, "done")
	T.ok(websocket.is_close(id), "closed")
end)

T.case("client answers pings while waiting", function()
	local id = websocket.connect(url())
	websocket.write(id, "slow")
	T.eq(websocket.read(id), "late", "reply after 1.5 s of server pings")
	websocket.ping(id)
	websocket.write(id, "after")
	T.eq(websocket.read(id), "after", "pong skipped by read")
	websocket.close(id)
end)

T.case("client sees the server's close", function()
	local id = websocket.connect(url())
	websocket.write(id, "close-me")
	local msg, reason = websocket.read(id)
	T.eq(msg, false, "read returns false")
	T.eq(reason, "server bye", "close reason")
	T.ok(websocket.is_close(id), "connection closed")
end)

T.case("client errors", function()
	T.raises("invalid protocol", websocket.connect, "http://127.0.0.1:1/")
	local ok, err = pcall(websocket.connect, "ws://127.0.0.1:1/")
	T.ok(not ok and err == sockethelper.socket_error, "refused connection: socket_error")
	-- an HTTP server that is not a websocket server
	local srv = skynet.newservice("t_http_server")
	local hport = skynet.call(srv, "lua", "start", {})
	T.raises("websocket handshake error: code[404]", websocket.connect, "ws://127.0.0.1:" .. hport .. "/x")
	skynet.kill(srv)
end)

-- Random bytes through the frame parser: a frame, a protocol error (with
-- its close code), or the input running out; nothing else.
T.case("frame parser fuzz", function()
	math.randomseed(tonumber(skynet.getenv "fuzz_seed") or 17)
	local rng = math.random
	local seeds = {
		"\x81\x85\1\2\3\4" .. ("hello"):gsub(".", function(c) return c end),
		"\x82\x7e\0\200" .. string.rep("\0", 200),
		"\x89\x00", "\x88\x02\3\232", "\x01\x01a", "\x80\x01b",
	}
	local frames, errors = 0, 0
	for _ = 1, 5000 do
		local s = seeds[rng(#seeds)]
		for _ = 1, rng(0, 4) do
			local p = rng(1, #s)
			s = s:sub(1, p - 1) .. string.char(rng(0, 255)) .. s:sub(p + 1)
		end
		local pos = 1
		local function read(n)
			if pos + n - 1 > #s then
				error(sockethelper.socket_error)
			end
			local r = s:sub(pos, pos + n - 1)
			pos = pos + n
			return r
		end
		local mode = rng(2) == 1 and "server" or "client"
		local ok, fin, op = pcall(websocket._read_frame, read, mode, 1024)
		if ok then
			frames = frames + 1
			T.ok(type(fin) == "boolean" and type(op) == "string", "a frame")
		elseif fin ~= sockethelper.socket_error then
			T.ok(tostring(fin):find("^websocket error 10%d%d: "), "a protocol error: " .. tostring(fin))
			errors = errors + 1
		end
	end
	T.ok(frames > 100 and errors > 100, string.format("frames %d errors %d", frames, errors))
end)

T.case("stop the peer", function()
	peers.kill(peer)
end)

T.run(function()
	local srv = skynet.newservice("t_ws_server")
	direct, upgraded = skynet.call(srv, "lua", "start", {})
	peer_port = T.free_port()
	peer = peers.spawn("ws_peer.py", peer_port, 110)
	peers.wait(peer, "ready")
end)
