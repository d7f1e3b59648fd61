-- test_fidelity_exit: skynet.exit as skynet does it. Callers waiting on the
-- exiting service get an error; every suspended coroutine of it is closed,
-- so its to-be-closed variables run (the exiting one's too); the services it
-- was calling are told it is gone; later messages get an error. A `<close>`
-- variable in a dispatch function that raises runs as well.
-- timeout: 30
-- expect_error: t_exiter raises on purpose
local skynet = require "skynet"
local T = require "testlib"

local closed = {}

skynet.dispatch("lua", function(_, _, cmd, what)
	if cmd == "closed" then
		closed[what] = (closed[what] or 0) + 1
	end
end)

local function wait_until(pred)
	for _ = 1, 200 do
		if pred() then
			return true
		end
		skynet.sleep(1)
	end
	return pred()
end

T.case("skynet.exit closes every suspended coroutine and fails its callers", function()
	local ex = skynet.newservice("t_exiter", skynet.self())
	local holder = skynet.newservice("t_holder")
	T.eq(skynet.call(ex, "lua", "park"), true)
	T.eq(skynet.call(ex, "lua", "call_holder", holder), true)
	local blocked_err
	skynet.fork(function()
		local ok, err = pcall(skynet.call, ex, "lua", "block")
		blocked_err = ok and "returned" or err
	end)
	skynet.sleep(5)
	T.eq(skynet.call(holder, "lua", "owed"), 1, "the holder owes the exiter an answer")
	skynet.send(ex, "lua", "exit")
	T.ok(wait_until(function() return blocked_err ~= nil end), "the blocked caller still waits")
	T.ok(string.find(tostring(blocked_err), "call failed", 1, true), tostring(blocked_err))
	T.ok(wait_until(function() return closed["exiting coroutine"] end), "the exiting coroutine was not closed")
	for _, what in ipairs { "forked wait", "forked sleep", "blocked request", "call to holder", "exiting coroutine" } do
		T.eq(closed[what], 1, what .. " closed")
	end
	T.eq(skynet.call(holder, "lua", "owed"), 0, "the holder was not told the exiter is gone")
	T.ok(not pcall(skynet.call, ex, "lua", "park"), "a call after exit returned")
end)

T.case("a <close> variable in a dispatch function that raises runs", function()
	local ex = skynet.newservice("t_exiter", skynet.self())
	local ok, err = pcall(skynet.call, ex, "lua", "raise")
	T.ok(not ok, "the call did not fail")
	T.ok(string.find(tostring(err), "call failed", 1, true), tostring(err))
	T.ok(wait_until(function() return closed["raising request"] end), "not closed")
	T.eq(closed["raising request"], 1)
	T.eq(skynet.call(ex, "lua", "park"), true, "the service lives on")
end)

T.run()
