-- skynet.db.redis.cluster: a redis cluster client on skynet.db.redis, with
-- skynet's API:
--   cluster.new(startup_nodes, opt, onmessage) -> c
--     startup_nodes: { {host=, port=}, ... } or one such node; opt: { auth,
--     db, max_connections = 256, read_slave }; onmessage(data, channel,
--     pattern) receives pub/sub messages.
--   c:COMMAND(key, ...) / c:call("command", key, ...): routed by the key's
--     hash slot (crc16 of the key, or of its {hash tag}, mod 16384); a MOVED
--     reply updates the slot table (refreshed from CLUSTER SLOTS before the
--     next command) and retries, an ASK retries once on the named node after
--     ASKING; at most 16 tries, then "Too many Cluster redirections?...".
--   c:keyslot(key), c:initialize_slots_cache(), c:flush_slots_cache(),
--   c:close_all_connection(); subscribe/psubscribe/unsubscribe/punsubscribe
--   go to the slot's node through redis.watch.
-- One connection per node, shared by every coroutine; concurrent first uses
-- of a node wait for the one connect in progress.
local skynet = require "skynet"
local redis = require "skynet.db.redis"
local crc16 = require "skynet.db.redis.crc16"

local HASH_SLOTS = 16384
local REQUEST_TTL = 16

local M = {}
local rc = {}
rc.__index = rc

local function nodename(node)
	return string.format("%s:%d", node.host, node.port)
end

local function set_name(node)
	node.name = node.name or nodename(node)
	return node
end

