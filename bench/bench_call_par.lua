-- bench_call_par: P caller/callee pairs (config bench_pairs, default 8) run
-- at once, N calls in all (config bench_n, default 1,000,000, split evenly);
-- figure: calls/s over the wall time until the last pair is done.
local skynet = require "skynet"
local B = require "benchlib"

B.main(function()
	local pairs_n = B.param("bench_pairs", 8)
	local n = B.param("bench_n", 1000000)
	local each = n // pairs_n
	local callers = {}
	for i = 1, pairs_n do
		callers[i] = skynet.newservice("bench_caller")
	end
	for i = 1, pairs_n do -- warm up
		skynet.call(callers[i], "lua", "run", math.min(each // 10, 2000))
	end
	local done, slowest = 0, 0
	local main = coroutine.running()
	local t0 = skynet.hpc()
	for i = 1, pairs_n do
		skynet.fork(function()
			local ns = skynet.call(callers[i], "lua", "run", each)
			slowest = math.max(slowest, ns)
			done = done + 1
			if done == pairs_n then
				skynet.wakeup(main)
			end
		end)
	end
	skynet.wait(main)
	local dt = B.seconds(t0, skynet.hpc())
	B.report("call_par", each * pairs_n / dt, "calls/s", {
		pairs = pairs_n, n = each * pairs_n, seconds = string.format("%.3f", dt),
	})
end)
