-- cdummy: the harbor service of a single node. Global names live in this
-- node only; there is no other node to link to.
local skynet = require "skynet"

local names = {}   -- global name -> handle
local waiting = {} -- global name -> response closures

local command = {}

function command.REGISTER(name, handle)
	assert(names[name] == nil, "global name already registered: " .. name)
	names[name] = handle
	local list = waiting[name]
	if list then
		waiting[name] = nil
		for _, response in ipairs(list) do
			response(true, handle)
		end
	end
end

function command.QUERYNAME(name)
	local handle = names[name]
	if handle then
		return skynet.retpack(handle)
	end
	local list = waiting[name] or {}
	waiting[name] = list
	list[#list + 1] = skynet.response()
end

function command.LINK(id)
	skynet.ret()
	return id
end

function command.CONNECT(id)
	skynet.ret()
	return id
end

function command.LINKMASTER()
	skynet.ret()
end

skynet.start(function()
	skynet.dispatch("lua", function(session, _, cmd, ...)
		local f = command[cmd]
		if f == nil then
			error("cdummy: unknown command " .. tostring(cmd))
		end
		f(...)
		if session ~= 0 and cmd == "REGISTER" then
			skynet.ret()
		end
	end)
end)
