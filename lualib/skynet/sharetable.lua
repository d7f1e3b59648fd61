-- skynet.sharetable: tables loaded once by sharetabled and read by every
-- service without a copy.
--   loadfile(filename, ...)  loadstring(filename, source, ...)  loadtable(filename, t)
--   query(filename) -> t or nil     queryall({filename...} | nil) -> { filename = t }
--   update(filename...)  -- the tables this service got before now show the newest load
-- Where we differ from skynet: skynet shares the table's memory between Lua
-- states with a patched Lua. On stock Lua 5.4 a query returns a read-only
-- proxy over one immutable tree in C memory (skynet.sharedata.corelib): t.k,
-- t[i], #t, pairs, ipairs and table.concat/unpack work; next(t), rawget(t)
-- and rawlen(t) see an empty table. A proxy keeps the version it was given
-- until update(filename) moves it (and every sub-table taken from it).
local skynet = require "skynet"
local core = require "skynet.sharedata.core"
local corelib = require "skynet.sharedata.corelib"

local service
local function address()
	if service == nil then
		service = skynet.uniqueservice "sharetabled"
	end
	return service
end

local sharetable = {}

-- filename -> { [proxy] = true }: what update has to move.
local RECORD = {}

local function record(filename, ptr)
	local p = corelib.box(core.adopt(ptr, false))
	local map = RECORD[filename]
	if map == nil then
		map = setmetatable({}, { __mode = "k" })
		RECORD[filename] = map
	end
	map[p] = true
	return p
end

function sharetable.loadfile(filename, ...)
	skynet.call(address(), "lua", "loadfile", filename, ...)
end

function sharetable.loadstring(filename, source, ...)
	skynet.call(address(), "lua", "loadstring", filename, source, ...)
end

function sharetable.loadtable(filename, tbl)
	assert(type(tbl) == "table")
	skynet.call(address(), "lua", "loadtable", filename, tbl)
end

function sharetable.query(filename)
	local ptr = skynet.call(address(), "lua", "query", filename)
	if ptr then
		return record(filename, ptr)
	end
end

function sharetable.queryall(filenames)
	if filenames ~= nil then
		assert(type(filenames) == "table", "sharetable.queryall needs a list of file names")
	end
	local ptrs = skynet.call(address(), "lua", "queryall", filenames)
	local r = {}
	for name, ptr in pairs(ptrs) do
		r[name] = record(name, ptr)
	end
	return r
end

function sharetable.update(...)
	for i = 1, select("#", ...) do
		local name = select(i, ...)
		local map = RECORD[name]
		if map and next(map) then
			local ptr = skynet.call(address(), "lua", "query", name)
			if ptr then
				local box = core.adopt(ptr, false)
				for p in pairs(map) do
					corelib.rebind(p, core.adopt(core.share(box), false))
				end
				core.release(box)
			end
		end
	end
end

return sharetable
