-- timeout: 30
-- test_shutdown_call: a SHUTDOWN debug command sent by hand (skynet.call, as
-- the debug console's dbgcmd does) runs the hooks and is answered, instead of
-- leaving the caller waiting.
local skynet = require "skynet"
local T = require "testlib"

local function call_within(cs, ...)
	local done, ok, err
	local args = table.pack(...)
	skynet.fork(function()
		ok, err = pcall(skynet.call, table.unpack(args, 1, args.n))
		done = true
	end)
	T.wait_until(function() return done end, cs, "the SHUTDOWN call to return")
	return ok, err
end

T.case("a SHUTDOWN debug command sent by call is answered after the handler", function()
	local h = skynet.newservice("t_shutdown", "hook", "dbgcmd")
	local t0 = skynet.now()
	local ok, err = call_within(300, h, "debug", "SHUTDOWN")
	T.ok(ok, tostring(err))
	T.ok(skynet.now() - t0 >= 15, "answered after the handler's 0.2 s sleep")
	skynet.kill(h)
end)

T.case("skynet.shutdown hooks run by a SHUTDOWN call, which is answered", function()
	T.expect_error("HOOK fails on purpose")
	local h = skynet.newservice("t_shutdown", "hook", "error")
	local ok, err = call_within(300, h, "debug", "SHUTDOWN")
	T.ok(ok, tostring(err))
	skynet.kill(h)
end)

T.run()
