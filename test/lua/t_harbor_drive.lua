-- t_harbor_drive: the testlib driver of test/net/harbor.sh, on harbor 4 of a
-- four-node harbor (master on 1, t_harbor_node on 1, 2 and 3). The shell
-- watches this log: "HARBOR_KILL 3" -> it kill -9s node 3, "HARBOR_RESTART 3"
-- -> it starts node 3 again, "HARBOR_KILL 1" -> it kill -9s the master's node. Config `harbor_drive = quick` runs only the
-- first cases (the harbor_secret run, two nodes); `harbor_drive_huge` adds
-- the 64 MiB message.
local skynet = require "skynet"
local harbor = require "skynet.harbor"
local T = require "testlib"

local quick = skynet.getenv "harbor_drive" == "quick"
local nodes = quick and { 1 } or { 1, 2, 3 }

local function node(id)
	return "NODE" .. id
end

T.case("global names resolve on every node", function()
	for _, id in ipairs(nodes) do
		local h = harbor.queryname(node(id))
		T.eq(h >> 24, id, "harbor id of " .. node(id))
		T.eq(harbor.queryname(node(id)), h, "same handle again")
	end
	T.eq(harbor.queryname(".launcher"), skynet.localname(".launcher"), "a local name")
end)

T.case("call across nodes, by name and by handle", function()
	for _, id in ipairs(nodes) do
		local a, b, c = skynet.call(node(id), "lua", "echo", 1, "two", { three = 3 })
		T.eq(a, 1, "first")
		T.eq(b, "two", "second")
		T.eq(c.three, 3, "table")
		T.eq(skynet.call(harbor.queryname(node(id)), "lua", "whoami"), id, "whoami")
	end
end)

