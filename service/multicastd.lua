-- multicastd: the channels of skynet.multicast on this node. A channel id's
-- low byte is the harbor id of the node that made it (its owner). Every
-- node's multicastd is found through the datacenter ("multicast", harbor id).
--
-- Local delivery: PUB hands the package to skynet.multicast.core, which sends
-- its address once to each local subscriber. Across nodes, as skynet does: a
-- node with subscribers to a remote channel tells the owner once (SUBR); the
-- owner sends each message's bytes once per such node (a "multicast" message
-- to that node's multicastd, session = channel), which fans it out locally.
-- A publish on a remote channel goes to the owner first. DEL at the owner
-- tells the subscribing nodes (DELR).
local skynet = require "skynet"
local mc = require "skynet.multicast.core"
local datacenter = require "skynet.datacenter"

local harbor_id = skynet.harbor(skynet.self())
local channel = {} -- id -> { [subscriber handle] = true } (local subscribers)
local remote = {}  -- id (owned here) -> { [harbor id] = true } nodes subscribed
local next_id = harbor_id -- the first channel's id is the harbor id, as skynet's
local NORET = {}

local node_address = setmetatable({}, {
	__index = function(t, id)
		local addr = datacenter.get("multicast", id)
		if addr == nil then
			error(string.format("multicast: no multicastd on harbor %d", id))
		end
		t[id] = addr
		return addr
	end,
})

local function owner(c)
	if math.type(c) ~= "integer" or c < 0 then
		error("multicast: bad channel id " .. tostring(c))
	end
	return c % 256
end

local function unknown(c)
	error(string.format("multicast: unknown channel %s", tostring(c)))
end

-- Delivers a package: its bytes to each subscribed node (owner only), its
-- address to each local subscriber. Frees it if nobody is there.
local function publish(c, source, pkg)
	local nodes = remote[c]
	if nodes and next(nodes) then
		local bytes = mc.tostring(pkg)
		for node in pairs(nodes) do
			skynet.redirect(node_address[node], source, "multicast", c, bytes)
		end
	end
	mc.publish(pkg, c, source, channel[c] or {})
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
	local node = owner(c)
	if node ~= harbor_id then
		skynet.send(node_address[node], "lua", "DEL", c)
		return NORET
	end
	local nodes = remote[c]
	channel[c], remote[c] = nil, nil
	for n in pairs(nodes or {}) do
		skynet.send(node_address[n], "lua", "DELR", c)
	end
	return NORET
end

-- From the owner: a remote channel this node subscribed to is gone.
function command.DELR(source, c)
	channel[c] = nil
	return NORET
end

function command.PUB(source, c, pkg, sz)
	local ok, node = pcall(owner, c)
	if not ok or (node == harbor_id and channel[c] == nil) then
		mc.publish(pkg, 0, source, {}) -- frees it
		if not ok then
			error(node, 0)
		end
		unknown(c)
	end
	if node ~= harbor_id then
		local bytes = mc.tostring(pkg)
		mc.publish(pkg, 0, source, {})
		skynet.redirect(node_address[node], source, "multicast", c, bytes)
		return
	end
	publish(c, source, pkg)
end

-- From another node's multicastd: it has subscribers to channel c (ours).
function command.SUBR(source, c)
	if channel[c] == nil then
		unknown(c)
	end
	local nodes = remote[c]
	if nodes == nil then
		nodes = {}
		remote[c] = nodes
	end
	nodes[skynet.harbor(source)] = true
end

function command.USUBR(source, c)
	local nodes = remote[c]
	if nodes then
		nodes[skynet.harbor(source)] = nil
	end
	return NORET
end

function command.SUB(source, c)
	local node = owner(c)
	local group = channel[c]
	if group == nil then
		if node == harbor_id then
			unknown(c)
		end
		skynet.call(node_address[node], "lua", "SUBR", c)
		group = channel[c] -- another SUB may have made it meanwhile
		if group == nil then
			group = {}
			channel[c] = group
		end
	end
	group[source] = true
end

function command.USUB(source, c)
	local group = channel[c]
	if group == nil or not group[source] then
		return NORET
	end
	group[source] = nil
	local node = c % 256
	if node ~= harbor_id and next(group) == nil then
		channel[c] = nil
		skynet.send(node_address[node], "lua", "USUBR", c)
	end
	return NORET
end

-- A message's bytes from another node: a publish to a channel we own (from
-- a remote publisher), or the owner passing one on to our subscribers.
skynet.register_protocol {
	name = "multicast",
	id = skynet.PTYPE_MULTICAST,
	unpack = function(msg, sz)
		return msg, sz
	end,
	dispatch = function(c, source, msg, sz)
		skynet.ignoreret()
		local pkg = mc.copy(msg, sz)
		if c % 256 == harbor_id and channel[c] == nil then
			mc.publish(pkg, 0, source, {})
			return
		end
		publish(c, source, pkg)
	end,
}

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
			local nodes = {}
			for node in pairs(remote[id] or {}) do
				nodes[#nodes + 1] = node
			end
			info[string.format("%x", id)] = { subscribers = n, nodes = table.concat(nodes, ",") }
		end
		return info
	end)
	datacenter.set("multicast", harbor_id, skynet.self())
end)
