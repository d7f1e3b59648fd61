-- t_cluster_game: the testlib driver of the skynet-style flow (as skynet's
-- examples/cluster2.lua) against t_cluster_db: proxy by "node@name", large
-- keys and values through it, trace tags across the link, two names of one
-- node, a reload taking db down while db3 appears, and cluster.snax waiting
-- for a node that is not there yet (__nowaiting = false).
local skynet = require "skynet"
require "skynet.manager"
local cluster = require "skynet.cluster"
local T = require "testlib"

local p1, p2 = skynet.getenv "cluster_db_port", skynet.getenv "cluster_db2_port"

T.case("proxy \"db@sdb\": large key and value through it", function()
	local proxy = cluster.proxy "db@sdb"
	local largekey = string.rep("X", 128 * 1024)
	local largevalue = string.rep("R", 100 * 1024)
	T.eq(skynet.call(proxy, "lua", "SET", largekey, largevalue), nil, "set")
	T.eq(skynet.call(proxy, "lua", "GET", largekey) == largevalue, true, "get")
	skynet.send(proxy, "lua", "PING", "proxy")
end)

T.case("traced calls and two names of one node", function()
	local got = {}
	local co = coroutine.running()
	skynet.fork(function()
		skynet.trace("cluster")
		got[1] = cluster.call("db", "@sdb", "GET", "a")
		got[2] = cluster.call("db2", "@sdb", "GET", "b")
		cluster.send("db2", "@sdb", "PING", "db2:longstring" .. string.rep("R", 100 * 1024))
		skynet.wakeup(co)
	end)
	skynet.wait(co)
	T.eq(got[1], "foobar", "db")
	T.eq(got[2], "foobar2", "db2")
	local pings = T.wait_until(function()
		local p = cluster.call("db", "@sdb", "PINGS")
		return #p >= 2 and p
	end, 500, "both pings")
	T.eq(pings[1], "proxy", "the proxy's send")
	T.eq(#pings[2], #"db2:longstring" + 100 * 1024, "a large send")
end)

T.case("reload: db down, db3 appears; snax waits for it", function()
	skynet.timeout(50, function()
		cluster.reload { db = false, db3 = "127.0.0.1:" .. p2 }
	end)
	cluster.reload { __nowaiting = false }
	local pingserver = cluster.snax("db3", "t_cluster_ping")
	T.eq(pingserver.req.ping "hello", "pong hello", "snax through the cluster")
	local ok, err = pcall(cluster.call, "db", "@sdb", "GET", "a")
	T.eq(ok, false, "db is down")
	T.ok(tostring(err):find("cluster node [db] is down.", 1, true), err)
end)

T.run(function()
	cluster.reload { db = "127.0.0.1:" .. p1, db2 = "127.0.0.1:" .. p2 }
end)
