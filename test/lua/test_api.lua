-- test_api: the core skynet Lua API between services.
-- timeout: 60
local skynet = require "skynet"
local T = require "testlib"

local peer

T.case("pingpong call", function()
	for i = 1, 100 do
		local a, b = skynet.call(peer, "lua", "echo", i, "x" .. i)
		T.eq(a, i)
		T.eq(b, "x" .. i)
	end
end)

T.case("handles carry the harbor id", function()
	T.eq(skynet.self() >> 24, 1, "harbor byte of self")
	T.eq(peer >> 24, 1, "harbor byte of peer")
	T.eq(select(1, skynet.harbor(peer)), 1)
end)

T.case("send keeps order", function()
	for i = 1, 1000 do
		skynet.send(peer, "lua", "record", i)
	end
	local got = skynet.call(peer, "lua", "received")
	T.eq(#got, 1000, "count")
	for i = 1, 1000 do
		T.eq(got[i], i, "message " .. i)
	end
end)

T.case("response closure answered later", function()
	local t0 = skynet.now()
	T.eq(skynet.call(peer, "lua", "later", 10, "late"), "late")
	T.ok(skynet.now() - t0 >= 10, "answered after the sleep")
end)

T.case("error inside a call reaches the caller", function()
	T.expect_error("custom failure")
	local err = T.raises("call failed", skynet.call, peer, "lua", "fail", "custom failure")
	T.ok(string.find(err, skynet.address(peer), 1, true), "names the service: " .. err)
	T.ok(string.find(err, "custom failure", 1, true), "carries the reason: " .. err)
	-- the peer survives
	T.eq(skynet.call(peer, "lua", "echo", 1), 1)
end)

T.case("call to a dead service raises at once", function()
	local p = skynet.newservice("t_peer")
	skynet.call(p, "lua", "echo", 1)
	skynet.send(p, "lua", "exit")
	skynet.sleep(5)
	local t0 = skynet.now()
	T.raises("invalid address", skynet.call, p, "lua", "echo", 1)
	T.ok(skynet.now() - t0 < 5, "no wait")
end)

T.case("messages queued behind an exit are not handled", function()
	local p = skynet.newservice("t_peer")
	skynet.send(p, "lua", "exit")
	for _ = 1, 3 do
		local ok, err = pcall(skynet.call, p, "lua", "echo", "after exit")
		T.eq(ok, false, "answered after exit")
		T.ok(string.find(err, "call failed", 1, true) or string.find(err, "invalid address", 1, true), err)
	end
end)

T.case("service that exits while a call is pending", function()
	local p = skynet.newservice("t_peer")
	skynet.fork(function()
		skynet.sleep(5)
		skynet.send(p, "lua", "exit")
	end)
	T.raises("call failed", skynet.call, p, "lua", "block")
end)

T.case("killing a service with pending calls", function()
	local p = skynet.newservice("t_peer")
	local results = {}
	for i = 1, 3 do
		skynet.fork(function()
			results[i] = table.pack(pcall(skynet.call, p, "lua", "block"))
		end)
	end
	skynet.sleep(5)
	skynet.kill(p)
	skynet.sleep(5)
	for i = 1, 3 do
		T.ok(results[i], "call " .. i .. " returned")
		T.eq(results[i][1], false, "call " .. i .. " failed")
	end
end)

T.case("error in a service's start", function()
	T.expect_error("start failed on purpose")
	T.expect_error("no_such_service_file")
	T.raises("call failed", skynet.newservice, "t_peer", "startfail")
	T.raises("call failed", skynet.newservice, "no_such_service_file")
end)

T.case("wait and wakeup", function()
	local co = coroutine.running()
	local order = {}
	skynet.fork(function()
		order[#order + 1] = "fork"
		skynet.wakeup(co)
	end)
	skynet.wait(co)
	order[#order + 1] = "woken"
	T.eq(table.concat(order, ","), "fork,woken")
end)

T.case("fork order", function()
	local order = {}
	for i = 1, 10 do
		skynet.fork(function(n) order[#order + 1] = n end, i)
	end
	skynet.yield()
	T.eq(table.concat(order, ","), "1,2,3,4,5,6,7,8,9,10")
end)

-- Never early; lateness bounded loosely (a loaded 2-core machine may be late
-- by many ticks: the precise figure is bench/bench_timer.lua's p99).
T.case("sleep and timeout never fire early", function()
	local t0 = skynet.now()
	skynet.sleep(20)
	local d = skynet.now() - t0
	T.ok(d >= 20 and d < 120, "slept " .. d .. " ticks for 20")
	local fired
	t0 = skynet.now()
	skynet.timeout(15, function() fired = skynet.now() end)
	T.wait_until(function() return fired end, 200, "the timeout")
	T.ok(fired - t0 >= 15 and fired - t0 < 115, "fired after " .. (fired - t0))
end)

T.case("sleep interrupted by wakeup", function()
	local co = coroutine.running()
	skynet.fork(function() skynet.wakeup(co) end)
	T.eq(skynet.sleep(1000, co), "BREAK")
end)

T.case("killthread", function()
	local reached
	local co = skynet.fork(function()
		skynet.sleep(10)
		reached = true
	end)
	skynet.yield()
	skynet.killthread(co)
	skynet.sleep(15)
	T.eq(reached, nil, "killed thread did not continue")
end)

T.case("uniqueservice from concurrent callers", function()
	local a, b
	skynet.fork(function() a = skynet.uniqueservice("t_peer") end)
	skynet.fork(function() b = skynet.uniqueservice("t_peer") end)
	T.wait_until(function() return a and b end, 500, "both callers to return")
	T.eq(a, b, "same service")
	T.eq(skynet.queryservice("t_peer"), a, "queryservice")
	-- as skynet's service_mgr: a global unique service is keyed "@name", so
	-- even on one node it is not the local one of the same name
	local g = skynet.uniqueservice(true, "t_peer")
	T.ok(g ~= a, "uniqueservice(true) is another service")
	T.eq(skynet.queryservice(true, "t_peer"), g, "queryservice(true)")
	T.eq(skynet.call("SERVICE", "lua", "QUERY", "@t_peer"), g, "SERVICE knows it as @t_peer")
end)

T.case("request select", function()
	T.expect_error("t_peer.lua:[0-9]+: nope")
	local reqs = skynet.request()
	reqs:add { peer, "lua", "echo", 1 }
	reqs:add { peer, "lua", "later", 5, 2 }
	reqs:add { peer, "lua", "fail", "nope" }
	local got, errs = {}, 0
	for req, resp in reqs:select() do
		if resp then
			got[#got + 1] = resp[1]
		else
			errs = errs + 1
			T.eq(resp, false, "a failed call")
			T.eq(req[3], "fail")
		end
	end
	table.sort(got)
	T.eq(table.concat(got, ","), "1,2")
	T.eq(errs, 1)
	local slow = skynet.request { peer, "lua", "later", 100, 3 }
	local t0 = skynet.now()
	local n = 0
	for _ in slow:select(10) do
		n = n + 1
	end
	T.eq(n, 0, "nothing before the timeout")
	T.ok(skynet.now() - t0 < 50, "select returned at its timeout")
end)

T.case("pack and unpack", function()
	local t = { 1, 2, 3, a = { b = { c = "deep" } }, [100] = true, s = string.rep("z", 70000) }
	local a, b, c, d = skynet.unpack(skynet.packstring(nil, t, 3.5, "x"))
	T.eq(a, nil)
	T.eq(b.a.b.c, "deep")
	T.eq(b[100], true)
	T.eq(#b.s, 70000)
	T.eq(c, 3.5)
	T.eq(d, "x")
	T.raises("Unsupported type", skynet.pack, print)
	T.raises("Unsupported type", skynet.pack, coroutine.create(print))
	local deep = {}
	local cur = deep
	for _ = 1, 40 do
		cur.x = {}
		cur = cur.x
	end
	T.raises("depth", skynet.pack, deep)
end)

T.case("env and time", function()
	T.eq(skynet.getenv("harbor"), "1")
	skynet.setenv("test_key", "v1")
	T.eq(skynet.getenv("test_key"), "v1")
	T.raises("Can't setenv exist key : test_key", skynet.setenv, "test_key", "v2")
	T.ok(math.abs(skynet.time() - os.time()) < 2, "skynet.time is wall time")
	T.ok(skynet.hpc() > 0)
end)

T.case("local names", function()
	skynet.name(".test_peer", peer)
	T.eq(skynet.localname(".test_peer"), peer)
	T.eq(skynet.call(".test_peer", "lua", "echo", "by name"), "by name")
end)

T.case("debug protocol", function()
	T.ok(skynet.call(peer, "debug", "MEM") > 0, "MEM")
	local stat = skynet.call(peer, "debug", "STAT")
	T.ok(stat.message > 0, "STAT message count")
	T.eq(skynet.call(peer, "debug", "SUPPORT", "lua"), true)
	local ok, out = skynet.call(peer, "debug", "RUN", "print(1+1)", "inline")
	T.eq(ok, true)
	T.eq(out, "2")
	skynet.call(peer, "debug", "PING")
end)

T.run(function()
	peer = skynet.newservice("t_peer")
end)
