-- skynet.cluster: skynet's cluster API (call services on other nodes named in
-- the `cluster` config file). Each calling service keeps its own node ->
-- clustersender cache; sends made while a node's sender is being looked up
-- are queued and go out in order. Everything else is asked of clusterd.
local skynet = require "skynet"

local clusterd
local cluster = {}
local sender = {}     -- node -> clustersender
local resolving = {}  -- node -> { waiting coroutines, sends = { packed } }

local function repack(address, ...)
	return address, skynet.pack(...)
end

-- Asks clusterd for the node's sender; flushes the sends queued meanwhile and
-- wakes the callers waiting for it.
local function lookup(node, q)
	local ok, s = pcall(skynet.call, clusterd, "lua", "sender", node)
	resolving[node] = nil
	if ok then
		sender[node] = s
		for _, m in ipairs(q.sends) do
			skynet.send(s, "lua", "push", repack(skynet.unpack(m)))
		end
	else
		q.err = s
		if #q.sends > 0 then
			skynet.error(string.format("cluster.send to node %s dropped: %s", tostring(node), tostring(s)))
		end
	end
	for _, co in ipairs(q) do
		skynet.wakeup(co)
	end
	return ok, s
end

local function start_lookup(node)
	local q = { sends = {} }
	resolving[node] = q
	return q
end

local function get_sender(node)
	local s = sender[node]
	if s then
		return s
	end
	local q = resolving[node]
	if q == nil then
		local ok, r = lookup(node, start_lookup(node))
		if not ok then
			error(r, 0)
		end
		return r
	end
	local co = coroutine.running()
	q[#q + 1] = co
	skynet.wait(co)
	return sender[node] or error(q.err, 0)
end


function cluster.call(node, address, ...)
	-- the packed arguments are freed by the sender (skynet.cluster.core)
	local s = sender[node] or get_sender(node)
	return skynet.unpack(skynet.rawcall(s, "lua", skynet.pack("req", address, skynet.pack(...))))
end

function cluster.send(node, address, ...)
	local s = sender[node]
	if s then
		return skynet.send(s, "lua", "push", address, skynet.pack(...))
	end
	local q = resolving[node]
	if q == nil then
		q = start_lookup(node)
		skynet.fork(lookup, node, q)
	end
	q.sends[#q.sends + 1] = skynet.packstring(address, ...)
end

function cluster.open(port, maxclient)
	if type(port) == "string" then
		return skynet.call(clusterd, "lua", "listen", port, nil, maxclient)
	else
		return skynet.call(clusterd, "lua", "listen", "0.0.0.0", port, maxclient)
	end
end

function cluster.reload(config)
	skynet.call(clusterd, "lua", "reload", config)
end

function cluster.proxy(node, name)
	return skynet.call(clusterd, "lua", "proxy", node, name)
end

function cluster.snax(node, name, address)
	local snax = require "skynet.snax"
	if not address then
		address = cluster.call(node, ".service", "QUERY", "snaxd", name)
	end
	local handle = skynet.call(clusterd, "lua", "proxy", node, address)
	return snax.bind(handle, name)
end

function cluster.register(name, addr)
	assert(type(name) == "string")
	assert(addr == nil or type(addr) == "number")
	return skynet.call(clusterd, "lua", "register", name, addr or skynet.self())
end

function cluster.unregister(name)
	assert(type(name) == "string")
	return skynet.call(clusterd, "lua", "unregister", name)
end

function cluster.query(node, name)
	local s = sender[node] or get_sender(node)
	return skynet.unpack(skynet.rawcall(s, "lua", skynet.pack("req", 0, skynet.pack(name))))
end

skynet.init(function()
	clusterd = skynet.uniqueservice("clusterd")
end)

return cluster
