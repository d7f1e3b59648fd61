-- clusterproxy: a local address standing for a service on another cluster
-- node (started by clusterd with node and address). Every lua (or snax)
-- request or send it gets is forwarded untouched to the node's
-- clustersender, so skynet.call/send on the proxy behave as cluster.call/send,
-- and skynet.name("X", proxy) gives the remote service a local name.
local skynet = require "skynet"
require "skynet.manager"

local node, address, clusterd = ...
address = tonumber(address) or address
clusterd = tonumber(clusterd)

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
	-- in forward mode no response is freed for us: trash the ones read here
	if not clusterd then
		clusterd = skynet.uniqueservice("clusterd")
	end
	local sender
	local function get_sender()
		-- asked again after a failure: the node may have come back
		if not sender then
			local msg, sz = skynet.rawcall(clusterd, "lua", skynet.pack("sender", node))
			sender = skynet.unpack(msg, sz)
			skynet.trash(msg, sz)
		end
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
