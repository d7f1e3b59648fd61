-- test_call_timeout_config: the config key call_timeout (ms) puts a limit on
-- every skynet.call of every service; the late answer is dropped silently.
-- timeout: 30
-- config: call_timeout = 200
local skynet = require "skynet"
local T = require "testlib"

local peer

T.case("skynet.call times out after call_timeout ms", function()
	T.eq(skynet.getenv "call_timeout", "200")
	T.eq(skynet.call(peer, "lua", "sleep", 5), "slept")
	local t0 = skynet.now()
	local ok, err = pcall(skynet.call, peer, "lua", "sleep", 60)
	T.eq(ok, false)
	T.ok(string.find(err, "call timeout: service " .. skynet.address(peer), 1, true), err)
	T.ok(skynet.now() - t0 < 50, "gave up after about 200 ms")
	skynet.sleep(50) -- the late answer: dropped
	T.eq(skynet.call(peer, "lua", "echo", "after"), "after")
end)

T.case("the per-call form overrides it", function()
	T.eq(skynet.call_timeout(1000, peer, "lua", "sleep", 30), "slept")
end)

T.case("newservice waits for a slow start (no limit)", function()
	local p = skynet.newservice("t_peer", "slowstart", "40")
	T.eq(skynet.call(p, "lua", "echo", 1), 1)
	skynet.kill(p)
end)

T.run(function()
	peer = skynet.newservice("t_peer")
end)
