-- http.httpd driven by Python's standard library (test/net/http_client.py:
-- keep-alive, pipelining, chunked bodies both ways, limits, bad requests,
-- slow clients, fuzzed requests), http.httpc against Python's http.server
-- (test/net/http_peer.py: lengths, chunked and streamed responses, bodies
-- until close, timeouts, DNS through skynet.dns), http.url, and a fuzz of
-- httpd.read_request over mutated input in process.
-- timeout: 120
local skynet = require "skynet"
local T = require "testlib"
local peers = require "t_netpeer"
local httpd = require "http.httpd"
local httpc = require "http.httpc"
local urllib = require "http.url"
local sockethelper = require "http.sockethelper"

local server_port, peer, peer_port, dns_peer

local function drive(scenario, ...)
	local p = peers.spawn("http_client.py", server_port, scenario, ...)
	local out = peers.wait(p, "[PF][AI][SI][SL]", 6000)
	peers.kill(p)
	if not out:find("^PASS") then
		error(scenario .. ": " .. out)
	end
end

for _, scenario in ipairs { "keepalive", "pipelined", "chunked_request", "chunked_response",
	"limits", "bad_requests", "slow_client", "concurrent", "fuzz" } do
	T.case("httpd " .. scenario, function()
		drive(scenario, 7)
	end)
end

T.case("url", function()
	local path, query = urllib.parse("/a%20b/c+d?x=1&y=%41")
	T.eq(path, "/a b/c d", "path decoded")
	T.eq(query, "x=1&y=%41", "query raw")
	local q = urllib.parse_query("x=1&y=a+b%21&z=&bad&w=%zz")
	T.eq(q.x, "1", "x")
	T.eq(q.y, "a b!", "y decoded")
	T.eq(q.z, "", "empty value")
	T.eq(q.bad, nil, "no '='")
	T.eq(q.w, "%zz", "malformed escape kept")
	T.eq(select(2, urllib.parse("/only")), "", "no query")
end)

local function host()
	return "127.0.0.1:" .. peer_port
end

T.case("httpc get, head, headers", function()
	local recv = {}
	local code, body = httpc.get(host(), "/hello", recv)
	T.eq(code, 200, "status")
	T.eq(body, "hello", "body")
	T.eq(recv["x-test"], "yes", "response header")
	T.eq(type(recv["set-cookie"]), "table", "repeated header is a list")
	T.eq(recv["set-cookie"][2], "b=2", "second cookie")
	T.eq(httpc.head("http://" .. host(), "/hello"), 200, "head")
	code, body = httpc.get(host(), "/missing")
	T.eq(code, 404, "404")
	T.eq(body, "missing", "404 body")
	code, body = httpc.get(host(), "/204")
	T.eq(code, 204, "204")
	T.eq(body, "", "no body")
end)

T.case("httpc chunked and until-close bodies", function()
	local recv = {}
	local code, body = httpc.get(host(), "/chunked", recv)
	T.eq(code, 200, "status")
	T.eq(body, "one,two,three,four,five", "chunked body")
	T.eq(recv["x-trailer"], "done", "trailer field")
	code, body = httpc.get(host(), "/nolength")
	T.eq(body, string.rep("until-close", 100), "body until close")
end)

T.case("httpc post and request bodies", function()
	local recv = {}
	local code, body = httpc.post(host(), "/echo", { name = "a b&c", n = 1 }, recv)
	T.eq(code, 200, "status")
	T.ok(body == "name=a%20b%26c&n=1" or body == "n=1&name=a%20b%26c", "form body: " .. body)
	T.eq(recv["x-got-type"], "application/x-www-form-urlencoded", "content type")
	T.eq(recv["x-got-host"], host(), "host header")
	local pieces, i = { "p1-", "p2-", string.rep("p3", 5000) }, 0
	recv = {}
	code, body = httpc.request("POST", host(), "/echo", recv, nil, function()
		i = i + 1
		return pieces[i]
	end)
	T.eq(body, table.concat(pieces), "streamed request body")
	T.eq(recv["x-got-chunked"], "yes", "sent chunked")
	recv = {}
	code, body = httpc.request("POST", host(), "/echo", recv, { ["content-type"] = "x/y", host = "named" }, "raw")
	T.eq(body, "raw", "string body")
	T.eq(recv["x-got-host"], "named", "caller's host header")
	T.eq(recv["x-got-type"], "x/y", "caller's header")
end)

