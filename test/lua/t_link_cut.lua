-- t_link_cut: the testlib driver of net_harbor_cut (test/net/harbor.sh) and
-- net_cluster_cut (test/net/cluster.sh). Config cut_mode = harbor: this is
-- harbor 2 and node 1 runs t_harbor_node; cut_mode = cluster: this is
-- cluster node b and node a runs t_cluster_node. It logs "LINK_CUT" and waits
-- for the file named by config cut_flag: the shell has then dropped every
-- packet of the link (no FIN, no RST: a network cut). A call waiting on the
-- other node must then fail within about link_timeout (2 s in those runs),
-- with an error naming the node.
local skynet = require "skynet"
local T = require "testlib"

local mode = skynet.getenv "cut_mode"
local call, names
if mode == "cluster" then
	local cluster = require "skynet.cluster"
	call = function(...) return cluster.call("a", "@sdb", ...) end
	names = "cluster node [a]"
else
	call = function(...) return skynet.call("NODE1", "lua", ...) end
	names = "harbor 1"
end

local function flag_set(path)
	local f = io.open(path)
	if f then
		f:close()
	end
	return f ~= nil
end

T.case("the link works before the cut", function()
	T.eq(call("echo", "before"), "before", "echo")
end)

T.case("a call waiting on a cut-off node fails within link_timeout", function()
	local flag = assert(skynet.getenv "cut_flag")
	skynet.error("LINK_CUT")
	T.wait_until(function() return flag_set(flag) end, 1000, "the shell to cut the link")
	local t0 = skynet.now()
	local ok, err = pcall(call, "echo", "lost")
	local cs = skynet.now() - t0
	T.eq(ok, false, "the call fails")
	T.ok(tostring(err):find(names, 1, true), "names the node: " .. tostring(err))
	T.ok(cs >= 100 and cs <= 1000, "failed after " .. cs .. " cs (link_timeout 2 s)")
end)

T.run()
