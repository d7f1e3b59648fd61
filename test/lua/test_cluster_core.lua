-- test_cluster_core: skynet.cluster.core frames (skynet's layout, byte for
-- byte), a fuzz loop over both parsers, and clusteragent's handling of
-- malformed, truncated and oversized frames from a raw peer (the link is
-- closed with a log line, the node goes on).
-- timeout: 60
-- config: cluster_message_limit = 1000000
-- config: cluster_max_inflight = 8
-- config: cluster = ${ROOT}/test/lua/t_cluster_nodes.ini
local skynet = require "skynet"
local socket = require "skynet.socket"
local core = require "skynet.cluster.core"
local cluster = require "skynet.cluster"
local T = require "testlib"

local function hex(s)
	return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

T.case("request frames: skynet's layout", function()
	local msg, sz = skynet.pack("hi")
	local f, nexts, parts = core.packrequest(0x01000005, 7, msg, sz)
	T.eq(nexts, 8, "next session")
	T.eq(parts, nil, "one frame")
	local body = skynet.packstring("hi")
	T.eq(hex(f:sub(1, 11)), string.format("%04x", 9 + #body) .. "00" .. "05000001" .. "07000000", "head")
	T.eq(f:sub(12), body, "payload")
	f = core.packpush("@sdb", 9, skynet.pack("x"))
	T.eq(hex(f:sub(1, 12)), string.format("%04x", 10 + #skynet.packstring("x")) .. "8004" .. hex("@sdb") .. "00000000", "push by name: session 0")
	T.eq(hex(core.packtrace("tag")), "000404" .. hex("tag"), "trace")
	local _, wrap = core.packrequest(1, 0x7fffffff, skynet.pack(1))
	T.eq(wrap, 1, "session wraps to 1")
	T.raises("invalid request session", core.packrequest, 1, 0, skynet.pack(1))
end)

T.case("multi-part requests: header then parts of 32 KiB", function()
	local big = string.rep("z", 0x8000 * 2 + 5)
	local f, _, parts = core.packrequest(3, 5, big)
	T.eq(hex(f), "000d" .. "01" .. "03000000" .. "05000000" .. hex(string.pack("<I4", #big)), "header")
	T.eq(#parts, 3, "parts")
	T.eq(#parts[1], 0x8000 + 7, "part size")
	T.eq(parts[1]:byte(3), 2, "more")
	T.eq(parts[3]:byte(3), 3, "last")
	T.eq(#parts[3], 5 + 7, "last size")
	local a, s, size, padding, push = core.unpackrequest(f:sub(3))
	T.eq(a, 3, "addr") T.eq(s, 5, "session") T.eq(size, #big, "size") T.eq(padding, true, "padding") T.eq(push, false, "push")
	local f2 = core.packpush("@n", 6, string.rep("q", 0x8000))
	T.eq(f2:byte(3), 0xc1, "a 32 KiB push by name is multi-part")
	local nf, ns, part, more = core.unpackrequest(parts[2]:sub(3))
	T.eq(nf, false, "a part") T.eq(ns, 5, "part session") T.eq(#part, 0x8000, "part") T.eq(more, true, "more")
end)

T.case("responses: ok, error, multi-part", function()
	local r = core.packresponse(9, true, "abc")
	T.eq(hex(r), "0008" .. "09000000" .. "01" .. hex("abc"), "ok")
	T.eq(hex(core.packresponse(9, false, "no")), "0007" .. "09000000" .. "00" .. hex("no"), "error")
	T.eq(#core.packresponse(1, false, string.rep("e", 100000)), 0x8000 + 7, "a long error is cut")
	local t = core.packresponse(4, true, string.rep("r", 0x8001))
	T.eq(#t, 3, "begin and two parts")
	T.eq(hex(t[1]), "0009" .. "04000000" .. "02" .. "01800000", "begin")
	T.eq(t[2]:byte(7), 3, "part") T.eq(t[3]:byte(7), 4, "end")
	local s, ok, size, padding = core.unpackresponse(t[1]:sub(3))
	T.eq(s, 4, "session") T.eq(ok, true, "ok") T.eq(size, 0x8001, "size") T.eq(padding, true, "padding")
	T.eq(#core.packresponse(2, true, string.rep("r", 0x8000)), 0x8000 + 7, "32 KiB exactly is one frame")
end)

T.case("fuzz: random and mutated frames never crash the parsers", function()
	local seeds = {
		core.packrequest(1, 1, skynet.pack("a", 2)):sub(3),
		core.packrequest("@x", 2, skynet.pack("b")):sub(3),
		(core.packrequest(1, 3, string.rep("c", 40000))):sub(3),
		core.packtrace("t"):sub(3),
		core.packresponse(1, true, "ok"):sub(3),
	}
	math.randomseed(12345)
	local errors = 0
	for i = 1, 20000 do
		local s
		if i % 2 == 0 then
			local n = math.random(0, 40)
			local b = {}
			for j = 1, n do b[j] = string.char(math.random(0, 255)) end
			s = table.concat(b)
		else
			s = seeds[math.random(#seeds)]
			local cut = math.random(0, #s)
			s = s:sub(1, cut)
			if #s > 0 then
				local p = math.random(#s)
				s = s:sub(1, p - 1) .. string.char(math.random(0, 255)) .. s:sub(p + 1)
			end
		end
		if not pcall(core.unpackrequest, s) then errors = errors + 1 end
		pcall(core.unpackresponse, s)
	end
	T.ok(errors > 0, "some frames refused")
end)

local port
local held = {}
local function held_release()
	for _, r in ipairs(held) do r(true, "released") end
	held = {}
end

local function raw_peer(bytes)
	local fd = assert(socket.open("127.0.0.1", port))
	socket.write(fd, bytes)
	local r = socket.read(fd)  -- everything until the agent closes
	socket.close(fd)
	return r
end

local function frame(body)
	return string.pack(">s2", body)
end

T.case("bad frames close the link with a log line, the node goes on", function()
	T.expect_error("cluster link")
	-- a good request first, on a raw link: the answer comes back
	local fd = assert(socket.open("127.0.0.1", port))
	socket.write(fd, core.packrequest(".self", 1, skynet.pack("echo", 5)))
	local h = socket.read(fd, 2)
	local body = socket.read(fd, core.header(h))
	local s, ok, data = core.unpackresponse(body)
	T.eq(s, 1, "session") T.eq(ok, true, "ok") T.eq(skynet.unpack(data), 5, "answer")
	socket.close(fd)
	raw_peer(frame("\x7fjunk"))                            -- unknown type
	raw_peer(frame("\0\1\2"))                              -- truncated request
	raw_peer(frame("\3\1\0\0\0data"))                      -- part of no request
	raw_peer(frame(string.pack("<BI4I4I4", 1, 1, 1, 2000000))) -- over the limit
	raw_peer(frame(string.pack("<BI4I4I4", 1, 1, 9, 10)) .. frame("\3\9\0\0\0" .. string.rep("x", 11)))
	raw_peer(frame(""))                                    -- empty frame
	-- a truncated frame, then the peer goes: the agent ends
	local tfd = assert(socket.open("127.0.0.1", port))
	socket.write(tfd, "\0\9\0\1")
	socket.close(tfd)
	-- many pending multi-part requests cannot pass the limit together
	local many = {}
	for i = 1, 40 do many[i] = frame(string.pack("<BI4I4I4", 1, 1, i, 900000 // 20)) end
	raw_peer(table.concat(many))
	-- more waiting calls on one link than cluster_max_inflight (8)
	local calls = {}
	for i = 1, 12 do calls[i] = core.packrequest(".self", i, skynet.pack("hold")) end
	raw_peer(table.concat(calls))
	held_release()
	T.eq(cluster.call("self", ".self", "echo", "still"), "still", "the node goes on")
end)

T.case("an INI cluster file", function()
	local nodes = skynet.call(skynet.uniqueservice("clusterd"), "lua", "nodes")
	T.eq(nodes.alpha, "127.0.0.1:1", "alpha")
	T.eq(nodes.beta, "10.0.0.2:2528", "beta, comment cut")
	T.raises("cluster node [gamma] is absent.", cluster.call, "gamma", "@x")
end)

-- A fake node: answers the first request with the frame reply(session).
local function fake_node(reply)
	local lid, _, lport = socket.listen("127.0.0.1", 0)
	socket.start(lid, function(fd)
		socket.start(fd)
		local h = socket.read(fd, 2)
		local body = h and socket.read(fd, core.header(h))
		if body then
			local _, session = core.unpackrequest(body)
			socket.write(fd, reply(session))
		end
	end)
	return lid, lport
end

T.case("bad replies close the link: the call fails naming the node", function()
	T.expect_error("cluster node \\[fake")
	local cases = {
		{ "fake1", function() return "\0\3abc" end, "malformed response frame" },
		{ "fake2", function(s) return string.pack(">s2", string.pack("<I4BI4", s, 2, 5000000)) end, "refused" },
		{ "fake3", function(s)
			return string.pack(">s2", string.pack("<I4BI4", s, 2, 10)) .. string.pack(">s2", string.pack("<I4B", s, 3) .. string.rep("x", 20))
		end, "longer than announced" },
	}
	for _, c in ipairs(cases) do
		local lid, lport = fake_node(c[2])
		cluster.reload { [c[1]] = "127.0.0.1:" .. lport }
		local err = T.raises("cluster node [" .. c[1] .. "] link failed", cluster.call, c[1], 1, "x")
		T.ok(err:find(c[3], 1, true), err)
		socket.close(lid)
	end
end)

T.case("a call through this node's own cluster port (large both ways)", function()
	local n = 300000
	T.eq(cluster.call("self", ".self", "size", string.rep("s", n)), n, "sent")
	T.eq(#cluster.call("self", ".self", "big", n), n, "received")
end)

T.run(function()
	skynet.register ".self"
	skynet.dispatch("lua", function(_, _, cmd, a)
		if cmd == "echo" then
			skynet.retpack(a)
		elseif cmd == "size" then
			skynet.retpack(#a)
		elseif cmd == "hold" then
			held[#held + 1] = skynet.response()
		elseif cmd == "big" then
			skynet.retpack(string.rep("b", a))
		end
	end)
	local _, p = cluster.open(0)
	port = p
	cluster.reload { self = "127.0.0.1:" .. p, __nowaiting = true }
end)
