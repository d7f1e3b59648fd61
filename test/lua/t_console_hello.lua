-- t_console_hello: logs its arguments and stays (for the stdin console test).
local skynet = require "skynet"
local args = table.concat({ ... }, " ")

skynet.start(function()
	skynet.error("t_console_hello started: " .. args)
end)
