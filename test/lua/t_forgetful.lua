-- t_forgetful: answers nothing to "forget" requests (skynet logs "Maybe
-- forgot response session ..."), and "ping" normally.
local skynet = require "skynet"

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd)
		if cmd == "ping" then
			skynet.retpack("pong")
		end
	end)
end)
