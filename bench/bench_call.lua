-- bench_call: one service skynet.calls another N times with a small argument
-- (config bench_n, default 1,000,000); figure: calls/s.
local skynet = require "skynet"
local B = require "benchlib"

local function run(callee, n)
	for i = 1, n do
		local v = skynet.call(callee, "lua", i)
		if v ~= i then
			error(string.format("call %d answered %s", i, tostring(v)))
		end
	end
end

B.main(function()
	local n = B.param("bench_n", 1000000)
	local callee = skynet.newservice("bench_callee")
	run(callee, math.min(n // 10, 10000)) -- warm up both services
	local t0 = skynet.hpc()
	run(callee, n)
	local dt = B.seconds(t0, skynet.hpc())
	B.report("call", n / dt, "calls/s", { n = n, seconds = string.format("%.3f", dt) })
end)
