-- t_accept_globals: answers the globals the loader gave this service.
local skynet = require "skynet"

skynet.start(function()
	skynet.dispatch("lua", function()
		skynet.retpack(SERVICE_NAME, SERVICE_PATH)
	end)
end)
