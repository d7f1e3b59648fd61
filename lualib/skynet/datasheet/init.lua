-- skynet.datasheet: read-only data sheets published by skynet.datasheet.
-- builder. query returns a proxy over the sheet's shared C tree (no copy in
-- the reader); after builder.update it, and the sub-tables taken from it,
-- show the new version on their next access.
--   datasheet.query(name) -> sheet (raises if the sheet was never built)
local skynet = require "skynet"
local core = require "skynet.sharedata.core"
local corelib = require "skynet.sharedata.corelib"

local datasheet = {}
local sheets = {} -- name -> proxy

local service
local function address()
	if service == nil then
		service = skynet.uniqueservice "datasheetd"
	end
	return service
end

function datasheet.query(name)
	local p = sheets[name]
	if p then
		return p
	end
	local ptr = skynet.call(address(), "lua", "query", name)
	p = sheets[name]
	if p then -- another coroutine got it meanwhile
		core.release(core.adopt(ptr, false))
		return p
	end
	p = corelib.box(core.adopt(ptr, true))
	sheets[name] = p
	return p
end

return datasheet
