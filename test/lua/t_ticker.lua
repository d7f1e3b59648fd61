-- t_ticker: logs "tick N" every 5 centiseconds until the node stops (boot tests).
local skynet = require "skynet"

skynet.start(function()
	skynet.fork(function()
		local n = 0
		while true do
			n = n + 1
			skynet.error("tick " .. n)
			skynet.sleep(5)
		end
	end)
end)
