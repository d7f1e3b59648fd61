-- bench_mcsub: a subscriber of bench_multicast. Argument: the channel id.
-- Counts deliveries and their sum; "count" answers both.
local skynet = require "skynet"
local multicast = require "skynet.multicast"

local channel = tonumber((...))
local count, sum = 0, 0

skynet.start(function()
	local ch = multicast.new {
		channel = channel,
		dispatch = function(_, _, n)
			count = count + 1
			sum = sum + n
		end,
	}
	ch:subscribe()
	skynet.dispatch("lua", function()
		skynet.retpack(count, sum)
	end)
end)
