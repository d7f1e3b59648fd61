-- t_filter: skynet.filter sees every message before dispatch; this one counts
-- "lua" requests and turns "text" messages into "lua" ones (same buffer, so
-- nothing to free).
local skynet = require "skynet"
require "skynet.manager"

local seen = 0

skynet.register_protocol {
	name = "text",
	id = skynet.PTYPE_TEXT,
	pack = function(...) return skynet.pack(...) end,
	unpack = skynet.unpack,
}

skynet.filter(function(ptype, msg, sz, session, source)
	if ptype == skynet.PTYPE_TEXT then
		ptype = skynet.PTYPE_LUA
	end
	if ptype == skynet.PTYPE_LUA then
		seen = seen + 1
	end
	return ptype, msg, sz, session, source
end, function()
	skynet.dispatch("lua", function(_, _, cmd, x)
		skynet.retpack(cmd, x, seen)
	end)
end)
