-- t_forward: a proxy built with skynet.forward_type: "lua" requests it receives
-- are redirected, message memory and all, to the target given at launch.
local skynet = require "skynet"
require "skynet.manager"

local target = tonumber(...)

skynet.register_protocol {
	name = "forwarded",
	id = 100,
	unpack = function(msg, sz) return msg, sz end,
}

skynet.forward_type({ [skynet.PTYPE_LUA] = 100 }, function()
	skynet.dispatch("forwarded", function(session, source, msg, sz)
		skynet.redirect(target, source, "lua", session, msg, sz)
	end)
end)
