-- test_launcher: the launcher's console commands (LIST, STAT, MEM, GC, KILL)
-- and the `preload` config key.
-- timeout: 60
-- config: preload = ${ROOT}/test/lua/t_preload.lua
local skynet = require "skynet"
local T = require "testlib"

local peer

T.case("preload ran before the service file", function()
	T.ok(PRELOADED, "preload's global is set")
	T.eq(PRELOADED.name, "test_launcher")
	T.eq(skynet.call(peer, "lua", "echo", "x"), "x")
end)

T.case("LIST names every service with its launch line", function()
	local list = skynet.call(".launcher", "lua", "LIST")
	T.eq(list[skynet.address(peer)], "snlua t_peer")
	T.eq(list[skynet.address(skynet.self())], "snlua test_launcher")
end)

T.case("STAT, MEM and GC ask every service", function()
	local stat = skynet.call(".launcher", "lua", "STAT")
	local s = stat[skynet.address(peer)]
	T.ok(type(s) == "table" and s.message >= 1, "peer stat")
	local mem = skynet.call(".launcher", "lua", "MEM")
	-- skynet's wording: "%.2f Kb (launch line)"
	T.ok(string.match(mem[skynet.address(peer)], "^%d+%.%d%d Kb %(snlua t_peer%)$"), tostring(mem[skynet.address(peer)]))
	local gc = skynet.call(".launcher", "lua", "GC", 300)
	T.ok(string.match(gc[skynet.address(peer)], "^%d+%.%d%d Kb %(snlua t_peer%)$"), "GC answers with memory")
end)

-- skynet's launcher takes a timeout (centiseconds) and names the services
-- that did not answer in time (TIMEOUT) or whose call failed (ERROR).
T.case("STAT, MEM, GC: TIMEOUT for a busy service, ERROR for a dead one", function()
	local busy = skynet.newservice("t_peer")
	local dead = skynet.newservice("t_peer")
	require("skynet.core").command("KILL", skynet.address(dead)) -- behind the launcher's back
	local flag = os.tmpname()
	os.remove(flag)
	skynet.send(busy, "lua", "busy_until", flag, 20)
	local ok, err = pcall(function()
		local t0 = skynet.now()
		local stat = skynet.call(".launcher", "lua", "STAT", 20)
		T.ok(skynet.now() - t0 < 200, "STAT waited about its timeout")
		T.eq(stat[skynet.address(busy)], "TIMEOUT")
		T.eq(stat[skynet.address(dead)], "ERROR")
		T.ok(type(stat[skynet.address(peer)]) == "table", "the others answer")
		local mem = skynet.call(".launcher", "lua", "MEM", 20)
		T.eq(mem[skynet.address(busy)], "TIMEOUT (snlua t_peer)")
		T.eq(mem[skynet.address(dead)], "ERROR (snlua t_peer)")
		local gc = skynet.call(".launcher", "lua", "GC", 20)
		T.eq(gc[skynet.address(busy)], "TIMEOUT (snlua t_peer)")
	end)
	local f = io.open(flag, "w")
	f:close()
	skynet.sleep(10)
	os.remove(flag)
	skynet.kill(busy)
	skynet.kill(dead)
	assert(ok, err)
	-- the late answers were dropped: the launcher still works
	T.ok(type(skynet.call(".launcher", "lua", "STAT", 100)[skynet.address(peer)]) == "table", "STAT after")
end)

T.case("KILL through the launcher", function()
	local p = skynet.newservice("t_peer")
	local r = skynet.call(".launcher", "lua", "KILL", p)
	T.eq(r[skynet.address(p)], "snlua t_peer")
	skynet.sleep(2)
	T.raises("invalid address", skynet.call, p, "lua", "echo", 1)
	T.eq(skynet.call(".launcher", "lua", "LIST")[skynet.address(p)], nil, "gone from LIST")
end)

T.run(function()
	peer = skynet.newservice("t_peer")
end)
