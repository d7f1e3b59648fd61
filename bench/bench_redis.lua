-- bench_redis: skynet.db.redis through one connection to the redis-server
-- bench/run.sh started (config bench_redis_port). Figures: `redis` = GET+SET
-- pairs per second, one request at a time (bench_n pairs, default 20,000;
-- 1,000 untimed); `redis_pipe` = pairs per second with db:pipeline, 100
-- pairs (200 commands) per write (bench_n x 10 pairs). The values are
-- checked. run.sh adds redis-benchmark's figures against the same server.
local skynet = require "skynet"
local redis = require "skynet.db.redis"
local B = require "benchlib"

B.main(function()
	local port = assert(tonumber(skynet.getenv "bench_redis_port"), "bench_redis_port")
	local n = B.param("bench_n", 20000)
	local db = redis.connect { host = "127.0.0.1", port = port }
	for i = 1, 1000 do
		db:set("warm" .. i, i)
		db:get("warm" .. i)
	end
	local t0 = skynet.hpc()
	for i = 1, n do
		local k = "k" .. (i % 1000)
		db:set(k, i)
		if db:get(k) ~= tostring(i) then
			error("bad reply for " .. k)
		end
	end
	local t1 = skynet.hpc()
	B.report("redis", n / B.seconds(t0, t1), "pairs/s", { n = n })
	local batch = 100
	local rounds = n * 10 // batch
	local ops = {}
	t0 = skynet.hpc()
	for r = 1, rounds do
		for i = 1, batch do
			local k = "p" .. i
			ops[2 * i - 1] = { "set", k, r }
			ops[2 * i] = { "get", k }
		end
		if db:pipeline(ops) ~= tostring(r) then
			error("bad pipelined reply")
		end
	end
	t1 = skynet.hpc()
	B.report("redis_pipe", rounds * batch / B.seconds(t0, t1), "pairs/s", { batch = batch, n = rounds * batch })
	db:disconnect()
end)
