-- examples/cluster1.lua: node "db" of the cluster example. It starts
-- simpledb, names it ".simpledb" locally and "sdb" for the cluster, and
-- listens on db's address from examples/clustername.lua.
local skynet = require "skynet"
require "skynet.manager"
local cluster = require "skynet.cluster"

skynet.start(function()
	local sdb = skynet.newservice("simpledb")
	skynet.name(".simpledb", sdb)
	cluster.register("sdb", sdb)
	skynet.call(sdb, "lua", "SET", "a", "foobar")
	skynet.call(sdb, "lua", "SET", "b", "foobar2")
	cluster.open "db"
	skynet.error("cluster example: node db is up")
end)
