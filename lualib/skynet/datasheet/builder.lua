-- skynet.datasheet.builder: publishes read-only data sheets for
-- skynet.datasheet readers (served by datasheetd as shared C trees).
--   builder.new(name, t | compiled)   builder.update(name, t | compiled)
--   builder.compile(t) -> compiled (a string to build a sheet from later)
-- Readers see an update on their next access, sub-tables included.
local skynet = require "skynet"

local builder = {}
local published = {} -- names this service made

local service
local function address()
	if service == nil then
		service = skynet.uniqueservice "datasheetd"
	end
	return service
end

local function sheet(v)
	if type(v) == "string" then
		local ok, t = pcall(skynet.unpack, v)
		if not ok or type(t) ~= "table" then
			error("datasheet: not a compiled sheet", 3)
		end
		return t
	end
	assert(type(v) == "table", "datasheet: a sheet is a table or a compiled string")
	return v
end

function builder.new(name, v)
	assert(published[name] == nil, "datasheet: " .. tostring(name) .. " already exists")
	skynet.call(address(), "lua", "update", name, sheet(v))
	published[name] = true
end

function builder.update(name, v)
	assert(published[name], "datasheet: " .. tostring(name) .. " was not created by builder.new here")
	skynet.call(address(), "lua", "update", name, sheet(v))
end

function builder.compile(v)
	assert(type(v) == "table", "datasheet: compile needs a table")
	return skynet.packstring(v)
end

return builder