T.case("an error raised on the other node fails the call", function()
	local err = T.raises("call failed", skynet.call, node(nodes[#nodes]), "lua", "fail")
	T.ok(err:find(skynet.address(harbor.queryname(node(nodes[#nodes]))), 1, true) or err:find("NODE"), err)
end)

T.case("a call to a missing service on another node fails", function()
	local missing = (nodes[#nodes] << 24) | 0xfff0
	T.raises("call failed", skynet.call, missing, "lua", "echo")
end)

T.case("large messages both ways (4 MiB)", function()
	local n = 4 * 1024 * 1024
	local s = string.rep("x", n)
	T.eq(skynet.call(node(nodes[#nodes]), "lua", "size", s), n, "sent")
	T.eq(#skynet.call(node(nodes[#nodes]), "lua", "big", n), n, "received")
end)

if skynet.getenv "harbor_drive_huge" then -- (one run is enough: 300 MB of copies)
T.case("the largest message a link takes (64 MiB), and one byte more is refused", function()
	local limit = 64 * 1024 * 1024
	local s = string.rep("h", limit - 16) -- the serialized string has a 5-byte header
	T.eq(skynet.call(node(nodes[#nodes]), "lua", "size", s), #s, "sent")
	T.raises("too large", skynet.call, node(nodes[#nodes]), "lua", "size", string.rep("h", limit))
end)
end

T.case("sends arrive in order, before a later call", function()
	local target = harbor.queryname(node(nodes[#nodes]))
	for i = 1, 2000 do
		skynet.send(target, "lua", "bump", i)
	end
	local count, ordered = skynet.call(target, "lua", "count")
	T.eq(count, 2000, "count")
	T.eq(ordered, true, "in order")
end)

T.case("16 concurrent callers", function()
	local done, bad = 0, 0
	local co = coroutine.running()
	for f = 1, 16 do
		skynet.fork(function()
			for i = 1, 100 do
				local id = nodes[(f + i) % #nodes + 1]
				if skynet.call(node(id), "lua", "echo", f * 1000 + i) ~= f * 1000 + i then
					bad = bad + 1
				end
			end
			done = done + 1
			if done == 16 then
				skynet.wakeup(co)
			end
		end)
	end
	skynet.wait(co)
	T.eq(bad, 0, "wrong answers")
end)

T.case("a name registered here is callable there as soon as register returns", function()
	local svc = skynet.newservice("t_harbor_node", "NODE4") -- registers in its start
	for _, id in ipairs(nodes) do
		T.eq(skynet.call(node(id), "lua", "callname", "NODE4", "whoami"), 4, "NODE4 from " .. id)
	end
	T.eq(skynet.call(svc, "lua", "register", "LATE4"), true, "register")
	T.eq(skynet.call(node(nodes[#nodes]), "lua", "callname", "LATE4", "echo", "late"), "late", "LATE4")
	T.eq(skynet.call(node(nodes[1]), "lua", "queryname", "LATE4"), svc, "queryname there")
end)

T.case("queryname waits for a name registered later", function()
	local got
	skynet.fork(function()
		got = harbor.queryname("LATER")
	end)
	skynet.sleep(10)
	T.eq(got, nil, "not yet")
	local svc = skynet.newservice("t_harbor_node", "-")
	skynet.call(svc, "lua", "register", "LATER")
	T.wait_until(function() return got end, 500, "queryname LATER")
	T.eq(got, svc, "handle")
end)

T.case("uniqueservice(true, ...) is one service for every node, on the master's", function()
	local waiting
	skynet.fork(function()
		waiting = skynet.call(node(nodes[#nodes]), "lua", "unique", true)
	end)
	local u = skynet.uniqueservice(true, "t_harbor_node", "-")
	T.eq(u >> 24, 1, "on the standalone node")
	for _, id in ipairs(nodes) do
		T.eq(skynet.call(node(id), "lua", "unique"), u, "from node " .. id)
	end
	T.eq(skynet.queryservice(true, "t_harbor_node"), u, "queryservice")
	T.wait_until(function() return waiting end, 500, "a queryservice that waited")
	T.eq(waiting, u, "the waiting queryservice")
	T.ok(skynet.uniqueservice("t_harbor_node", "-") ~= u, "a local unique service is another one")
end)

T.case("the global service manager speaks skynet's protocol (REPORT, LAUNCH/QUERY @name, LIST)", function()
	-- what a skynet slave's service_mgr sends to SERVICE
	local u = skynet.call("SERVICE", "lua", "QUERY", "@t_harbor_node")
	T.eq(u, skynet.uniqueservice(true, "t_harbor_node", "-"), "QUERY @name")
	T.eq(skynet.call("SERVICE", "lua", "LAUNCH", "@t_harbor_node", "-"), u, "LAUNCH @name")
	local here = skynet.uniqueservice("t_harbor_node", "-")
	-- every node's manager reported at start: the master lists their services
	local list = skynet.call("SERVICE", "lua", "LIST")
	T.eq(list["@t_harbor_node"], skynet.address(u), "the global one")
	T.eq(list["t_harbor_node@" .. skynet.harbor(skynet.self())], skynet.address(here), "this node's, as name@harbor")
end)

T.case("harbor.connect/connectmaster return when up, link when down", function()
	for _, id in ipairs(nodes) do
		harbor.connect(id)
	end
	harbor.connectmaster()
	harbor.link(200) -- never up: returns at once
end)

if not quick then

T.case("a killed node fails the calls waiting on it, naming it", function()
	local errors, answered = {}, 0
	local co = coroutine.running()
	local pending = 6
	for i = 1, pending do
		skynet.fork(function()
			local ok, err = pcall(skynet.call, "NODE3", "lua", "sleep", 3000)
			if ok then
				answered = answered + 1
			else
				errors[#errors + 1] = err
			end
			pending = pending - 1
			if pending == 0 then
				skynet.wakeup(co)
			end
		end)
	end
	skynet.sleep(20) -- the calls are on node 3 now
	local down = false
	skynet.fork(function()
		harbor.link(3)
		down = true
	end)
	skynet.error("HARBOR_KILL 3")
	skynet.wait(co)
	T.eq(answered, 0, "answered calls")
	T.eq(#errors, 6, "failed calls")
	for _, e in ipairs(errors) do
		T.ok(e:find("harbor 3", 1, true), "error names the node: " .. e)
	end
	T.wait_until(function() return down end, 500, "harbor.link(3) to return")
	-- the other nodes go on
	T.eq(skynet.call("NODE2", "lua", "whoami"), 2, "node 2")
	T.eq(skynet.call("NODE1", "lua", "whoami"), 1, "node 1")
	-- a call to it now fails at once, a send is dropped with a log line
	T.raises("harbor 3", skynet.call, "NODE3", "lua", "whoami")
	skynet.send("NODE3", "lua", "bump", 1)
end)

T.case("the node restarts with the same id and rejoins", function()
	skynet.error("HARBOR_RESTART 3")
	harbor.connect(3)
	local id = T.wait_until(function()
		local ok, v = pcall(skynet.call, "NODE3", "lua", "whoami")
		return ok and v
	end, 1500, "NODE3 to answer again")
	T.eq(id, 3, "whoami")
	T.eq(skynet.call("NODE2", "lua", "callname", "NODE3", "echo", "back"), "back", "from node 2")
	T.eq(skynet.call("NODE3", "lua", "callname", "NODE4", "whoami"), 4, "node 3 reaches us")
end)

T.case("the master's node killed: linkmaster returns, the slaves go on", function()
	local gone = false
	skynet.fork(function()
		harbor.linkmaster()
		gone = true
	end)
	local h1 = harbor.queryname("NODE1")
	local failed
	skynet.fork(function()
		local ok, err = pcall(skynet.call, h1, "lua", "sleep", 3000)
		failed = not ok and err
	end)
	skynet.sleep(10)
	skynet.error("HARBOR_KILL 1")
	T.wait_until(function() return gone end, 1000, "harbor.linkmaster() to return")
	T.wait_until(function() return failed end, 1000, "the call to node 1 to fail")
	T.ok(failed:find("harbor 1", 1, true), "names the node: " .. failed)
	T.eq(skynet.call("NODE2", "lua", "whoami"), 2, "node 2 still answers")
	-- (names a node never looked up cannot be resolved without the master)
	T.eq(skynet.call("NODE2", "lua", "callname", "NODE3", "whoami"), 3, "node 2 reaches node 3")
end)

end

T.run()
