-- t_mcnode: the start service of node 1 in test/net/harbor_multicast.sh.
-- Registers the global name MCNODE and serves, for the driver on node 2:
--   spawn channel n   n t_mcsub subscribers here; returns their handles
--   new               a channel owned by this node
--   publish channel v publishes v from this node
--   live              packages alive in this process
local skynet = require "skynet"
local multicast = require "skynet.multicast"
local mc = require "skynet.multicast.core"
require "skynet.manager"

local cmd = {}

function cmd.spawn(channel, n)
	local subs = {}
	for i = 1, n do
		subs[i] = skynet.newservice("t_mcsub", tostring(channel))
	end
	return subs
end

function cmd.new()
	return multicast.new().channel
end

function cmd.publish(channel, v)
	multicast.new({ channel = channel }):publish(v)
end

function cmd.live()
	return mc.live()
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, c, ...)
		skynet.retpack(assert(cmd[c], c)(...))
	end)
	skynet.register "MCNODE"
	skynet.error("harbor node " .. skynet.getenv "harbor" .. " ready")
end)
