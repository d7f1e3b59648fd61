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

-- Keys as skynet's: "@name" is a global unique service (the name launched is
-- what follows the "@"), and a snax service is unique per snax name:
-- LAUNCH "snaxd" NAME keys it "snaxd.NAME" (or "@snaxd.NAME") and starts it
-- through skynet.snax (snaxd plus its init call).
local function real_name(name)
	if string.byte(name) == 64 then -- "@"
		return string.sub(name, 2)
	end
	return name
end

local function service_key(name, subname)
	if real_name(name) == "snaxd" then
		return name .. "." .. tostring(subname)
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
	return launch_key(service_key(name, ...), service_launcher(real_name(name)), ...)
end

function command.QUERY(name, subname)
	return resolve(service_key(name, subname))
end

local function list_local()
	local list = {}
	for name, s in pairs(services) do
		list[name] = type(s) == "number" and skynet.address(s) or "starting"
	end
	return list
end

command.LIST = list_local

-- The standalone node (every node without a master is one) keeps the global
-- unique services, keyed "@name", under the global name SERVICE; the other
-- nodes' managers REPORT to it at start and ask it for LAUNCH/QUERY "@name",
-- remembering the answer. This is skynet's protocol, so either side may be a
-- skynet node.
local function register_global()
	function command.GLAUNCH(name, ...)
		return command.LAUNCH("@" .. name, ...)
	end
	function command.GQUERY(name, ...)
		return command.QUERY("@" .. name, ...)
	end
	local managers = {}
	function command.REPORT(m)
		managers[m] = true
	end
	-- every node's services, those of others as "name@harbor"
	function command.LIST()
		local all = {}
		for m in pairs(managers) do
			local ok, list = pcall(skynet.call, m, "lua", "LIST")
			if not ok then
				managers[m] = nil -- its node went (a restarted one reports again)
			else
				local node = skynet.harbor(m)
				for k, v in pairs(list) do
					all[k .. "@" .. node] = v
				end
			end
		end
		for k, v in pairs(list_local()) do
			all[k] = v
		end
		return all
	end
	skynet.register "SERVICE"
end

local function register_local()
	local function ask(...)
		return skynet.call("SERVICE", "lua", ...)
	end
	-- The standalone node waits for a queried service's launch; so does GQUERY.
	local function remote(cmd, name, ...)
		local global = "@" .. name
		return launch_key(service_key(global, ...), ask, cmd, global, ...)
	end
	function command.GLAUNCH(...)
		return remote("LAUNCH", ...)
	end
	function command.GQUERY(...)
		return remote("QUERY", ...)
	end
	ask("REPORT", skynet.self())
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
	if skynet.getenv "standalone" then
		register_global()
	else
		register_local()
	end
end)
