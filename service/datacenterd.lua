-- datacenterd: keeps the tree behind skynet.datacenter (global name
-- DATACENTER) and answers waiters.
--   QUERY k1 ... kn        the value at that path (nil when a level is missing)
--   UPDATE k1 ... kn v     sets it, creating branches; returns the old value.
--                          Setting a key that had no value wakes its waiters
--                          with v; waiters on a key that just became a
--                          branch (a deeper key was set) get an error.
--   WAIT k1 ... kn         the value, or waits for UPDATE to set it
local skynet = require "skynet"

local database = {}
-- The waiters' tree: a branch is { [KIND] = "branch", key -> node }, a leaf
-- (one waited-on key) is { [KIND] = "queue", response closures... }.
local waiting = {}
local KIND = {}

local function query(node, n, keys)
	for i = 1, n do
		if type(node) ~= "table" then
			return nil
		end
		node = node[keys[i]]
	end
	return node
end

local command = {}

function command.QUERY(...)
	return query(database, select("#", ...), { ... })
end

-- Sets keys[1..n-1] = keys[n]; returns the old value.
local function update(keys, n)
	local node = database
	for i = 1, n - 2 do
		local k = keys[i]
		local nxt = node[k]
		if nxt == nil then
			nxt = {}
			node[k] = nxt
		elseif type(nxt) ~= "table" then
			error(string.format("datacenter: key %s is a value, not a branch", tostring(k)))
		end
		node = nxt
	end
	local k = keys[n - 1]
	local old = node[k]
	node[k] = keys[n]
	return old
end

-- The waiters for path keys[1..depth], removed from the tree, and whether
-- the path ran through a waited-on key (which is now a branch).
local function take_waiters(depth, keys)
	local node = waiting
	for i = 1, depth do
		local k = keys[i]
		local q = node[k]
		if q == nil then
			return nil
		end
		if q[KIND] == "queue" then
			node[k] = nil
			return q, i < depth
		end
		node = q
	end
	return nil
end

function command.UPDATE(...)
	local n = select("#", ...)
	assert(n >= 2, "datacenter.set needs a key and a value")
	local keys = { ... }
	local old = update(keys, n)
	local value = keys[n]
	if old ~= nil or value == nil then
		return old
	end
	local q, branched = take_waiters(n - 1, keys)
	if q then
		for _, response in ipairs(q) do
			if branched then
				response(false)
			else
				response(true, value)
			end
		end
	end
end

local function wait_for(keys, n)
	local node = waiting
	for i = 1, n - 1 do
		local k = keys[i]
		local q = node[k]
		if q == nil then
			q = { [KIND] = "branch" }
			node[k] = q
		end
		assert(q[KIND] == "branch", "datacenter: waiting on a key and on keys below it")
		node = q
	end
	local k = keys[n]
	local q = node[k]
	if q == nil then
		q = { [KIND] = "queue" }
		node[k] = q
	end
	assert(q[KIND] == "queue", "datacenter: waiting on a key and on keys below it")
	q[#q + 1] = skynet.response()
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		if cmd == "WAIT" then
			local n = select("#", ...)
			assert(n >= 1, "datacenter.wait needs a key")
			local keys = { ... }
			local value = query(database, n, keys)
			if value ~= nil then
				return skynet.retpack(value)
			end
			return wait_for(keys, n)
		end
		local f = command[cmd]
		if f == nil then
			error("datacenterd: unknown command " .. tostring(cmd))
		end
		skynet.retpack(f(...))
	end)
end)
