-- examples/cluster2.lua: node "game" of the cluster example. It calls node
-- db by cluster name, by local name and through a proxy, and prints what
-- comes back (start examples/config.c1 first).
local skynet = require "skynet"
require "skynet.manager"
local cluster = require "skynet.cluster"

skynet.start(function()
	cluster.open "game"
	local ok, err = pcall(cluster.call, "db", "@sdb", "GET", "a")
	if not ok then
		skynet.error("cluster example: node db does not answer (start examples/config.c1 first): " .. err)
		return
	end
	skynet.error("cluster example: db @sdb GET a = " .. tostring(err))
	skynet.error("cluster example: db .simpledb GET b = " .. tostring(cluster.call("db", ".simpledb", "GET", "b")))
	local proxy = cluster.proxy("db", "@sdb")
	skynet.name(".dbproxy", proxy)
	skynet.call(".dbproxy", "lua", "SET", "c", "through a proxy")
	skynet.error("cluster example: proxy GET c = " .. tostring(skynet.call(".dbproxy", "lua", "GET", "c")))
	cluster.send("db", "@sdb", "SET", "d", "sent")
	cluster.send("db", "@sdb", "PING", "from game")
	skynet.error("cluster example: db @sdb GET d = " .. tostring(cluster.call("db", "@sdb", "GET", "d")))
	skynet.error("cluster example: done")
end)
