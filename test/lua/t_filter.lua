-- t_filter: skynet.filter rewrites every incoming request: the first argument
-- of a "lua" request is doubled before dispatch.
local skynet = require "skynet"
require "skynet.manager"

skynet.filter(function(ptype, msg, sz, session, source)
	if ptype == skynet.PTYPE_LUA then
		local cmd, x = skynet.unpack(msg, sz)
		if cmd == "value" then
			msg, sz = skynet.pack(cmd, x * 2)
		end
	end
	return ptype, msg, sz, session, source
end, function()
	skynet.dispatch("lua", function(_, _, cmd, x)
		skynet.retpack(x)
	end)
end)
