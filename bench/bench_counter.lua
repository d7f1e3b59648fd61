-- bench_counter: counts "lua" messages; a request ("count") is answered with
-- the number of one-way messages seen before it and their checksum.
local skynet = require "skynet"

skynet.start(function()
	local count, sum = 0, 0
	skynet.dispatch("lua", function(session, _, v)
		if session == 0 then
			count = count + 1
			sum = sum + v
		else
			skynet.ret(skynet.pack(count, sum))
		end
	end)
end)
