-- clusterproxy: a local address standing for a service on another cluster
-- node (started by clusterd with node and address). Every lua (or snax)
-- request or send it gets is forwarded untouched to the node's
-- clustersender, so skynet.call/send on the proxy behave as cluster.call/send,
-- and skynet.name("X", proxy) gives the remote service a local name.
local skynet = require "skynet"
require "skynet.manager"

local node, address = ...
address = tonumber(address) or address

skynet.register_protocol {
	name = "system",
	id = skynet.PTYPE_SYSTEM,
	unpack = function(...) return ... end,
}

local forward_map = {
	[skynet.PTYPE_SNAX] = skynet.PTYPE_SYSTEM,
	[skynet.PTYPE_LUA] = skynet.PTYPE_SYSTEM,
	[skynet.PTYPE_RESPONSE] = skynet.PTYPE_RESPONSE,
}

skynet.forward_type(forward_map, function()
	local clusterd = skynet.uniqueservice("clusterd")
	local sender
	local function get_sender()
		-- asked again after a failure: the node may have come back
		sender = sender or skynet.call(clusterd, "lua", "sender", node)
		return sender
	end
	skynet.dispatch("system", function(session, _, msg, sz)
		if session == 0 then
			local ok, s = pcall(get_sender)
			if ok then
				skynet.send(s, "lua", "push", address, msg, sz)
			else
				skynet.trash(msg, sz)
				skynet.error(s)
			end
		else
			local s = get_sender()
			skynet.ret(skynet.rawcall(s, "lua", skynet.pack("req", address, msg, sz)))
		end
	end)
end)
