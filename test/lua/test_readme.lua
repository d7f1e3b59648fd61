-- test_readme: behaviours the README promises that no other test checks: the
-- `memlimit` config key, `profile` CPU figures, socket.lwrite.
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

T.run()
