-- bench_send: one producer skynet.sends N small messages (config bench_n,
-- default 1,000,000) to a counting consumer; the clock stops when the
-- consumer has counted them all (a call queued behind the sends).
-- Figures: msgs/s end to end, and the producer's own send rate.
local skynet = require "skynet"
local B = require "benchlib"

B.main(function()
	local n = B.param("bench_n", 1000000)
	local counter = skynet.newservice("bench_counter")
	for i = 1, 1000 do -- warm up
		skynet.send(counter, "lua", 0)
	end
	local base = skynet.call(counter, "lua", "count")
	local t0 = skynet.hpc()
	for i = 1, n do
		skynet.send(counter, "lua", i)
	end
	local tp = B.seconds(t0, skynet.hpc())
	local count, sum = skynet.call(counter, "lua", "count")
	local dt = B.seconds(t0, skynet.hpc())
	if count - base ~= n or sum ~= n * (n + 1) // 2 then
		error(string.format("consumer counted %d messages (sum %d), expected %d", count - base, sum, n))
	end
	B.report("send", n / dt, "msgs/s", { n = n, seconds = string.format("%.3f", dt) })
	-- How fast the producer alone got its sends out: tells which side limits.
	B.report("send_producer", n / tp, "msgs/s", { n = n, seconds = string.format("%.3f", tp) })
end)
