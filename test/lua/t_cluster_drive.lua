-- t_cluster_drive: the testlib driver of test/net/cluster.sh, node "b" of a
-- two-node cluster (t_cluster_node is node "a"). The shell watches this log:
-- "CLUSTER_STOP a" -> it stops node a, "CLUSTER_START a" -> it starts it
-- again. Config `cluster_drive = secret` runs the cluster_secret cases only.
local skynet = require "skynet"
require "skynet.manager"
local cluster = require "skynet.cluster"
local T = require "testlib"

local mode = skynet.getenv "cluster_drive"

T.case("call by cluster name, local name and handle", function()
	local a, b, c = cluster.call("a", "@sdb", "echo", 1, "two", { three = 3 })
	T.eq(a, 1, "first")
	T.eq(b, "two", "second")
	T.eq(c.three, 3, "table")
	T.eq(cluster.call("a", ".echo", "whoami"), "a", "local name")
	local h = cluster.query("a", "sdb")
	T.eq(type(h), "number", "query gives a handle")
	T.eq(cluster.call("a", h, "whoami"), "a", "by handle")
end)

if mode == "secret" then
	T.run()
	return
end

T.case("the peer's error fails the call", function()
	T.raises("cluster node [a]", cluster.call, "a", "@sdb", "fail")
	T.raises("Invalid name", cluster.call, "a", "@nosuch", "echo")
	T.raises("name not found", cluster.query, "a", "nosuch")
end)

T.case("sends arrive in order, before a later call", function()
	for i = 1, 2000 do
		cluster.send("a", "@sdb", "bump", i)
	end
	local n, ordered = cluster.call("a", "@sdb", "count")
	T.eq(n, 2000, "count")
	T.eq(ordered, true, "in order")
end)

T.case("large messages both ways (multi-part, 1 MiB)", function()
	for _, n in ipairs { 0x7fff, 0x8000, 0x8001, 0x10000, 1024 * 1024 } do
		local s = string.rep("x", n)
		T.eq(cluster.call("a", "@sdb", "size", s), n, "sent " .. n)
		T.eq(#cluster.call("a", "@sdb", "big", n), n, "received " .. n)
	end
	cluster.send("a", "@sdb", "bump", string.rep("y", 100000))
	T.eq(cluster.call("a", "@sdb", "echo", "after"), "after", "a large send then a call")
end)

T.case("concurrent calls", function()
	local done, bad = 0, 0
	local co = coroutine.running()
	for i = 1, 50 do
		skynet.fork(function()
			local v = cluster.call("a", "@sdb", "sleep", i % 5)
			if v ~= i % 5 then bad = bad + 1 end
			done = done + 1
			if done == 50 then skynet.wakeup(co) end
		end)
	end
	skynet.wait(co)
	T.eq(bad, 0, "wrong answers")
end)

T.case("the peer calls back (both directions)", function()
	cluster.register("back")
	T.eq(cluster.call("a", "@sdb", "call", "b", "@back", "ping"), "pong", "a calls b")
end)

T.case("proxy: a local address that forwards", function()
	local p = cluster.proxy("a", "@sdb")
	T.eq(skynet.call(p, "lua", "whoami"), "a", "call")
	skynet.name(".remote_sdb", p)
	T.eq(skynet.call(".remote_sdb", "lua", "echo", "x"), "x", "by local name")
	T.eq(cluster.proxy("a@sdb"), p, "node@name form, same proxy")
	local n0 = cluster.call("a", "@sdb", "count")
	skynet.send(p, "lua", "bump", n0 + 1)
	-- the send goes proxy -> sender, a later direct call may overtake it
	T.wait_until(function() return (cluster.call("a", "@sdb", "count")) == n0 + 1 end, 500, "the send through the proxy")
end)

T.case("unknown node with __nowaiting fails naming it", function()
	T.raises("cluster node [nosuch] is absent.", cluster.call, "nosuch", "@sdb", "echo")
end)

T.case("reload: a removed node fails, an added one works", function()
	local nodes = skynet.call(skynet.uniqueservice("clusterd"), "lua", "nodes")
	local a = nodes.a
	cluster.reload { a = false }
	T.raises("cluster node [a] is down.", cluster.call, "a", "@sdb", "echo")
	cluster.reload { a = a, a2 = a }
	T.eq(cluster.call("a", "@sdb", "echo", 1), 1, "back")
	T.eq(cluster.call("a2", "@sdb", "whoami"), "a", "a new name for the same node")
end)

T.case("unregister", function()
	cluster.register("tmpname")
	cluster.unregister("tmpname")
	T.raises("Invalid name", cluster.call, "b", "@tmpname", "x")
end)

T.case("a stopped node: calls fail naming it, then it comes back", function()
	T.expect_error("cluster node \\[a\\]")
	local errors = {}
	local co = coroutine.running()
	local n = 0
	for _ = 1, 4 do
		skynet.fork(function()
			local ok, err = pcall(cluster.call, "a", "@sdb", "sleep", 3000)
			if not ok then errors[#errors + 1] = err end
			n = n + 1
			if n == 4 then skynet.wakeup(co) end
		end)
	end
	skynet.sleep(20)
	skynet.error("CLUSTER_STOP a")
	skynet.wait(co)
	T.eq(#errors, 4, "waiting calls failed")
	for _, e in ipairs(errors) do
		T.ok(e:find("cluster node [a]", 1, true), "error names the node: " .. e)
	end
	T.raises("cluster node [a]", cluster.call, "a", "@sdb", "echo")
	skynet.error("CLUSTER_START a")
	local v = T.wait_until(function()
		local ok, r = pcall(cluster.call, "a", "@sdb", "whoami")
		return ok and r
	end, 1500, "node a to answer again")
	T.eq(v, "a", "whoami")
end)

T.run(function()
	skynet.dispatch("lua", function(_, _, c)
		if c == "ping" then
			skynet.retpack("pong")
		end
	end)
	cluster.open("b")
end)
