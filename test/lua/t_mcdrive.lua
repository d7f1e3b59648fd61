-- t_mcdrive: the testlib driver on node 2 of test/net/harbor_multicast.sh:
-- skynet.multicast channels with subscribers on two nodes (node 1 is the
-- t_mcnode service MCNODE), published from either node, owned by either.
local skynet = require "skynet"
local multicast = require "skynet.multicast"
local mc = require "skynet.multicast.core"
local T = require "testlib"

local N = 10

local function spawn_local(channel)
	local subs = {}
	for i = 1, N do
		subs[i] = skynet.newservice("t_mcsub", tostring(channel))
	end
	return subs
end

local function wait_all(subs, count, order, what)
	T.wait_until(function()
		for _, s in ipairs(subs) do
			if skynet.call(s, "lua", "got") ~= count then
				return false
			end
		end
		return true
	end, 1000, what)
	for i, s in ipairs(subs) do
		local n, o, dup = skynet.call(s, "lua", "got")
		T.eq(o, order, what .. ": order at subscriber " .. i)
		T.eq(dup, false, what .. ": duplicate at subscriber " .. i)
	end
end

local function join(a, b)
	local all = {}
	for _, v in ipairs(a) do all[#all + 1] = v end
	for _, v in ipairs(b) do all[#all + 1] = v end
	return all
end

local ch, here, there, all

T.case("a channel owned here reaches subscribers on both nodes", function()
	ch = multicast.new()
	T.eq(ch.channel % 256, 2, "harbor byte of node 2")
	here = spawn_local(ch.channel)
	there = skynet.call("MCNODE", "lua", "spawn", ch.channel, N)
	all = join(here, there)
	for v = 1, 5 do
		ch:publish(v)
	end
	wait_all(all, 5, "1,2,3,4,5,", "five publishes")
end)

T.case("a publisher on the other node reaches both nodes", function()
	skynet.call("MCNODE", "lua", "publish", ch.channel, 6)
	wait_all(all, 6, "1,2,3,4,5,6,", "remote publish")
end)

T.case("unsubscribed remote services get nothing more", function()
	for _, s in ipairs(there) do
		skynet.call(s, "lua", "unsubscribe")
	end
	-- their USUBs reach node 1's multicastd before our publish can
	ch:publish(7)
	wait_all(here, 7, "1,2,3,4,5,6,7,", "after unsubscribe")
	for _, s in ipairs(there) do
		T.eq(skynet.call(s, "lua", "got"), 6, "remote subscriber after unsubscribe")
	end
end)

T.case("a channel owned by the other node", function()
	local c = skynet.call("MCNODE", "lua", "new")
	T.eq(c % 256, 1, "harbor byte of node 1")
	local mine = spawn_local(c)
	local theirs = skynet.call("MCNODE", "lua", "spawn", c, N)
	local both = join(mine, theirs)
	local remote = multicast.new { channel = c }
	remote:publish(1)
	skynet.call("MCNODE", "lua", "publish", c, 2)
	remote:publish(3)
	T.wait_until(function()
		for _, s in ipairs(both) do
			if skynet.call(s, "lua", "got") ~= 3 then
				return false
			end
		end
		return true
	end, 1000, "deliveries on both nodes")
	-- delete from the non-owner: the owner drops it and tells us
	T.expect_error("unknown channel")
	remote:delete()
	T.wait_until(function()
		local probe = multicast.new { channel = c }
		local ok = pcall(probe.subscribe, probe)
		probe:unsubscribe()
		return not ok
	end, 500, "the deletion to reach node 2")
	for _, s in ipairs(join(both, join(here, there))) do
		skynet.kill(s)
	end
end)

T.case("no package left on either node", function()
	ch:delete()
	T.wait_until(function() return mc.live() == 0 end, 300, "packages here freed")
	T.wait_until(function() return skynet.call("MCNODE", "lua", "live") == 0 end, 300, "packages on node 1 freed")
end)

T.run()
