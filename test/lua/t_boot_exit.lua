-- t_boot_exit: sleeps a little, says so, exits (boot tests).
local skynet = require "skynet"

local n = ...

skynet.start(function()
	skynet.timeout(10 * tonumber(n), function()
		skynet.error("exit " .. n)
		skynet.exit()
	end)
end)
