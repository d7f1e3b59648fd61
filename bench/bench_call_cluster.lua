-- bench_call_cluster: calls between two cluster nodes on loopback (bench/run.sh
-- boots both with a cluster file naming "callee" and "caller"). With config
-- bench_cluster_role = callee it opens node "callee", registers bench_callee
-- as cluster name "callee", logs BENCH_READY and stays up; otherwise it
-- calls that service with cluster.call: N sequential calls (config bench_n,
-- default 100,000), then N calls from 16 concurrent callers (coroutines of
-- this service). Figures: call_cluster and call_cluster_par, calls/s.
local skynet = require "skynet"
local cluster = require "skynet.cluster"
local B = require "benchlib"

local function seq(n)
	for i = 1, n do
		local v = cluster.call("callee", "@callee", i)
		if v ~= i then
			error(string.format("call %d answered %s", i, tostring(v)))
		end
	end
end

local function par(n, callers)
	local main = coroutine.running()
	local done = 0
	for _ = 1, callers do
		skynet.fork(function()
			seq(n // callers)
			done = done + 1
			if done == callers then
				skynet.wakeup(main)
			end
		end)
	end
	skynet.wait(main)
	return (n // callers) * callers
end

if skynet.getenv "bench_cluster_role" == "callee" then
	skynet.start(function()
		cluster.register("callee", skynet.newservice("bench_callee"))
		cluster.open("callee")
		skynet.error("BENCH_READY")
	end)
	return
end

B.main(function()
	local n = B.param("bench_n", 100000)
	seq(math.min(n // 10, 5000)) -- warm up the link and both nodes
	local t0 = skynet.hpc()
	seq(n)
	local dt = B.seconds(t0, skynet.hpc())
	B.report("call_cluster", n / dt, "calls/s", { n = n, seconds = string.format("%.3f", dt) })
	t0 = skynet.hpc()
	local done = par(n, 16)
	dt = B.seconds(t0, skynet.hpc())
	B.report("call_cluster_par", done / dt, "calls/s", { n = done, callers = 16, seconds = string.format("%.3f", dt) })
end)
