-- test_call_timeout: skynet.call_timeout(ms, addr, typename, ...): the answer
-- when it comes in time, a timeout error naming the callee otherwise, and the
-- late answer dropped silently (no "Unknown session" error in the log).
-- timeout: 30
-- expect_error: t_peer.lua:[0-9]+: on purpose
local skynet = require "skynet"
local T = require "testlib"

local peer

T.case("an answer in time is returned", function()
	local a, b = skynet.call_timeout(1000, peer, "lua", "echo", 1, "x")
	T.eq(a, 1)
	T.eq(b, "x")
	-- the timer of that call fires later and is dropped
	skynet.sleep(5)
	local t0 = skynet.now()
	T.eq(skynet.call_timeout(30, peer, "lua", "echo", "y"), "y")
	skynet.sleep(40)
	T.ok(skynet.now() - t0 >= 30, "waited past the timer")
end)

T.case("a late answer raises a timeout naming the callee", function()
	local t0 = skynet.now()
	local ok, err = pcall(skynet.call_timeout, 100, peer, "lua", "sleep", 50)
	local waited = skynet.now() - t0
	T.eq(ok, false)
	T.ok(string.find(err, "call timeout: service " .. skynet.address(peer), 1, true), err)
	T.ok(string.find(err, "100 ms", 1, true), err)
	T.ok(waited >= 10 and waited < 40, "gave up after about 100 ms: " .. waited)
	-- the answer arrives at 500 ms: dropped, and the service goes on
	skynet.sleep(60)
	T.eq(skynet.call(peer, "lua", "echo", "after"), "after")
end)

T.case("the callee's error is a call failure, as skynet.call's", function()
	T.raises("call failed: service " .. skynet.address(peer), skynet.call_timeout, 1000, peer, "lua", "fail", "on purpose")
end)

T.case("a callee that exits while called fails the call", function()
	local p = skynet.newservice("t_peer")
	skynet.fork(function()
		skynet.sleep(5)
		skynet.kill(p)
	end)
	T.raises("call failed", skynet.call_timeout, 1000, p, "lua", "block")
	skynet.sleep(110) -- past the timer: dropped
end)

T.case("bad arguments are clear errors", function()
	T.raises("positive number of milliseconds", skynet.call_timeout, 0, peer, "lua", "echo")
	T.raises("positive number of milliseconds", skynet.call_timeout, "x", peer, "lua", "echo")
	T.raises("unknown protocol nope", skynet.call_timeout, 100, peer, "nope")
	T.raises("invalid address", skynet.call_timeout, 100, 0x00ffffff, "lua", "echo")
end)

T.case("killthread on a timed call drops both its sessions", function()
	local co = skynet.fork(function()
		skynet.call_timeout(100, peer, "lua", "sleep", 30)
	end)
	skynet.sleep(5)
	T.eq(skynet.killthread(co), co)
	skynet.sleep(130) -- the answer (30) and the timer (100) come and are dropped
end)

T.case("without the config key skynet.call has no limit", function()
	T.eq(skynet.getenv "call_timeout", nil)
	T.eq(skynet.call(peer, "lua", "sleep", 30), "slept")
end)

T.run(function()
	peer = skynet.newservice("t_peer")
end)
