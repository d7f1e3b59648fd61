-- test_readme: behaviours the README promises that no other test checks: the
-- `memlimit` config key, `profile` CPU figures, socket.lwrite, nodelay.
-- config: memlimit = 8M
-- config: profile = 1
-- timeout: 30
local skynet = require "skynet"
local socket = require "skynet.socket"
local T = require "testlib"

T.case("config memlimit limits every Lua service", function()
	T.expect_error("not enough memory")
	local p = skynet.newservice("t_peer")
	-- 100,000 strings of ~100 bytes: well past 8 MiB, far below the default
	T.raises("call failed", skynet.call, p, "lua", "alloc", 100000)
	T.eq(skynet.call(p, "lua", "echo", "alive"), "alive", "the service lives on")
	skynet.kill(p)
end)

T.case("profile: a busy service reports CPU time above zero", function()
	local p = skynet.newservice("t_peer")
	local before = skynet.call(p, "debug", "STAT").cpu
	skynet.call(p, "lua", "busy", 0.05)
	local after = skynet.call(p, "debug", "STAT").cpu
	-- CPU, not wall time: under load the 50 ms busy loop gets less of a core
	T.ok(after - before > 0.005, string.format("cpu %.4f -> %.4f after 50 ms of work", before, after))
	skynet.kill(p)
end)

T.case("socket.lwrite: low-priority data is delivered with the normal data", function()
	local got = {}
	local lid, _, port = socket.listen("127.0.0.1", 0)
	local _, _, bound = socket.start(lid, function(id)
		socket.start(id)
		got[#got + 1] = socket.read(id, 8)
		socket.close(id)
	end)
	port = bound or port
	local c = assert(socket.open("127.0.0.1", port))
	T.eq(socket.lwrite(c, "low-"), true, "lwrite accepted")
	T.eq(socket.write(c, "high"), true, "write accepted")
	T.wait_until(function() return got[1] end, 500, "the server to read 8 bytes")
	T.ok(got[1] == "low-high" or got[1] == "highlow-", "both parts delivered intact: " .. tostring(got[1]))
	socket.close(c)
	socket.close(lid)
end)

-- nodelay as netstat sees it (socketdriver.info reads TCP_NODELAY back).
local function nodelay_of(id)
	for _, s in ipairs(socket.netstat()) do
		if s.id == id then
			return s.nodelay
		end
	end
end

T.case("socket.nodelay and the gate's nodelay option turn Nagle off", function()
	local lid, _, port = socket.listen("127.0.0.1", 0)
	socket.start(lid, function(id) socket.start(id) end)
	local plain = assert(socket.open("127.0.0.1", port))
	local quick = assert(socket.open("127.0.0.1", port))
	socket.nodelay(quick)
	T.wait_until(function() return nodelay_of(quick) == true end, 300, "nodelay on the socket")
	T.eq(nodelay_of(plain), false, "a socket left alone keeps Nagle")
	socket.close(plain)
	socket.close(quick)
	socket.close(lid)
	-- the gate's option applies to every connection it accepts
	local watchdog_events = {}
	skynet.dispatch("lua", function(_, _, what, kind, fd)
		if what == "socket" and kind == "open" then
			watchdog_events[#watchdog_events + 1] = fd
		end
	end)
	local gate = skynet.newservice("gate")
	local _, gport = skynet.call(gate, "lua", "open",
		{ address = "127.0.0.1", port = 0, maxclient = 4, nodelay = true, watchdog = skynet.self() })
	local c = assert(socket.open("127.0.0.1", gport))
	local fd = T.wait_until(function() return watchdog_events[1] end, 300, "the gate's open report")
	T.wait_until(function() return nodelay_of(fd) == true end, 300, "nodelay on the gate's connection")
	socket.close(c)
	skynet.call(gate, "lua", "close")
	skynet.kill(gate)
end)

T.run()
