-- service_mgr: unique services (skynet.uniqueservice / queryservice). The first
-- caller for a name launches it; concurrent callers wait for that launch and
-- all get the same address, or the same error.
local skynet = require "skynet"
require "skynet.manager"

local services = {} -- name -> address, or a pending record { waiters... }
local command = {}

local function wait_pending(record)
	local co = coroutine.running()
	record[#record + 1] = co
	skynet.wait(co)
	if record.error then
		error(record.error)
	end
	return record.address
end

local function resolve(name, launch, ...)
	local s = services[name]
	if type(s) == "number" then
		return s
	end
	if s then
		return wait_pending(s)
	end
	if launch == nil then
		-- QUERY before anyone launched it: wait for the launch.
		s = { querying = true }
		services[name] = s
		return wait_pending(s)
	end
	s = {}
	services[name] = s
	local ok, addr = pcall(launch, ...)
	if ok and addr then
		services[name] = addr
		s.address = addr
	else
		services[name] = nil
		s.error = ok and ("service " .. name .. " exited during start") or tostring(addr)
	end
	for _, co in ipairs(s) do
		skynet.wakeup(co)
	end
	if s.error then
		error(s.error)
	end
	return addr
end

-- A snax service is unique per snax name: LAUNCH "snaxd" NAME keys it as
-- "snaxd.NAME" and starts it through skynet.snax (snaxd plus its init call).
local function service_key(name, subname)
	if name == "snaxd" then
		return "snaxd." .. tostring(subname)
	end
	return name
end

local function service_launcher(name)
	if name == "snaxd" then
		return require("skynet.snax").rawnewservice
	end
	return function(...)
		return skynet.newservice(name, ...)
	end
end

-- Launches (once) the service keyed key with launch(...).
local function launch_key(key, launch, ...)
	local s = services[key]
	if type(s) == "table" and s.querying and not s.launching then
		-- Someone is already waiting in QUERY: launch and hand them the result.
		s.launching = true
		local ok, addr = pcall(launch, ...)
		services[key] = ok and addr or nil
		s.address, s.error = ok and addr or nil, (not ok) and tostring(addr) or nil
		for _, co in ipairs(s) do
			skynet.wakeup(co)
		end
		if not ok then
			error(addr)
		end
		return addr
	end
	return resolve(key, launch, ...)
end

function command.LAUNCH(name, ...)
	return launch_key(service_key(name, ...), service_launcher(name), ...)
end

function command.QUERY(name, subname)
	return resolve(service_key(name, subname))
end

-- On a single node, global unique services are this node's unique services.
-- In harbor mode (as skynet) they live on the standalone node, whose
-- service_mgr has the global name SERVICE, keyed "@name"; the other nodes
-- ask it and remember the answer.
command.GLAUNCH = command.LAUNCH
command.GQUERY = command.QUERY

local function harbor_mode()
	return skynet.getenv "master" ~= nil and tonumber(skynet.getenv "harbor" or 0) ~= 0
end

local function register_global()
	function command.GLAUNCH(name, ...)
		return launch_key("@" .. service_key(name, ...), service_launcher(name), ...)
	end
	function command.GQUERY(name, subname)
		return resolve("@" .. service_key(name, subname))
	end
	skynet.register "SERVICE"
end

local function register_remote()
	local function ask(...)
		return skynet.call("SERVICE", "lua", ...)
	end
	function command.GLAUNCH(name, ...)
		return launch_key("@" .. service_key(name, ...), ask, "GLAUNCH", name, ...)
	end
	function command.GQUERY(name, subname)
		-- The standalone node waits for the launch; so does this call.
		return launch_key("@" .. service_key(name, subname), ask, "GQUERY", name, subname)
	end
end

function command.LIST()
	local list = {}
	for name, s in pairs(services) do
		list[name] = type(s) == "number" and skynet.address(s) or "starting"
	end
	return list
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		local f = command[cmd]
		if f == nil then
			error("service_mgr: unknown command " .. tostring(cmd))
		end
		skynet.retpack(f(...))
	end)
	skynet.register ".service"
	if harbor_mode() then
		if skynet.getenv "standalone" then
			register_global()
		else
			register_remote()
		end
	end
end)
