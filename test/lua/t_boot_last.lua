-- t_boot_last: starts two services that exit on their own, then exits itself:
-- the node must stop when its last service is gone (boot tests; it is the
-- bootstrap, so no launcher or other system service keeps the node alive).
local skynet = require "skynet"
require "skynet.manager"

skynet.start(function()
	for i = 1, 2 do
		skynet.launch("snlua", "t_boot_exit", i)
	end
	skynet.error("last: started")
	skynet.exit()
end)
