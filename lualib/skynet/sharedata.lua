-- skynet.sharedata: read-mostly tables shared by every service of the node.
-- sharedatad keeps each one as an immutable tree in C memory (skynet.sharedata.
-- core); a reader gets a pointer to it and reads through a proxy, so no service
-- copies the table. After update(name, ...), a reader's proxies (and the
-- sub-tables it holds) see the new version on their next access; flush() moves
-- every cached one at once and lets the old versions go.
--   new(name, value, ...)  update(name, value, ...)  delete(name)
--   query(name) -> proxy   deepcopy(name, key...) -> plain table   flush()
-- value: a table, Lua source returning a table (or setting globals), "@file", or nil.
local skynet = require "skynet"
local core = require "skynet.sharedata.core"
local corelib = require "skynet.sharedata.corelib"

local service
skynet.init(function()
	service = skynet.uniqueservice "sharedatad"
end)

local sharedata = {}
local cache = setmetatable({}, { __mode = "v" })

local function fetch(name)
	local ptr = skynet.call(service, "lua", "query", name)
	return core.adopt(ptr, true)
end

function sharedata.query(name)
	local p = cache[name]
	if p and corelib.flush(p) then
		return p
	end
	p = corelib.box(fetch(name))
	cache[name] = p
	return p
end

function sharedata.new(name, v, ...)
	skynet.call(service, "lua", "new", name, v, ...)
end

function sharedata.update(name, v, ...)
	skynet.call(service, "lua", "update", name, v, ...)
end

function sharedata.delete(name)
	skynet.call(service, "lua", "delete", name)
end

function sharedata.flush()
	for name, p in pairs(cache) do
		if not corelib.flush(p) then
			cache[name] = nil
		end
	end
	collectgarbage()
end

local function walk(box, node, ...)
	for i = 1, select("#", ...) do
		local key = select(i, ...)
		local v, istable = core.index(box, node, key, true)
		if not istable then
			if v == nil then
				return nil
			end
			return nil, v
		end
		node = v
	end
	return node
end

function sharedata.deepcopy(name, ...)
	local box
	local p = cache[name]
	if p and corelib.flush(p) then
		box = corelib.locate(p)
	else
		box = fetch(name)
	end
	local node, leaf = walk(box, core.root(box), ...)
	if node == nil then
		return leaf
	end
	return core.copy(box, node)
end

return sharedata
