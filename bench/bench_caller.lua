-- bench_caller: on request "run", calls its own bench_callee n times and
-- answers with the elapsed nanoseconds. One caller/callee pair of call_par.
local skynet = require "skynet"

skynet.start(function()
	local callee = skynet.newservice("bench_callee")
	skynet.dispatch("lua", function(_, _, cmd, n)
		assert(cmd == "run", "bench_caller: unknown command")
		local t0 = skynet.hpc()
		for i = 1, n do
			local v = skynet.call(callee, "lua", i)
			if v ~= i then
				error(string.format("call %d answered %s", i, tostring(v)))
			end
		end
		skynet.ret(skynet.pack(skynet.hpc() - t0))
	end)
end)
