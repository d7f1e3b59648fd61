-- t_boot_bootstrap: a custom `bootstrap = snlua t_boot_bootstrap`: the first
-- service, launched instead of service/bootstrap.lua; starts a ticker.
local skynet = require "skynet"
require "skynet.manager"

skynet.start(function()
	skynet.error("custom bootstrap running")
	skynet.launch("snlua", "t_ticker")
end)