T.case("httpc request_stream", function()
	local stream = httpc.request_stream("GET", host(), "/stream")
	T.eq(stream.status, 200, "status")
	local got = {}
	for piece in stream do
		got[#got + 1] = piece
	end
	T.eq(table.concat(got), "s0s1s2s3s4", "pieces")
	T.ok(#got >= 2, "arrived in pieces: " .. #got)
	T.eq(stream.header["x-trailer"], "done", "trailer")
	T.eq(stream.connected, nil, "finished cleanly")
	stream:close()
	local s2 = httpc.request_stream("GET", host(), "/hello")
	T.eq(s2:padding(), "hello", "length body")
	T.eq(s2:padding(), nil, "then the end")
	do
		local s3 <close> = httpc.request_stream("GET", host(), "/nolength")
		T.ok(#s3() > 0, "first piece of an until-close body")
	end
end)

T.case("httpc keep_alive_request", function()
	httpc.keep_alive_time = 1
	local fds = {}
	for i = 1, 3 do
		local recv = {}
		local code, body, handle = httpc.keep_alive_request("GET", host(), "/hello", recv)
		T.eq(code, 200, "status " .. i)
		T.eq(body, "hello", "body " .. i)
		fds[i] = handle.fd
	end
	T.eq(fds[2], fds[1], "second request on the same connection")
	T.eq(fds[3], fds[1], "third request on the same connection")
	local _, chunked, h2 = httpc.keep_alive_request("GET", host(), "/chunked")
	T.eq(chunked, "one,two,three,four,five", "chunked body kept alive")
	T.eq(h2.fd, fds[1], "still the same connection")
	local _, _, h3 = httpc.keep_alive_request("POST", host(), "/echo", nil, nil, "data")
	T.eq(h3.fd, fds[1], "post on the same connection")
	-- a body ended by closing is not kept
	local _, _, h4 = httpc.keep_alive_request("GET", host(), "/nolength")
	local _, _, h5 = httpc.keep_alive_request("GET", host(), "/hello")
	T.ok(h5.fd ~= h4.fd, "connection: close not reused")
	-- idle past keep_alive_time: closed and replaced
	skynet.sleep(250)
	T.ok(require("skynet.socket").invalid(h5.fd), "idle connection closed")
	local _, body, h6 = httpc.keep_alive_request("GET", host(), "/hello")
	T.eq(body, "hello", "after expiry")
	T.ok(h6 ~= h5, "a new connection")
	httpc.keep_alive_time = nil
end)

T.case("httpc timeout and connection errors", function()
	httpc.timeout = 50
	local t0 = skynet.now()
	T.raises("httpc timeout (50 cs)", httpc.get, host(), "/slow")
	T.ok(skynet.now() - t0 < 200, "gave up in time")
	httpc.timeout = nil
	local ok, err = pcall(httpc.get, "127.0.0.1:1", "/")
	T.ok(not ok, "refused connection raises")
	T.eq(err, sockethelper.socket_error, "as socket_error")
	T.raises("Invalid protocol: ftp", httpc.get, "ftp://x", "/")
	T.raises("bare IPv6", httpc.get, "::1:80", "/")
end)

T.case("httpc dns", function()
	local dport = T.free_port()
	dns_peer = peers.spawn("dns_peer.py", dport, 30)
	peers.wait(dns_peer, "ready")
	httpc.dns("127.0.0.1", dport)
	local code, body = httpc.get("local.test:" .. peer_port, "/hello")
	T.eq(code, 200, "status")
	T.eq(body, "hello", "body through a resolved name")
	T.raises("timeout or no answer", httpc.get, "nx.test:" .. peer_port, "/")
	peers.kill(dns_peer)
end)

-- Feeds read_request a byte string in random slices; it must return a code or
-- nil with socket_error (input ran out), never another error.
local function feed(data, rng)
	local pos = 1
	local read = function(sz)
		if pos > #data then
			error(sockethelper.socket_error)
		end
		local n = sz or rng(1, 64)
		if sz and pos + sz - 1 > #data then
			pos = #data + 1
			error(sockethelper.socket_error)
		end
		local s = data:sub(pos, pos + n - 1)
		pos = pos + n
		return s
	end
	return httpd.read_request(read, 4096)
end

T.case("read_request fuzz", function()
	local seeds = {
		"GET /a?b=c HTTP/1.1\r\nHost: x\r\nA: b\r\n\r\n",
		"POST /e HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
		"POST /e HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nT: x\r\n\r\n",
		"GET / HTTP/1.0\r\n folded\r\n\r\n",
	}
	local seed = tonumber(skynet.getenv "fuzz_seed") or 13
	math.randomseed(seed)
	local rng = math.random
	local valid = { [200] = true, [400] = true, [413] = true, [501] = true, [505] = true }
	local counts = {}
	for i = 1, 5000 do
		local s = seeds[rng(#seeds)]
		for _ = 1, rng(0, 6) do
			local p = rng(1, #s + 1)
			local op = rng(4)
			if op == 1 then
				s = s:sub(1, p - 1) .. string.char(rng(0, 255)) .. s:sub(p + 1)
			elseif op == 2 then
				s = s:sub(1, p - 1) .. s:sub(p + rng(1, 6))
			elseif op == 3 then
				s = s:sub(1, p - 1) .. ({ "\r\n", ":", " ", "\r\n\r\n", "ffffffff\r\n", "\t" })[rng(6)] .. s:sub(p)
			else
				s = s:sub(1, p - 1) .. string.rep(string.char(rng(0, 255)), rng(1, 300)) .. s:sub(p)
			end
		end
		local code, err = feed(s, rng)
		if code then
			if not valid[code] then
				error(string.format("case %d: code %s for %q", i, tostring(code), s))
			end
		elseif err ~= sockethelper.socket_error then
			error(string.format("case %d (seed %d): error %s for %q", i, seed, tostring(err), s))
		end
		local k = tostring(code)
		counts[k] = (counts[k] or 0) + 1
	end
	T.ok((counts["200"] or 0) > 100 and (counts["400"] or 0) > 100, "both good and bad inputs seen")
end)

T.case("stop the peers", function()
	peers.kill(peer)
	peers.kill(dns_peer)
end)

T.run(function()
	local srv = skynet.newservice("t_http_server")
	server_port = skynet.call(srv, "lua", "start", { idle = 100 })
	peer_port = T.free_port()
	peer = peers.spawn("http_peer.py", peer_port, 110)
	peers.wait(peer, "ready")
end)
