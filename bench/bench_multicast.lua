-- bench_multicast: one publisher, 1,000 subscriber services (config
-- bench_subs); N messages (config bench_n, default 1,000) published on one
-- channel. The clock stops when every subscriber has counted every message
-- (a call to each, queued behind its deliveries), and the sums are checked.
-- Figure: deliveries per second (messages x subscribers / seconds).
local skynet = require "skynet"
local multicast = require "skynet.multicast"
local B = require "benchlib"

B.main(function()
	local n = B.param("bench_n", 1000)
	local nsubs = B.param("bench_subs", 1000)
	local ch = multicast.new()
	local subs = {}
	for i = 1, nsubs do
		subs[i] = skynet.newservice("bench_mcsub", tostring(ch.channel))
	end
	ch:publish(0) -- warm up
	local t0 = skynet.hpc()
	for i = 1, n do
		ch:publish(i)
	end
	local tp = B.seconds(t0, skynet.hpc())
	for i, s in ipairs(subs) do
		local count, sum = skynet.call(s, "lua")
		if count ~= n + 1 or sum ~= n * (n + 1) // 2 then
			error(string.format("subscriber %d counted %d (sum %d), expected %d", i, count, sum, n + 1))
		end
	end
	local dt = B.seconds(t0, skynet.hpc())
	B.report("multicast", n * nsubs / dt, "deliveries/s",
		{ n = n, subscribers = nsubs, seconds = string.format("%.3f", dt), publish_s = string.format("%.3f", tp) })
end)
