-- launcher: every Lua service is launched through here (skynet.newservice).
-- It keeps the list of running services, answers the creator when the new
-- service's start function returns (LAUNCHOK) or fails (ERROR), and serves
-- LIST, STAT, KILL, GC, MEM for the console.
local skynet = require "skynet"
local core = require "skynet.core"
require "skynet.manager"

local services = {}   -- handle -> "snlua name args"
local starting = {}   -- handle -> response closure of the newservice call
local start_session = {} -- handle -> session of that call
local NORET = {}

-- Lua tables never give back their hash part when emptied: after a burst of
-- services has come and gone, rebuild the list so the launcher shrinks too.
local live, peak = 0, 0

local function forget(handle)
	if services[handle] == nil then
		return
	end
	services[handle] = nil
	live = live - 1
	if peak > 256 and live * 4 < peak then
		local copy = {}
		for h, name in pairs(services) do
			copy[h] = name
		end
		services = copy
		peak = live
	end
end

local function remember(handle, name)
	services[handle] = name
	live = live + 1
	if live > peak then
		peak = live
	end
end

local command = {}

-- Asks every service the debug command and waits at most ti centiseconds
-- (nil: no limit), as skynet's: a service whose call failed shows as
-- "ERROR", one that did not answer in time as "TIMEOUT" (format gets the
-- string instead of the answer).
local function list_services(ti, format, debug_cmd)
	local list = {}
	local waiting = {}
	local reqs = skynet.request()
	for handle in pairs(services) do
		local req = { handle, "debug", debug_cmd }
		reqs:add(req)
		waiting[req] = handle
	end
	for req, resp in reqs:select(ti) do
		local handle = req[1]
		list[skynet.address(handle)] = format(resp and resp[1] or "ERROR", handle)
		waiting[req] = nil
	end
	for _, handle in pairs(waiting) do
		list[skynet.address(handle)] = format("TIMEOUT", handle)
	end
	return list
end

function command.LIST()
	local list = {}
	for handle, name in pairs(services) do
		list[skynet.address(handle)] = name
	end
	return list
end

function command.STAT(_, ti)
	return list_services(ti, function(stat) return stat end, "STAT")
end

function command.MEM(_, ti)
	return list_services(ti, function(kb, handle)
		local name = services[handle]
		if type(kb) == "string" then
			return string.format("%s (%s)", kb, name)
		end
		return string.format("%.2f Kb (%s)", kb, name)
	end, "MEM")
end

function command.GC(_, ti)
	collectgarbage()
	for handle in pairs(services) do
		skynet.send(handle, "debug", "GC")
	end
	return command.MEM(nil, ti)
end

function command.KILL(_, handle)
	handle = type(handle) == "string" and tonumber(string.sub(handle, 2), 16) or handle
	skynet.kill(handle)
	local ret = { [skynet.address(handle)] = tostring(services[handle]) }
	forget(handle)
	return ret
end

local function finish(handle, ok)
	local response = starting[handle]
	if response then
		starting[handle] = nil
		start_session[handle] = nil
		if ok then
			response(true, handle)
		else
			response(false)
		end
	end
end

function command.REMOVE(_, handle, kill)
	forget(handle)
	-- A service that exits before LAUNCHOK: its creator gets nil (exit) or an
	-- error (killed).
	local response = starting[handle]
	if response then
		starting[handle] = nil
		start_session[handle] = nil
		response(not kill, nil)
	end
	return NORET
end

local function launch(service, ...)
	local param = table.concat({ ... }, " ")
	local handle = skynet.launch(service, param)
	local session = skynet.context()
	local response = skynet.response()
	if not handle then
		response(false)
		return nil
	end
	remember(handle, service .. " " .. param)
	starting[handle] = response
	start_session[handle] = session
	return handle
end

function command.LAUNCH(_, service, ...)
	launch(service, ...)
	return NORET
end

function command.LOGLAUNCH(_, service, ...)
	local handle = launch(service, ...)
	if handle then
		core.command("LOGON", skynet.address(handle))
	end
	return NORET
end

function command.ERROR(address)
	finish(address, false)
	forget(address)
	return NORET
end

function command.LAUNCHOK(address)
	finish(address, true)
	return NORET
end

function command.QUERY(_, session)
	for handle, s in pairs(start_session) do
		if s == session then
			return handle
		end
	end
end

-- snlua reports a service whose Lua code failed to load with a text "ERROR".
skynet.register_protocol {
	name = "text",
	id = skynet.PTYPE_TEXT,
	unpack = skynet.tostring,
	dispatch = function(_, address, cmd)
		if cmd == "ERROR" then
			command.ERROR(address)
		elseif cmd == "" then
			command.LAUNCHOK(address)
		else
			skynet.error("launcher: unknown text command " .. tostring(cmd))
		end
	end,
}

skynet.dispatch("lua", function(session, address, cmd, ...)
	local f = command[string.upper(cmd)]
	if f == nil then
		if session ~= 0 then
			error("launcher: unknown command " .. tostring(cmd))
		end
		return
	end
	local ret = f(address, ...)
	if ret ~= NORET and session ~= 0 then
		skynet.retpack(ret)
	end
end)

skynet.start(function() end)
