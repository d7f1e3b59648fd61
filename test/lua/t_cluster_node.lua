-- t_cluster_node: the start service of the peer node in test/net/cluster.sh.
-- Opens the cluster port of node `cluster_self` (from the cluster file),
-- registers itself as cluster name "sdb" and local name ".echo", then logs
-- "cluster node NAME ready" (with cluster_etcd: listens on a free port,
-- named by cluster_nodename, and registered in etcd). Serves:
--   echo ...        the arguments back         size s     #s
--   big n           a string of n bytes        fail       raises
--   bump i (send)   counts sends, checks order count      bumps, in order
--   sleep cs        answers after cs cs        whoami     this node's name
--   call node addr ...  cluster.call from here (calls back the other way)
local skynet = require "skynet"
require "skynet.manager"
local cluster = require "skynet.cluster"

local me = skynet.getenv "cluster_self"
local bumps, ordered = 0, true
local cmd = {}

function cmd.echo(...) return ... end
function cmd.size(s) return #s end
function cmd.big(n) return string.rep("b", n) end
function cmd.fail() error("failed on purpose") end
function cmd.count() return bumps, ordered end
function cmd.whoami() return me end
function cmd.sleep(cs)
	skynet.sleep(cs)
	return cs
end
function cmd.bump(i)
	bumps = bumps + 1
	if i ~= bumps then
		ordered = false
	end
end
function cmd.call(node, addr, ...)
	return cluster.call(node, addr, ...)
end

skynet.start(function()
	skynet.dispatch("lua", function(session, _, c, ...)
		local f = assert(cmd[c], c)
		if session == 0 then
			f(...)
		else
			skynet.retpack(f(...))
		end
	end)
	skynet.name(".echo", skynet.self())
	cluster.register("sdb")
	if skynet.getenv "cluster_etcd" then
		cluster.open(0) -- clusteretcd tells the others where
	else
		cluster.open(me)
	end
	skynet.error("cluster node " .. me .. " ready")
end)
