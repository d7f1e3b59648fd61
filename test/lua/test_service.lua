-- test_service: skynet.service (service_provider + service_cell) from two
-- services, and skynet.require's init order.
-- timeout: 60
-- expect_error: service_boot_fails_marker
local skynet = require "skynet"
local service = require "skynet.service"
local early = require "t_req_early"
local T = require "testlib"

local order_at_load = table.concat(early.order, ",")

-- Runs in its own service: no upvalue but _ENV.
local function kv_main(tag)
	local skynet = require "skynet"
	local db = { tag = tag }
	skynet.start(function()
		skynet.dispatch("lua", function(_, _, cmd, key, value)
			if cmd == "set" then
				db[key] = value
				return skynet.ret()
			end
			skynet.retpack(db[key], SERVICE_NAME)
		end)
	end)
end

local function slow_main()
	local skynet = require "skynet"
	skynet.start(function()
		skynet.sleep(10)
		skynet.dispatch("lua", function() skynet.retpack("slow") end)
	end)
end

T.case("service.new starts one service from a function, with its arguments", function()
	local addr = service.new("kv", kv_main, "first")
	T.eq(type(addr), "number", "address")
	skynet.call(addr, "lua", "set", "A", 1)
	local a, sname = skynet.call(addr, "lua", "get", "A")
	T.eq(a, 1, "the service keeps state")
	T.eq(sname, "service_cell", "it runs in a service_cell")
	T.eq(skynet.call(addr, "lua", "get", "tag"), "first", "arguments of service.new")
	T.eq(service.new("kv", kv_main, "second"), addr, "second new: same service")
	T.eq(service.query("kv"), addr, "query")
end)

T.case("another service finds the same one by new and query", function()
	local addr = service.new("kv", kv_main)
	local user = skynet.newservice("t_service_user")
	T.eq(skynet.call(user, "lua", "new", "kv"), addr, "service.new elsewhere")
	T.eq(skynet.call(user, "lua", "query", "kv"), addr, "service.query elsewhere")
	T.eq(skynet.call(addr, "lua", "get", "A"), 1, "one state")
	skynet.kill(user)
end)

T.case("a query before the launch waits; news during a boot share it", function()
	local user = skynet.newservice("t_service_user")
	local queried
	skynet.fork(function()
		queried = skynet.call(user, "lua", "query", "slow")
	end)
	skynet.sleep(2)
	T.eq(queried, nil, "query waits")
	local got = {}
	for i = 1, 2 do
		skynet.fork(function()
			got[i] = service.new("slow", slow_main)
		end)
	end
	T.wait_until(function() return got[1] and got[2] and queried end, 500, "the launch")
	T.eq(got[1], got[2], "both new calls")
	T.eq(queried, got[1], "the waiting query")
	T.eq(skynet.call(got[1], "lua"), "slow")
	skynet.kill(user)
end)

T.case("mainfunc with an upvalue is refused", function()
	local upvalue = 1
	T.raises("no upvalue", service.new, "bad", function() return upvalue end)
end)

T.case("a mainfunc that fails: the error reaches new and later queries", function()
	T.expect_error("service_boot_fails_marker")
	local ok, err = pcall(service.new, "broken", function()
		error("service_boot_fails_marker")
	end)
	T.eq(ok, false, "new")
	T.ok(err, "error value")
	T.eq(pcall(service.query, "broken"), false, "query after the failure")
end)

T.case("require from the main chunk: init runs before start", function()
	T.eq(order_at_load, "body", "not yet while the main chunk runs")
	T.eq(table.concat(early.order, ","), "body,init")
end)

T.case("require from coroutines: init runs once, after the body, may block", function()
	local user = skynet.newservice("t_service_user")
	local same, ready, inits, order = skynet.call(user, "lua", "require_twice")
	T.eq(same, true, "both coroutines get one module")
	T.eq(ready, true, "init done before require returned")
	T.eq(inits, 1, "init ran once")
	T.eq(order, "body1,body2,init")
	skynet.kill(user)
end)

T.run()
