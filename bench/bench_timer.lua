-- bench_timer: N coroutines (config bench_n, default 10,000) each
-- skynet.sleep(100) at once. Figures: p50 / p99 / max lateness in ms.
-- Lateness is measured against the tick each sleep is due on, not against
-- 1 s of wall time: the timer ticks every 10 ms, so a sleep begun 7 ms into a
-- tick is due 993 ms later. The reference is the wall time (skynet.hpc) just
-- after the service wakes on a tick, paired with skynet.now() there; the
-- small delay of that wakeup makes the figures slightly optimistic.
local skynet = require "skynet"
local B = require "benchlib"

B.main(function()
	local n = B.param("bench_n", 10000)
	local late = {}
	local main = coroutine.running()
	skynet.sleep(1) -- wake up on a tick boundary
	local ref_ns, ref_tick = skynet.hpc(), skynet.now()
	for i = 1, n do
		skynet.fork(function()
			local due = ref_ns + (skynet.now() + 100 - ref_tick) * 10000000
			skynet.sleep(100)
			late[#late + 1] = (skynet.hpc() - due) / 1e6
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
	local extra = { n = n }
	-- A negative minimum shows how far off the tick reference itself is.
	B.report("timer_min", late[1], "ms", extra)
	B.report("timer_p50", pct(0.50), "ms", extra)
	B.report("timer_p99", pct(0.99), "ms", extra)
	B.report("timer_max", late[#late], "ms", extra)
end)