-- once(self, key, f): runs f once for concurrent callers with the same key;
-- every caller gets its result (or its error).
local function once(self, key, f)
	local pending = self.__pending
	local task = pending[key]
	if task then
		local co = coroutine.running()
		task.waiting[#task.waiting + 1] = co
		skynet.wait(co)
	else
		task = { waiting = {} }
		pending[key] = task
		task.result = table.pack(pcall(f))
		pending[key] = nil
		for _, co in ipairs(task.waiting) do
			skynet.wakeup(co)
		end
	end
	local r = task.result
	if not r[1] then
		error(r[2], 0)
	end
	return r[2]
end

function M.new(startup_nodes, opt, onmessage)
	if #startup_nodes == 0 then
		startup_nodes = { startup_nodes }
	end
	opt = opt or {}
	local self = setmetatable({
		startup_nodes = startup_nodes,
		max_connections = opt.max_connections or 256,
		connections = {},
		opt = opt,
		refresh_table_asap = false,
		slots = {},
		nodes = {},
		__onmessage = onmessage,
		__watching = {},
		__pending = {},
	}, rc)
	self:initialize_slots_cache()
	return self
end

function rc:get_redis_link(node)
	return redis.connect { host = node.host, port = node.port, auth = self.opt.auth, db = self.opt.db }
end

function rc:set_node_name(node)
	set_name(node)
end

-- Reads CLUSTER SLOTS from the first startup node that answers.
function rc:initialize_slots_cache()
	for _, start in ipairs(self.startup_nodes) do
		local ok = pcall(function()
			local conn = self:get_connection(set_name(start))
			local list = conn:cluster "slots"
			local slots, nodes = {}, {}
			for _, r in ipairs(list) do
				local master = set_name { host = r[3][1], port = assert(tonumber(r[3][2])), slaves = {} }
				for i = 4, #r do
					master.slaves[#master.slaves + 1] = set_name { host = r[i][1], port = assert(tonumber(r[i][2])) }
				end
				nodes[#nodes + 1] = master
				for slot = tonumber(r[1]), tonumber(r[2]) do
					slots[slot] = master
				end
			end
			self.slots, self.nodes = slots, nodes
			self.refresh_table_asap = false
		end)
		if ok then
			return
		end
	end
end

function rc:flush_slots_cache()
	self.slots = {}
end

function rc:keyslot(key)
	key = tostring(key)
	local s = string.find(key, "{", 1, true)
	if s then
		local e = string.find(key, "}", s + 1, true)
		if e and e > s + 1 then
			key = string.sub(key, s + 1, e - 1)
		end
	end
	return crc16(key) % HASH_SLOTS
end

local no_key = { info = true, multi = true, exec = true, slaveof = true, config = true, shutdown = true }

function rc:get_key_from_command(argv)
	local cmd = string.lower(argv[1])
	if no_key[cmd] then
		return nil
	end
	if cmd == "eval" or cmd == "evalsha" then
		local numkeys = tonumber(argv[3]) or 0
		local first
		for i = 4, 3 + numkeys do
			local slot = self:keyslot(argv[i])
			if first == nil then
				first = slot
			elseif first ~= slot then
				error(cmd .. " - all keys must map to the same key slot")
			end
		end
		return argv[4]
	end
	return argv[2]
end

function rc:close_existing_connection()
	local n = 0
	for _ in pairs(self.connections) do
		n = n + 1
	end
	if n >= self.max_connections then
		local name, conn = next(self.connections)
		self.connections[name] = nil
		pcall(conn.disconnect, conn)
	end
end

function rc:close_all_connection()
	local conns = self.connections
	self.connections = {}
	for _, conn in pairs(conns) do
		pcall(conn.disconnect, conn)
	end
	local watching = self.__watching
	self.__watching = {}
	for _, w in pairs(watching) do
		pcall(w.disconnect, w)
	end
end

function rc:get_connection(node)
	local name = set_name(node).name
	local conn = self.connections[name]
	if conn then
		return conn
	end
	return once(self, name, function()
		local c = self.connections[name]
		if not c then
			self:close_existing_connection()
			c = self:get_redis_link(node)
			self.connections[name] = c
		end
		return c
	end)
end

function rc:get_random_connection()
	local order = {}
	for i = 1, #self.nodes do
		order[i] = i
	end
	for i = #order, 2, -1 do
		local j = math.random(i)
		order[i], order[j] = order[j], order[i]
	end
	for _, i in ipairs(order) do
		local node = self.nodes[i]
		local ok, conn = pcall(self.get_connection, self, node)
		if ok then
			local pok, pong = pcall(conn.ping, conn)
			if pok and pong == "PONG" then
				return conn
			end
			self.connections[node.name] = nil
			pcall(conn.disconnect, conn)
		end
	end
	error("Can't reach a single startup node.")
end

function rc:get_connection_by_slot(slot)
	local node = self.slots[slot]
	if not node then
		return self:get_random_connection()
	end
	local ok, conn = pcall(self.get_connection, self, node)
	if ok then
		return conn
	end
	if self.opt.read_slave and node.slaves and #node.slaves > 0 then
		local slave = node.slaves[math.random(#node.slaves)]
		local sok, sconn = pcall(self.get_connection, self, slave)
		if sok then
			sconn:readonly()
			return sconn
		end
	end
	return self:get_random_connection()
end

local watch_cmd = { subscribe = true, unsubscribe = true, psubscribe = true, punsubscribe = true }

-- One try of argv on conn; returns true, results... or false, error text.
local function try(conn, asking, argv)
	return pcall(function()
		if asking then
			conn:asking()
		end
		local f = conn[argv[1]]
		return f(conn, table.unpack(argv, 2, argv.n))
	end)
end

function rc:call(...)
	local argv = table.pack(...)
	local cmd = argv[1]
	local key = self:get_key_from_command(argv)
	if not key then
		error("No way to dispatch this command to Redis Cluster: " .. tostring(cmd))
	end
	if watch_cmd[cmd] then
		local w = self:get_watch_connection_by_slot(self:keyslot(key))
		return w[cmd](w, table.unpack(argv, 2, argv.n))
	end
	if self.refresh_table_asap then
		self:initialize_slots_cache()
	end
	local ttl = REQUEST_TTL
	local asking, random_node = nil, false
	local last_err
	while ttl > 0 do
		ttl = ttl - 1
		local conn
		if asking then
			conn = self:get_connection(asking)
		elseif random_node then
			random_node = false
			conn = self:get_random_connection()
		else
			conn = self:get_connection_by_slot(self:keyslot(key))
		end
		local r = table.pack(try(conn, asking, argv))
		asking = nil
		if r[1] then
			return table.unpack(r, 2, r.n)
		end
		local err = r[2]
		last_err = tostring(err)
		local kind, slot, addr = string.match(last_err, "^(%u+) (%d+) (%S+)")
		if err == require("skynet.socketchannel").error then
			random_node = true
			if ttl < REQUEST_TTL / 2 then
				skynet.sleep(10)
			end
		elseif kind ~= "MOVED" and kind ~= "ASK" then
			error(last_err, 0)
		else
			local host, port = string.match(addr, "^(.+):(%d+)$")
			local node = set_name { host = host, port = assert(tonumber(port)) }
			if kind == "ASK" then
				asking = node
			else
				self.refresh_table_asap = true
				local old = self.slots[tonumber(slot)]
				node.slaves = old and old.slaves
				self.slots[tonumber(slot)] = node
			end
		end
	end
	error(string.format("Too many Cluster redirections?,maybe node is disconnected (last error: %q)", last_err))
end

function rc:get_watch_connection_by_slot(slot)
	if not self.slots[slot] then
		self:initialize_slots_cache()
	end
	return self:get_watch_connection(assert(self.slots[slot], "no node for slot"))
end

function rc:get_watch_connection(node)
	local name = set_name(node).name
	if self.__watching[name] then
		return self.__watching[name]
	end
	return once(self, "watch " .. name, function()
		local w = self.__watching[name]
		if w then
			return w
		end
		w = redis.watch { host = node.host, port = node.port, auth = self.opt.auth }
		self.__watching[name] = w
		local onmessage = rawget(self, "__onmessage")
		skynet.fork(function()
			while self.__watching[name] == w do
				local ok, data, channel, pattern = pcall(w.message, w)
				if ok then
					if data and onmessage then
						pcall(onmessage, data, channel, pattern)
					end
				elseif self.__watching[name] ~= w or getmetatable(w) == nil then
					return
				else
					skynet.sleep(10)
				end
			end
		end)
		return w
	end)
end

-- every other command by name
setmetatable(rc, { __index = function(t, cmd)
	local f = function(self, ...)
		return self:call(cmd, ...)
	end
	t[cmd] = f
	return f
end })

return M
