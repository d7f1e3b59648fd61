-- t_boot_raise: a start service whose start function raises (boot tests).
local skynet = require "skynet"

skynet.start(function()
	error("the game failed to start on purpose")
end)
