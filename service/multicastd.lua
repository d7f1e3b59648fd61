-- multicastd: the channels of skynet.multicast on this node. A channel id's
-- low byte is the harbor id of the node that made it (so a channel can be
-- routed to its owner when nodes link up); PUB hands the package to
-- skynet.multicast.core, which sends its address once to each subscriber.
-- Channels of another harbor are refused until the multi-node work lands.
local skynet = require "skynet"
local mc = require "skynet.multicast.core"
local datacenter = require "skynet.datacenter"

local harbor_id = skynet.harbor(skynet.self())
local channel = {}  -- id -> { [subscriber handle] = true }
local next_id = mc.nextid(harbor_id)
local NORET = {}

local function local_channel(c)
	if type(c) ~= "number" or c % 256 ~= harbor_id then
		error(string.format("multicast: channel %s belongs to another node (harbor %s); remote channels are not supported yet",
			tostring(c), type(c) == "number" and tostring(c % 256) or "?"))
	end
	local group = channel[c]
	if group == nil then
		error(string.format("multicast: unknown channel %s", tostring(c)))
	end
	return group
end

local command = {}

function command.NEW()
	while channel[next_id] do
		next_id = mc.nextid(next_id)
	end
	local id = next_id
	channel[id] = {}
	next_id = mc.nextid(next_id)
	return id
end

function command.DEL(source, c)
	channel[c] = nil
	return NORET
end

function command.PUB(source, c, pkg, sz)
	local ok, group = pcall(local_channel, c)
	if not ok then
		mc.publish(pkg, c, source, {}) -- frees it
		error(group, 0)
	end
	mc.publish(pkg, c, source, group)
end

function command.SUB(source, c)
	local_channel(c)[source] = true
end

function command.USUB(source, c)
	local group = channel[c]
	if group then
		group[source] = nil
	end
	return NORET
end

skynet.start(function()
	skynet.dispatch("lua", function(_, source, cmd, ...)
		local f = command[cmd]
		if f == nil then
			error("multicastd: unknown command " .. tostring(cmd))
		end
		local result = f(source, ...)
		if result ~= NORET then
			skynet.retpack(result)
		end
	end)
	skynet.info_func(function()
		local info = {}
		for id, group in pairs(channel) do
			local n = 0
			for _ in pairs(group) do
				n = n + 1
			end
			info[string.format("%x", id)] = n
		end
		return info
	end)
	datacenter.set("multicast", harbor_id, skynet.self())
end)
