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
	T.ok(string.find(mem[skynet.address(peer)], "KiB (snlua t_peer)", 1, true), tostring(mem[skynet.address(peer)]))
	local gc = skynet.call(".launcher", "lua", "GC")
	T.ok(gc[skynet.address(peer)], "GC answers with memory")
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
