-- test_fidelity_names: global names on one node, as skynet's dummy harbor
-- serves them: register / name / harbor.globalname, then call and send by
-- name; a call to a name nobody registered yet waits for it; TERM fails it.
-- timeout: 30
-- expect_error: global name already registered: FN_TWICE
local skynet = require "skynet"
require "skynet.manager"
local harbor = require "skynet.harbor"
local T = require "testlib"

local function wait_until(pred, ticks)
	for _ = 1, ticks or 200 do
		if pred() then
			return true
		end
		skynet.sleep(1)
	end
	return pred()
end

T.case("skynet.register, skynet.name and harbor.globalname reach the service", function()
	for _, how in ipairs { "register", "name", "globalname" } do
		local name = "FN_" .. string.upper(how)
		local addr = skynet.newservice("t_named", how, name)
		local pong, who = skynet.call(name, "lua", "ping")
		T.eq(pong, "pong", how .. ": call by name")
		T.eq(who, name, how)
		skynet.send(name, "lua", "note", how)
		T.eq(skynet.call(name, "lua", "get"), how, how .. ": send by name")
		T.eq(harbor.queryname(name), addr, how .. ": queryname")
	end
end)

T.case("a call to a name nobody registered yet waits until it appears", function()
	local got, err
	skynet.fork(function()
		local ok, pong = pcall(skynet.call, "FN_LATE", "lua", "ping")
		got, err = ok and pong, (not ok) and pong
	end)
	skynet.send("FN_LATE", "lua", "note", "sent early")
	skynet.sleep(20)
	T.eq(got, nil, "answered before the name existed")
	T.eq(err, nil, "failed before the name existed")
	skynet.newservice("t_named", "register", "FN_LATE")
	T.ok(wait_until(function() return got ~= nil or err ~= nil end), "the waiting call never returned")
	T.eq(got, "pong", tostring(err))
	T.eq(skynet.call("FN_LATE", "lua", "get"), "sent early", "a send made before the name existed")
end)

T.case("TERM on the debug protocol fails a call waiting for a name", function()
	local err
	skynet.fork(function()
		local ok, e = pcall(skynet.call, "FN_NEVER", "lua", "ping")
		err = ok and "returned" or e
	end)
	skynet.sleep(5)
	T.eq(err, nil)
	skynet.send(skynet.self(), "debug", "TERM", "FN_NEVER")
	T.ok(wait_until(function() return err ~= nil end), "TERM did not fail the call")
	T.ok(string.find(tostring(err), "call failed", 1, true), tostring(err))
	-- skynet.term works the same from inside the service
	skynet.fork(function()
		local ok, e = pcall(skynet.call, "FN_NEVER2", "lua", "ping")
		err = ok and "returned" or e
	end)
	err = nil
	skynet.sleep(5)
	skynet.term("FN_NEVER2")
	T.ok(wait_until(function() return err ~= nil end), "skynet.term did not fail the call")
end)

T.case("a name registered twice is refused, the first owner keeps it", function()
	local first = skynet.newservice("t_named", "register", "FN_TWICE")
	T.eq(harbor.queryname("FN_TWICE"), first)
	T.raises("already registered", skynet.call, ".cslave", "lua", "REGISTER", "FN_TWICE", skynet.self())
	T.eq(skynet.call("FN_TWICE", "lua", "ping"), "pong")
end)

T.case("a message to another harbor's handle fails instead of hanging", function()
	local other = (skynet.self() & 0x00ffffff) | (((skynet.harbor(skynet.self()) + 1) & 0xff) << 24)
	local ok, err = pcall(skynet.call, other, "lua", "ping")
	T.ok(not ok, "call to a handle of a harbor that is not linked returned")
	T.ok(string.find(tostring(err), "call", 1, true), tostring(err))
end)

T.case("global names are checked as skynet checks them", function()
	T.raises("too long", skynet.name, "A_NAME_OF_16_BYT", skynet.self())
	T.raises("can't be a number", skynet.name, "12", skynet.self())
	T.raises("invalid service name", skynet.name, ":0100", skynet.self())
end)

T.case("skynet.manager is the skynet table", function()
	T.eq(require "skynet.manager", skynet)
	T.eq(require("skynet.manager").uniqueservice, skynet.uniqueservice)
end)

T.run()
