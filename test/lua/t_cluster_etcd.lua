-- t_cluster_etcd: the testlib driver of test/net/cluster_etcd.sh, node e3 of
-- three nodes meeting through a real etcd (e1 and e2 run t_cluster_node).
-- The shell watches this log: "CLUSTER_KILL e2" -> kill -9 of node e2,
-- "ETCD_STOP" / "ETCD_START" -> it stops / starts etcd, "CLUSTER_START e2"
-- -> node e2 again.
local skynet = require "skynet"
local cluster = require "skynet.cluster"
local T = require "testlib"

local ttl = tonumber(skynet.getenv "cluster_etcd_ttl")

local function answers(node)
	local ok, v = pcall(cluster.call, node, "@sdb", "whoami")
	return ok and v
end

T.case("the nodes find each other through etcd", function()
	T.eq(T.wait_until(function() return answers("e1") end, 1000, "e1 in the table"), "e1", "e1")
	T.eq(T.wait_until(function() return answers("e2") end, 1000, "e2 in the table"), "e2", "e2")
	T.eq(cluster.call("e1", "@sdb", "call", "e2", "@sdb", "whoami"), "e2", "e1 reaches e2")
	T.eq(cluster.call("e2", "@sdb", "call", "e3", "@drive", "whoami"), "e3", "e2 reaches us")
end)

T.case("a killed node is seen gone within the lease time", function()
	skynet.error("CLUSTER_KILL e2")
	local t0 = skynet.now()
	T.wait_until(function()
		local ok, err = pcall(cluster.call, "e2", "@sdb", "whoami")
		return not ok and tostring(err):find("cluster node [e2] is down.", 1, true)
	end, (ttl + 3) * 100, "e2 to be down")
	local dt = (skynet.now() - t0) / 100
	T.ok(dt <= ttl + 1.5, string.format("gone after %.2f s (lease %d s)", dt, ttl))
	T.eq(answers("e1"), "e1", "e1 goes on")
end)

T.case("etcd down: the last table keeps working; back: a node joins again", function()
	skynet.error("ETCD_STOP")
	skynet.sleep(ttl * 100 + 50)
	T.eq(answers("e1"), "e1", "e1 still called")
	skynet.error("ETCD_START")
	skynet.error("CLUSTER_START e2")
	T.eq(T.wait_until(function() return answers("e2") end, 1500, "e2 back in the table"), "e2", "e2 again")
	T.eq(answers("e1"), "e1", "e1")
end)

T.run(function()
	skynet.dispatch("lua", function(_, _, cmd)
		if cmd == "whoami" then
			skynet.retpack("e3")
		end
	end)
	cluster.register("drive")
	cluster.open(0)
end)
