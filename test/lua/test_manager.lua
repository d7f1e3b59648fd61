-- test_manager: skynet.manager (forward_type, filter, register/name) and the
-- less common parts of the skynet API: redirect, rawcall, rawsend, ignoreret,
-- unknown request handlers, debug INFO/LINK/TERM, queryservice waiting.
-- timeout: 60
local skynet = require "skynet"
require "skynet.manager"
local T = require "testlib"

local peer

T.case("forward_type proxies requests unchanged", function()
	local proxy = skynet.newservice("t_forward", peer)
	T.eq(skynet.call(proxy, "lua", "echo", "through", 3), "through")
	local a, b = skynet.call(proxy, "lua", "echo", "x", 42)
	T.eq(b, 42)
end)

T.case("filter sees and rewrites messages", function()
	local f = skynet.newservice("t_filter")
	local cmd, x, seen = skynet.call(f, "lua", "value", 21)
	T.eq(x, 21)
	T.eq(seen, 1)
	skynet.register_protocol { name = "text", id = skynet.PTYPE_TEXT, pack = skynet.pack, unpack = skynet.unpack }
	cmd, x, seen = skynet.call(f, "text", "as text", 5)
	T.eq(cmd, "as text", "text turned into lua")
	T.eq(seen, 2)
end)

T.case("rawcall and rawsend", function()
	local msg, sz = skynet.rawcall(peer, "lua", skynet.pack("echo", "raw"))
	T.eq(skynet.unpack(msg, sz), "raw")
	skynet.rawsend(peer, "lua", skynet.pack("record", "rawsend"))
	local got = skynet.call(peer, "lua", "received")
	T.eq(got[#got], "rawsend")
end)

T.case("register and name", function()
	skynet.register(".mgrtest")
	T.eq(skynet.localname(".mgrtest"), skynet.self())
	skynet.name(".mgrpeer", peer)
	T.eq(skynet.call(".mgrpeer", "lua", "echo", 7), 7)
end)

T.case("a request whose arguments can't be unpacked fails the caller", function()
	T.expect_error("Invalid serialize stream")
	local bad = skynet.newservice("t_peer")
	T.raises("call failed", skynet.rawcall, bad, "lua", "\255\255garbage", 9)
end)

T.case("unknown protocol answers the caller with an error", function()
	skynet.register_protocol { name = "nohandler", id = 99, pack = skynet.pack, unpack = skynet.unpack }
	T.raises("call failed", skynet.call, peer, "nohandler", 1)
end)

T.case("dispatch_unknown_request", function()
	local seen
	local prev = skynet.dispatch_unknown_request(function(session, source, msg, sz, prototype)
		seen = prototype
	end)
	T.ok(type(prev) == "function")
	skynet.register_protocol { name = "stray", id = 98, pack = function() return "" end }
	skynet.send(skynet.self(), "stray")
	skynet.sleep(2)
	T.eq(seen, 98)
	skynet.dispatch_unknown_request(prev)
end)

T.case("ignoreret", function()
	local ok = pcall(skynet.ignoreret)
	T.ok(ok, "ignoreret without a request is harmless")
end)

T.case("debug INFO, LINK and TERM", function()
	local p = skynet.newservice("t_peer")
	T.eq(skynet.call(p, "debug", "INFO"), nil, "no info function")
	local linked
	skynet.fork(function()
		linked = table.pack(pcall(skynet.call, p, "debug", "LINK"))
	end)
	skynet.sleep(2)
	T.eq(linked, nil, "LINK waits while the service lives")
	skynet.kill(p)
	skynet.sleep(5)
	T.ok(linked, "LINK returned when the service died")
	T.eq(linked[1], false)
end)

T.case("debug GC, TASK, UNIQTASK, EXIT", function()
	local p = skynet.newservice("t_peer")
	skynet.fork(function() pcall(skynet.call, p, "lua", "block") end)
	skynet.fork(function() pcall(skynet.call, p, "lua", "sleep", 500) end)
	skynet.sleep(2)
	T.ok(skynet.call(p, "debug", "GC") > 0, "GC returns the heap size")
	local tasks = skynet.call(p, "debug", "TASK")
	local n = 0
	for _, tb in pairs(tasks) do
		n = n + 1
		T.ok(string.find(tb, "stack traceback", 1, true), "a traceback")
	end
	T.eq(n, 2, "two suspended tasks (block, sleep)")
	local uniq = skynet.call(p, "debug", "UNIQTASK")
	local groups = 0
	for head, stack in pairs(uniq) do
		groups = groups + 1
		T.ok(string.find(head, "^1\tsessions:%[%d+%]\n$"), head)
		T.ok(string.find(stack, "stack traceback", 1, true), "a traceback")
	end
	T.eq(groups, 2)
	skynet.send(p, "debug", "EXIT")
	skynet.sleep(5)
	T.raises("invalid address", skynet.call, p, "lua", "echo", 1)
end)

T.case("uniqtask and trace_timeout in this service", function()
	local co = coroutine.running()
	for _ = 1, 3 do
		skynet.fork(function() skynet.wait() end)
	end
	skynet.yield()
	local uniq = skynet.uniqtask()
	local total = 0
	for head in pairs(uniq) do
		total = total + tonumber(string.match(head, "^(%d+)\t"))
	end
	T.ok(total >= 3, "the three waiting forks are counted")
	skynet.trace_timeout(true)
	local fired
	local tco = skynet.timeout(100, function() fired = true end)
	local tasks = {}
	skynet.task(tasks)
	local found
	for key, tb in pairs(tasks) do
		if string.find(key, tostring(tco), 1, true) then
			found = tb
		end
	end
	T.ok(found and string.find(found, "^TIMER %d+%+100 : "), "a pending timer shows where it was set: " .. tostring(found))
	skynet.trace_timeout(false)
	tco = skynet.timeout(100, function() fired = true end)
	T.ok(not string.find(skynet.task(skynet.task(tco)), "^TIMER"), "off again: a plain traceback")
end)

T.case("queryservice waits for the launch", function()
	local got
	skynet.fork(function() got = skynet.queryservice("t_ticker") end)
	skynet.sleep(2)
	T.eq(got, nil, "still waiting")
	local t = skynet.uniqueservice("t_ticker")
	skynet.sleep(2)
	T.eq(got, t)
end)

T.case("uniqueservice that fails to start reports to every caller", function()
	T.expect_error("no_such_unique_service")
	T.expect_error("service_mgr.lua:[0-9]+: call failed")
	local errs = 0
	for _ = 1, 2 do
		skynet.fork(function()
			if not pcall(skynet.uniqueservice, "no_such_unique_service") then
				errs = errs + 1
			end
		end)
	end
	skynet.sleep(20)
	T.eq(errs, 2)
end)

T.run(function()
	peer = skynet.newservice("t_peer")
end)
