-- t_boot_tools: runs skynet's tool services the way skynet code launches
-- them (boot tests): dbg LIST and cmemory print on stdout and exit, then
-- abort stops the node.
local skynet = require "skynet"

skynet.start(function()
	skynet.newservice("dbg", "LIST")
	skynet.newservice("cmemory")
	skynet.error("tools: dbg and cmemory returned")
	skynet.newservice("abort")
	skynet.error("tools: still running after abort")
end)
