-- t_mqueue: a service whose "queue" messages run one at a time through
-- skynet.mqueue, for test_mqueue. The handler suspends on "slow" so that
-- ordering across a suspension shows.
local skynet = require "skynet"
local mqueue = require "skynet.mqueue"

local log = {}

skynet.start(function()
	mqueue.register(function(cmd, arg)
		if cmd == "slow" then
			skynet.sleep(2)
			log[#log + 1] = arg
		elseif cmd == "fast" then
			log[#log + 1] = arg
		elseif cmd == "log" then
			return table.concat(log, ",")
		elseif cmd == "fail" then
			error("failed on purpose")
		elseif cmd == "size" then
			return mqueue.size()
		elseif cmd == "answer" then
			return arg
		end
	end)
end)
