-- datacenterd: keeps the tree behind skynet.datacenter and answers waiters
-- when the key they wait for is set.
local skynet = require "skynet"
require "skynet.manager"

local root = {}
local waiters = {} -- same shape as root; a leaf is a list of response closures

local function walk(tree, keys, n, create)
	for i = 1, n do
		local nxt = tree[keys[i]]
		if nxt == nil then
			if not create then
				return nil
			end
			nxt = {}
			tree[keys[i]] = nxt
		end
		tree = nxt
	end
	return tree
end

local command = {}

function command.QUERY(...)
	local keys = table.pack(...)
	local node = walk(root, keys, keys.n - 1, false)
	if node == nil then
		return nil
	end
	return node[keys[keys.n]]
end

local function wake(keys, n, value)
	local parent = walk(waiters, keys, n - 1, false)
	if parent == nil then
		return
	end
	local list = parent[keys[n]]
	if type(list) == "table" and list.waiting then
		parent[keys[n]] = nil
		for _, response in ipairs(list) do
			response(true, value)
		end
	end
end

function command.UPDATE(...)
	local keys = table.pack(...)
	local n = keys.n - 1
	assert(n >= 1, "datacenter.set needs a key and a value")
	local value = keys[keys.n]
	local node = walk(root, keys, n - 1, true)
	local old = node[keys[n]]
	node[keys[n]] = value
	wake(keys, n, value)
	return old
end

function command.WAIT(...)
	local keys = table.pack(...)
	local node = walk(root, keys, keys.n - 1, false)
	local value = node and node[keys[keys.n]]
	if value ~= nil then
		return value
	end
	local parent = walk(waiters, keys, keys.n - 1, true)
	local list = parent[keys[keys.n]]
	if list == nil then
		list = { waiting = true }
		parent[keys[keys.n]] = list
	end
	list[#list + 1] = skynet.response()
	return command
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		local f = command[cmd]
		if f == nil then
			error("datacenterd: unknown command " .. tostring(cmd))
		end
		local result = f(...)
		if result ~= command then
			skynet.retpack(result)
		end
	end)
	skynet.register ".datacenter"
end)
