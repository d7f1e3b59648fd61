-- examples/simpledb.lua: a tiny key/value service (GET key, SET key value)
-- served to the other node of the cluster example.
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
	skynet.dispatch("lua", function(_, _, cmd, ...)
		local f = assert(command[cmd], cmd)
		skynet.retpack(f(...))
	end)
end)
