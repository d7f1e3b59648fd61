-- test_libs: skynet.queue, skynet.coroutine, skynet.datacenter, skynet.profile,
-- skynet.init ordering, SERVICE_NAME, protocols and trace.
-- timeout: 60
local skynet = require "skynet"
local queue = require "skynet.queue"
local scoroutine = require "skynet.coroutine"
local datacenter = require "skynet.datacenter"
local profile = require "skynet.profile"
local T = require "testlib"

local init_order = {}
skynet.init(function() init_order[#init_order + 1] = "init1" end)
skynet.init(function() init_order[#init_order + 1] = "init2" end)

local peer

T.case("skynet.init runs before start, in order", function()
	T.eq(table.concat(init_order, ","), "init1,init2,start")
	local ran
	skynet.init(function() ran = true end)
	T.ok(ran, "init after start runs at once")
end)

T.case("SERVICE_NAME", function()
	T.eq(SERVICE_NAME, "test_libs")
end)

T.case("queue serializes suspended sections", function()
	local cs = queue()
	local log = {}
	for i = 1, 3 do
		skynet.fork(function()
			cs(function()
				log[#log + 1] = "in" .. i
				skynet.sleep(2)
				log[#log + 1] = "out" .. i
			end)
		end)
	end
	skynet.sleep(20)
	T.eq(table.concat(log, ","), "in1,out1,in2,out2,in3,out3")
	T.raises("inner", cs, function() error("inner") end)
	T.eq(cs(function(a) return a + 1 end, 1), 2, "usable after an error")
end)

T.case("skynet.coroutine yields across calls", function()
	local co = scoroutine.create(function(a)
		local r = skynet.call(peer, "lua", "echo", a * 2)
		local b = scoroutine.yield(r)
		skynet.sleep(1)
		return b + 1
	end)
	local ok, v = scoroutine.resume(co, 5)
	T.eq(ok, true)
	T.eq(v, 10)
	T.eq(scoroutine.status(co), "suspended")
	ok, v = scoroutine.resume(co, 7)
	T.eq(ok, true)
	T.eq(v, 8)
	T.eq(scoroutine.status(co), "dead")
	local w = scoroutine.wrap(function() scoroutine.yield(1) return 2 end)
	T.eq(w(), 1)
	T.eq(w(), 2)
end)

T.case("datacenter set, get, wait", function()
	T.eq(datacenter.get("a", "b"), nil)
	datacenter.set("a", "b", 42)
	T.eq(datacenter.get("a", "b"), 42)
	local got
	skynet.fork(function() got = datacenter.wait("later", "key") end)
	skynet.sleep(2)
	T.eq(got, nil)
	datacenter.set("later", "key", "v")
	skynet.sleep(2)
	T.eq(got, "v")
end)

T.case("profile counts CPU time, not waiting", function()
	profile.start()
	skynet.sleep(20)
	local x = 0
	for i = 1, 2000000 do
		x = x + i
	end
	local t = profile.stop()
	T.ok(t > 0 and t < 0.15, "cpu time " .. t .. " excludes the 0.2 s sleep")
	T.raises("profile.start", profile.stop)
end)

T.case("profile keeps the time run before a yield (start inside the handler)", function()
	-- start in a resume that began with nothing profiled, as a message
	-- handler that calls profile.start() does
	skynet.yield()
	profile.start()
	local x = 0
	for i = 1, 2000000 do
		x = x + i
	end
	local before = profile.elapsed()
	skynet.sleep(10)
	local after = profile.elapsed()
	local t = profile.stop()
	T.ok(before > 0.001, "busy before the sleep: " .. before)
	T.ok(after >= before and t >= after, string.format("time only grows: %.4f, %.4f, %.4f", before, after, t))
	T.ok(t < before + 0.05, "the sleep itself costs nothing: " .. t)
end)

T.case("register_protocol and dispatch", function()
	skynet.register_protocol {
		name = "client",
		id = skynet.PTYPE_CLIENT,
		pack = function(s) return s end,
		unpack = skynet.tostring,
	}
	local got
	skynet.dispatch("client", function(_, _, msg) got = msg end)
	skynet.send(skynet.self(), "client", "hello")
	skynet.sleep(1)
	T.eq(got, "hello")
end)

T.case("trace tags calls", function()
	skynet.trace("test")
	T.ok(skynet.tracetag(), "has a tag")
	T.eq(skynet.call(peer, "lua", "echo", 1), 1)
end)

T.case("task counts suspended sessions", function()
	skynet.fork(function() skynet.sleep(50) end)
	skynet.yield()
	T.ok(skynet.task() >= 1, "a sleeping task")
	local t = {}
	skynet.task(t)
	T.ok(next(t), "tracebacks")
	T.ok(skynet.mqlen() >= 0)
end)

T.run(function()
	init_order[#init_order + 1] = "start"
	peer = skynet.newservice("t_peer")
end)
