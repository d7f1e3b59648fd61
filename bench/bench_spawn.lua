-- bench_spawn: newservice N idle Lua services one after another (config
-- bench_n, default 10,000), then kill them. Figures: services/s started,
-- bytes per idle service as jemalloc allocated bytes (skynet.memory.allocated)
-- and as process RSS growth, the Lua heap of one idle service, services/s
-- killed, bytes still held after the kills.
local skynet = require "skynet"
local memory = require "skynet.memory"
local B = require "benchlib"

B.main(function()
	local n = B.param("bench_n", 10000)
	local list = {}
	-- Warm up the launcher and the loader's caches with one service.
	skynet.kill(skynet.newservice("bench_idle", "report"))
	skynet.sleep(10)
	collectgarbage()
	local mem0, rss0 = memory.allocated(), B.rss()
	local t0 = skynet.hpc()
	for i = 1, n do
		list[i] = skynet.newservice("bench_idle")
	end
	local dt = B.seconds(t0, skynet.hpc())
	skynet.sleep(10) -- let started services finish their first messages
	local mem1, rss1 = memory.allocated(), B.rss()
	t0 = skynet.hpc()
	for i = 1, n do
		skynet.kill(list[i])
	end
	local dk = B.seconds(t0, skynet.hpc())
	list = nil
	skynet.sleep(50) -- the launcher forgets the killed services
	collectgarbage()
	local mem2 = memory.allocated()
	B.report("spawn", n / dt, "services/s", { n = n, seconds = string.format("%.3f", dt) })
	B.report("spawn_mem", (mem1 - mem0) / n, "bytes/service", { n = n, source = "jemalloc" })
	if rss0 and rss1 then
		B.report("spawn_rss", (rss1 - rss0) / n, "bytes/service", { n = n, source = "statm" })
	end
	B.report("kill", n / dk, "services/s", { n = n })
	B.report("spawn_kept", (mem2 - mem0) / n, "bytes/service", { n = n, what = "after_kill" })
end)
