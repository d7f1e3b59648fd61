-- skynet.sharemap: a sproto-typed record one service writes and others read
-- through skynet.stm, without messages.
--   sharemap.register(protofile)      (the schema, in sprotoloader slot 0)
--   local w = sharemap.writer(typename [, t]); w.field = v; w:commit(); w:copy() -> ptr
--   local r = sharemap.reader(typename, ptr); r.field; r:update() -> true if changed
local stm = require "skynet.stm"
local sprotoloader = require "sprotoloader"

local sharemap = {}

local schema
local function proto()
	if schema == nil then
		schema = sprotoloader.load(0)
	end
	return schema
end

function sharemap.register(protofile)
	sprotoloader.register(protofile, 0)
end

local writer = {}

function writer:commit()
	self.__obj(proto():encode(self.__typename, self.__data))
end

function writer:copy()
	return stm.copy(self.__obj)
end

function sharemap.writer(typename, t)
	t = t or {}
	local self = {
		__typename = typename,
		__data = t,
		__obj = stm.new(proto():encode(typename, t)),
		commit = writer.commit,
		copy = writer.copy,
	}
	return setmetatable(self, { __index = t, __newindex = t })
end

-- Decodes a new version into the reader's own table, emptied first.
local function refill(msg, sz, self)
	local data = self.__data
	for k in pairs(data) do
		data[k] = nil
	end
	return proto():decode(self.__typename, msg, sz, data)
end

local reader = {}

function reader:update()
	return (self.__obj(refill, self))
end

local function readonly(_, key)
	error("sharemap: a reader is read-only (key " .. tostring(key) .. ")", 2)
end

function sharemap.reader(typename, ptr)
	local self = {
		__typename = typename,
		__obj = stm.newcopy(ptr),
		__data = {},
		update = reader.update,
	}
	self:update()
	return setmetatable(self, { __index = self.__data, __newindex = readonly })
end

return sharemap
