-- TLS through ltls (OpenSSL) with a self-signed certificate made by
-- `openssl req` at test time: httpc over https:// against Python's
-- http.server, our httpd over TLS driven by Python's http.client (keep-alive,
-- chunked, a plaintext client refused), wss:// both ways against
-- python3-websockets, and handshake failures raised as errors.
-- timeout: 90
-- config: enablessl = true
local skynet = require "skynet"
local T = require "testlib"
local peers = require "t_netpeer"
local httpc = require "http.httpc"
local websocket = require "http.websocket"

local cert, key, https_peer, https_port, wss_peer, wss_port, plain_peer, plain_port

local function drive(script, port, scenario)
	local p = peers.spawn(script, port, scenario, cert)
	local out = peers.wait(p, "[PF][AI][SI][SL]", 6000)
	peers.kill(p)
	if not out:find("^PASS") then
		error(scenario .. ": " .. out)
	end
end

T.case("ltls module", function()
	local c = require "ltls.c"
	local ctx = c.newctx()
	ctx:set_cert(cert, key)
	T.raises("private key", ctx.set_cert, ctx, cert, cert)
	T.raises("invalid method", c.newtls, "both", ctx)
	local client, server = c.newtls("client", c.newctx(), "localhost"), c.newtls("server", ctx)
	-- a handshake between two objects in memory, then data both ways
	local c2s, s2c = client:handshake() or "", ""
	for _ = 1, 10 do
		if c2s ~= "" and not server:finished() then
			s2c = s2c .. (server:handshake(c2s) or "")
			c2s = ""
		end
		if s2c ~= "" and not client:finished() then
			c2s = c2s .. (client:handshake(s2c) or "")
			s2c = ""
		end
		if client:finished() and server:finished() then
			break
		end
	end
	T.ok(client:finished() and server:finished(), "handshake in memory")
	-- bytes still in flight (session tickets) reach the peer through read
	T.eq(client:read(s2c), "", "nothing but records")
	T.eq(server:read(c2s), "", "nothing but records")
	T.eq(server:read(client:write("ping")), "ping", "client to server")
	T.eq(client:read(server:write("pong")), "pong", "server to client")
	client:close()
	T.raises("closed", client.write, client, "x")
end)

T.case("httpc https", function()
	local host = "https://localhost:" .. https_port
	local recv = {}
	local code, body = httpc.get(host, "/hello", recv)
	T.eq(code, 200, "status")
	T.eq(body, "hello", "body")
	T.eq(recv["x-test"], "yes", "header")
	code, body = httpc.get(host, "/chunked")
	T.eq(body, "one,two,three,four,five", "chunked over TLS")
	code, body = httpc.request("POST", "https://127.0.0.1:" .. https_port, "/echo", nil, nil, string.rep("t", 50000))
	T.eq(#body, 50000, "50 KB echoed")
	local stream = httpc.request_stream("GET", host, "/stream")
	local got = {}
	for piece in stream do
		got[#got + 1] = piece
	end
	T.eq(table.concat(got), "s0s1s2s3s4", "streamed over TLS")
end)

T.case("httpc https to a plain server fails cleanly", function()
	local ok, err = pcall(httpc.get, "https://127.0.0.1:" .. plain_port, "/hello")
	T.ok(not ok, "raised")
	T.ok(tostring(err):find("SSL") or tostring(err) == "[Socket Error]", "reason: " .. tostring(err))
	-- and plain still works on the same service
	T.eq(select(2, httpc.get("127.0.0.1:" .. plain_port, "/hello")), "hello", "plain afterwards")
end)

T.case("httpd over TLS", function()
	local srv = skynet.newservice("t_http_server")
	local port = skynet.call(srv, "lua", "start", { tls = true })
	drive("http_client.py", port, "tls")
	skynet.kill(srv)
end)

T.case("wss server", function()
	local srv = skynet.newservice("t_ws_server")
	local port = skynet.call(srv, "lua", "start", { protocol = "wss" })
	drive("ws_client.py", port, "wss")
	skynet.kill(srv)
end)

T.case("wss client", function()
	local id = websocket.connect("wss://localhost:" .. wss_port .. "/x", { ["X-Custom"] = "tls" })
	websocket.write(id, "hello")
	T.eq(websocket.read(id), "hello", "echo over wss")
	local big = string.rep("w", 70000)
	websocket.write(id, big, "binary")
	T.eq(websocket.read(id), big, "70 KB over wss")
	websocket.write(id, "headers")
	T.eq(websocket.read(id), "tls|/x", "header and path")
	websocket.write(id, "slow")
	T.eq(websocket.read(id), "late", "pings answered over wss")
	websocket.close(id)
end)

T.case("stop the peers", function()
	peers.kill(https_peer)
	peers.kill(wss_peer)
	peers.kill(plain_peer)
end)

T.run(function()
	local tmp = skynet.getenv "test_tmp"
	cert, key = tmp .. "/tls-cert.pem", tmp .. "/tls-key.pem"
	local cmd = string.format("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
		.. " -keyout %s -out %s -days 1 -subj /CN=localhost"
		.. " -addext subjectAltName=DNS:localhost,IP:127.0.0.1 >%s/openssl.out 2>&1", key, cert, tmp)
	assert(os.execute(cmd), "openssl req failed")
	skynet.setenv("certfile", cert)
	skynet.setenv("keyfile", key)
	https_port, wss_port, plain_port = T.free_port(), T.free_port(), T.free_port()
	https_peer = peers.spawn("http_peer.py", https_port, 85, cert, key)
	wss_peer = peers.spawn("ws_peer.py", wss_port, 85, cert, key)
	plain_peer = peers.spawn("http_peer.py", plain_port, 85)
	peers.wait(https_peer, "ready")
	peers.wait(wss_peer, "ready")
	peers.wait(plain_peer, "ready")
end)
