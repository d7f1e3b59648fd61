-- test_fidelity_coroutine: skynet.coroutine.thread/running and
-- skynet.profile.start/stop(co) as skynet's.
local skynet = require "skynet"
local scoroutine = require "skynet.coroutine"
local profile = require "skynet.profile"
local T = require "testlib"

T.case("thread(co): a skynet coroutine gives its root caller and false", function()
	local main = coroutine.running()
	local inner_thread, inner_flag, nested_thread, nested_flag
	local co = scoroutine.create(function()
		inner_thread, inner_flag = scoroutine.thread()
		local co2 = scoroutine.create(function()
			nested_thread, nested_flag = scoroutine.thread()
			skynet.sleep(1) -- a skynet suspension inside a nested coroutine
		end)
		T.eq(scoroutine.thread(co2), nil, "not resumed yet: no caller")
		assert(scoroutine.resume(co2))
		return "done"
	end)
	local t, flag = scoroutine.thread()
	T.eq(t, main, "the service thread gives itself")
	T.eq(flag, true)
	local ok, r = scoroutine.resume(co)
	T.ok(ok, tostring(r))
	T.eq(r, "done")
	T.eq(inner_thread, main, "caller of a skynet coroutine")
	T.eq(inner_flag, false)
	T.eq(nested_thread, main, "a nested coroutine gives the root caller")
	T.eq(nested_flag, false)
	local plain = coroutine.create(function() end)
	local p, pflag = scoroutine.thread(plain)
	T.eq(p, plain, "a plain coroutine gives itself")
	T.eq(pflag, true)
	T.eq(scoroutine.running, coroutine.running, "running is coroutine.running")
end)

T.case("resume refuses what skynet refuses, without raising", function()
	local ok, err = scoroutine.resume(coroutine.create(function() end))
	T.eq(ok, false)
	T.eq(err, "cannot resume none skynet coroutine")
	local blocked
	blocked = scoroutine.create(function() skynet.sleep(5) end)
	skynet.fork(function() scoroutine.resume(blocked) end)
	skynet.yield()
	T.eq(scoroutine.status(blocked), "blocked")
	ok, err = scoroutine.resume(blocked)
	T.eq(ok, false)
	T.eq(err, "cannot resume a skynet coroutine suspend by skynet framework")
	skynet.sleep(10)
end)

local function spin(seconds)
	local t0 = os.clock()
	while os.clock() - t0 < seconds do end
end

T.case("profile.start/stop take an optional coroutine", function()
	local co = coroutine.create(function()
		spin(0.05)
		coroutine.yield()
		spin(0.05)
	end)
	profile.start(co)
	profile.resume(co)
	spin(0.1) -- the caller's time is not the coroutine's
	profile.resume(co)
	local t = profile.stop(co)
	T.ok(t >= 0.08 and t < 0.14, "the coroutine's own time: " .. t)
	T.raises("profile.start() before profile.stop()", profile.stop, co)
	profile.start(co)
	T.raises("start profile more than once", profile.start, co)
	profile.stop(co)
	-- a suspended coroutine is not charged while it waits
	local co2 = coroutine.create(function() spin(0.03); coroutine.yield() end)
	profile.start(co2)
	profile.resume(co2)
	spin(0.1)
	local t2 = profile.stop(co2)
	T.ok(t2 < 0.06, "charged while suspended: " .. t2)
	T.raises("thread expected", profile.start, 42)
	-- elapsed reads the clock without stopping it (skynet's testprofile)
	profile.start()
	spin(0.03)
	local e1 = profile.elapsed()
	spin(0.03)
	local e2 = profile.elapsed()
	T.ok(e1 > 0.02 and e2 > e1, "elapsed grows: " .. e1 .. " " .. e2)
	T.ok(profile.stop() >= e2, "stop after elapsed")
	T.raises("profile.start() before profile.elapsed()", profile.elapsed)
end)

T.run()
