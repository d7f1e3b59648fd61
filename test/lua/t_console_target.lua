-- t_console_target: a service for test_console to look at through the debug
-- console. Lua commands: greet (patched by inject), echo, spin (an endless
-- loop for `signal`), wait (a suspended task for task/killtask).
local skynet = require "skynet"

local CMD = {}
local greeting = "hello"

function CMD.greet()
	return greeting
end

function CMD.echo(...)
	return ...
end

function CMD.spin()
	local n = 0
	while true do
		n = n + 1
	end
end

skynet.info_func(function()
	return { hello = "world" }
end)

skynet.start(function()
	skynet.dispatch("lua", function(session, _, cmd, ...)
		local f = CMD[cmd]
		if f == nil then
			error("t_console_target: unknown command " .. tostring(cmd))
		end
		if session == 0 then
			f(...)
		else
			skynet.retpack(f(...))
		end
	end)
	-- a suspended task for `task` and `uniqtask`
	skynet.fork(function()
		skynet.sleep(1000000)
	end)
end)
