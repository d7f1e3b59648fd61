-- skynet.service: a unique service made from a Lua function instead of a
-- file. service.new(name, mainfunc, ...) starts it once per node (through the
-- `service_provider` unique service, which runs the function's bytecode in a
-- fresh `service_cell`) and returns its address; later callers, in any
-- service, get the same address. service.query(name) waits until a service of
-- that name is up. mainfunc runs in the new service: it may use globals but no
-- upvalue (locals of the caller do not exist there).
local skynet = require "skynet"

local service = {}
local cache = {}
local provider

local function service_provider()
	provider = provider or skynet.uniqueservice "service_provider"
	return provider
end

local function service_check(func)
	local info = debug.getinfo(func, "u")
	local name = debug.getupvalue(func, 1)
	if info.nups > 1 or (info.nups == 1 and name ~= "_ENV") then
		error("service.new: mainfunc must use no upvalue but _ENV", 3)
	end
end

function service.new(name, mainfunc, ...)
	local p = service_provider()
	local addr, booting = skynet.call(p, "lua", "test", name)
	if addr then
		service.address = addr
	elseif booting then
		service.address = skynet.call(p, "lua", "query", name)
	else
		service_check(mainfunc)
		service.address = skynet.call(p, "lua", "launch", name, string.dump(mainfunc), ...)
	end
	cache[name] = service.address
	return service.address
end

function service.query(name)
	if not cache[name] then
		cache[name] = skynet.call(service_provider(), "lua", "query", name)
	end
	return cache[name]
end

return service
