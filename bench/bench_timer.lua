-- bench_timer: N coroutines (config bench_n, default 10,000) each
-- skynet.sleep(100) at once; lateness = wall time slept - 1 s, measured with
-- skynet.hpc. Figures: p50 / p99 / max lateness in ms. The timer ticks every
-- 10 ms, so a sleep started between ticks may end up to 10 ms early.
local skynet = require "skynet"
local B = require "benchlib"

B.main(function()
	local n = B.param("bench_n", 10000)
	local late = {}
	local main = coroutine.running()
	for i = 1, n do
		skynet.fork(function()
			local t0 = skynet.hpc()
			skynet.sleep(100)
			late[#late + 1] = (skynet.hpc() - t0) / 1e6 - 1000
			if #late == n then
				skynet.wakeup(main)
			end
		end)
	end
	skynet.wait(main)
	table.sort(late)
	local function pct(p)
		return late[math.max(1, math.ceil(#late * p))]
	end
	local extra = { n = n, min = string.format("%.2f", late[1]) }
	B.report("timer_p50", pct(0.50), "ms", extra)
	B.report("timer_p99", pct(0.99), "ms", extra)
	B.report("timer_max", late[#late], "ms", extra)
end)
