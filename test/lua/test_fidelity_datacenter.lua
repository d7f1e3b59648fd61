-- test_fidelity_datacenter: skynet.datacenter as skynet's: served under the
-- global name DATACENTER; nested get/set; wait returns once the key is set,
-- and raises at the waiter when the key becomes a branch instead.
-- timeout: 30
local skynet = require "skynet"
require "skynet.manager"
local harbor = require "skynet.harbor"
local datacenter = require "skynet.datacenter"
local T = require "testlib"

local function wait_until(pred)
	for _ = 1, 200 do
		if pred() then
			return true
		end
		skynet.sleep(1)
	end
	return pred()
end

T.case("served under the global name DATACENTER", function()
	local addr = harbor.queryname("DATACENTER")
	T.eq(type(addr), "number")
	T.eq(skynet.call("DATACENTER", "lua", "UPDATE", "direct", 1), nil)
	T.eq(datacenter.get("direct"), 1)
	T.eq(skynet.localname(".datacenter"), nil, "no local name of ours")
end)

T.case("nested get and set", function()
	T.eq(datacenter.set("player", "alice", "level", 3), nil, "set returns the old value")
	T.eq(datacenter.get("player", "alice", "level"), 3)
	T.eq(datacenter.set("player", "alice", "level", 4), 3, "the old value")
	local alice = datacenter.get("player", "alice")
	T.eq(type(alice), "table", "a branch is a table")
	T.eq(alice.level, 4)
	T.eq(datacenter.get("player").alice.level, 4)
	T.eq(datacenter.get("nobody"), nil)
	T.eq(datacenter.get("player", "bob", "level"), nil, "a missing branch")
	datacenter.set("player", "alice", nil)
	T.eq(datacenter.get("player", "alice"), nil, "set to nil removes")
end)

T.case("wait returns when the key is set", function()
	local got
	skynet.fork(function() got = datacenter.wait("later", "key") end)
	skynet.fork(function() got = got or datacenter.wait("later", "key") end)
	skynet.sleep(5)
	T.eq(got, nil, "returned before the set")
	datacenter.set("later", "key", "v1")
	T.ok(wait_until(function() return got ~= nil end), "the waiter never returned")
	T.eq(got, "v1")
	T.eq(datacenter.wait("later", "key"), "v1", "a set key returns at once")
end)

T.case("a wait on a key that becomes a branch raises at the waiter", function()
	local result
	skynet.fork(function()
		local ok, err = pcall(datacenter.wait, "tree")
		result = ok and "returned" or tostring(err)
	end)
	skynet.sleep(5)
	datacenter.set("tree", "leaf", 1)
	T.ok(wait_until(function() return result ~= nil end), "the waiter never returned")
	T.ok(string.find(result, "call failed", 1, true), result)
end)

T.run()
