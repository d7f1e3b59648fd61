-- test_core_break: with endless_break set, the monitor breaks a message that
-- runs longer (the default is never).
-- timeout: 60
-- config: endless_break = 2
-- expect_error: signal 0
local skynet = require "skynet"
local T = require "testlib"

T.case("endless_break = 2 breaks a loop after about 2 s", function()
	local p = skynet.newservice("t_core")
	local t0 = skynet.now()
	local ok, err = pcall(skynet.call, p, "lua", "loop")
	local waited = (skynet.now() - t0) / 100
	T.eq(ok, false, "the call failed")
	T.ok(string.find(err, "signal 0", 1, true), "broken by the signal: " .. tostring(err))
	T.ok(waited >= 1.9 and waited < 6, "broken after " .. waited .. " s")
	T.eq(skynet.call(p, "lua", "echo", "alive"), "alive", "service survives")
	T.eq(skynet.call(p, "lua", "busy", 1), true, "a 1 s message is left alone")
	skynet.kill(p)
end)

T.run()
