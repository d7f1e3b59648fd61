-- examples/simpledb.lua: a tiny key/value service (GET key, SET key value;
-- a PING send is logged) served to the other node of the cluster example.
local skynet = require "skynet"

local db = {}
local command = {}

function command.GET(key)
	return db[key]
end

function command.SET(key, value)
	local last = db[key]
	db[key] = value
	return last
end

skynet.start(function()
	skynet.dispatch("lua", function(session, source, cmd, ...)
		cmd = tostring(cmd):upper()
		if cmd == "PING" and session == 0 then
			local s = tostring((...))
			if #s > 20 then
				s = s:sub(1, 20) .. "...(" .. #s .. ")"
			end
			skynet.error(string.format("%s ping %s", skynet.address(source), s))
			return
		end
		local f = assert(command[cmd], "unknown command " .. cmd)
		skynet.retpack(f(...))
	end)
end)
