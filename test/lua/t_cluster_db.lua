-- t_cluster_db: node "db" of the skynet-style flow in test/net/cluster.sh
-- (as skynet's examples/cluster1.lua): sets its table with cluster.reload,
-- serves a key/value service as cluster name "sdb" and local ".simpledb",
-- a snax service, and opens two names (db, db2) on two ports.
-- Config cluster_db_port, cluster_db2_port.
local skynet = require "skynet"
require "skynet.manager"
local cluster = require "skynet.cluster"
local snax = require "skynet.snax"

local kv, pings = {}, {}

skynet.start(function()
	local p1, p2 = skynet.getenv "cluster_db_port", skynet.getenv "cluster_db2_port"
	cluster.reload { db = "127.0.0.1:" .. p1, db2 = "127.0.0.1:" .. p2 }
	local sdb = skynet.self()
	skynet.dispatch("lua", function(session, _, cmd, k, v)
		if cmd == "SET" then
			local last = kv[k]
			kv[k] = v
			skynet.retpack(last)
		elseif cmd == "GET" then
			skynet.retpack(kv[k])
		elseif cmd == "PING" then
			pings[#pings + 1] = k
			if session ~= 0 then skynet.retpack(k) end
		elseif cmd == "PINGS" then
			skynet.retpack(pings)
		end
	end)
	skynet.name(".simpledb", sdb)
	cluster.register("sdb", sdb)
	kv.a, kv.b = "foobar", "foobar2"
	snax.uniqueservice("t_cluster_ping")
	cluster.open "db"
	cluster.open "db2"
	skynet.error("cluster node db ready")
end)
