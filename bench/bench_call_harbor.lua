-- bench_call_harbor: calls between two harbor nodes on loopback (bench/run.sh
-- boots both). With config bench_harbor_role = callee (harbor 1, the master)
-- it starts bench_callee under the global name BENCHCALLEE, logs
-- BENCH_READY and stays up; otherwise (harbor 2) it calls that service:
-- N sequential calls (config bench_n, default 100,000), then N calls from 16
-- concurrent callers (coroutines of this service). Figures: call_harbor and
-- call_harbor_par, calls/s.
local skynet = require "skynet"
local harbor = require "skynet.harbor"
local B = require "benchlib"

local function seq(callee, n)
	for i = 1, n do
		local v = skynet.call(callee, "lua", i)
		if v ~= i then
			error(string.format("call %d answered %s", i, tostring(v)))
		end
	end
end

local function par(callee, n, callers)
	local main = coroutine.running()
	local done = 0
	for c = 1, callers do
		skynet.fork(function()
			seq(callee, n // callers)
			done = done + 1
			if done == callers then
				skynet.wakeup(main)
			end
		end)
	end
	skynet.wait(main)
	return (n // callers) * callers
end

if skynet.getenv "bench_harbor_role" == "callee" then
	skynet.start(function()
		local callee = skynet.newservice("bench_callee")
		skynet.name("BENCHCALLEE", callee)
		harbor.queryname("BENCHCALLEE")
		skynet.error("BENCH_READY")
	end)
	return
end

B.main(function()
	local n = B.param("bench_n", 100000)
	local callee = harbor.queryname("BENCHCALLEE")
	seq(callee, math.min(n // 10, 5000)) -- warm up the link and both nodes
	local t0 = skynet.hpc()
	seq(callee, n)
	local dt = B.seconds(t0, skynet.hpc())
	local thread = skynet.getenv "thread"
	B.report("call_harbor", n / dt, "calls/s", { n = n, seconds = string.format("%.3f", dt), thread = thread })
	t0 = skynet.hpc()
	local done = par(callee, n, 16)
	dt = B.seconds(t0, skynet.hpc())
	B.report("call_harbor_par", done / dt, "calls/s", {
		n = done, callers = 16, seconds = string.format("%.3f", dt), thread = thread,
	})
end)
