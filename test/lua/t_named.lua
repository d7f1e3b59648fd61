-- t_named: a service that takes a global name in one of skynet's three ways
-- (args: register|name|globalname NAME) and answers "ping", "note"/"get".
local skynet = require "skynet"
require "skynet.manager"
local harbor = require "skynet.harbor"

local how, name = ...
local noted

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, v)
		if cmd == "ping" then
			skynet.retpack("pong", name)
		elseif cmd == "note" then
			noted = v
		elseif cmd == "get" then
			skynet.retpack(noted)
		end
	end)
	if how == "register" then
		skynet.register(name)
	elseif how == "name" then
		skynet.name(name, skynet.self())
	elseif how == "globalname" then
		harbor.globalname(name)
	else
		error("t_named: unknown way " .. tostring(how))
	end
end)
