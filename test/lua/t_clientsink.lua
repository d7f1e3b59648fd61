-- t_clientsink: takes client packets the way a gate agent does (skynet.ignoreret
-- on each, the session being the fd) and answers lua "probe" with the last
-- packet and whether the lazy API tier (skynet/ext.lua) got loaded.
local skynet = require "skynet"

local last

skynet.register_protocol {
	name = "client",
	id = skynet.PTYPE_CLIENT,
	unpack = skynet.tostring,
	dispatch = function(_, _, text)
		skynet.ignoreret()
		last = text
	end,
}

skynet.start(function()
	skynet.dispatch("lua", function()
		skynet.ret(skynet.pack(last, package.loaded["skynet.ext"] ~= nil))
	end)
end)
