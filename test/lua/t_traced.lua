-- t_traced: a service for test_fidelity_debug: "echo", "block" (never
-- answered), a debug command of its own (HELLO, via reg_debugcmd), and, with
-- the argument "traced", every lua request traced (skynet.traceproto).
local skynet = require "skynet"
local debugcmd = require "skynet.debug"

local mode = ...
local command = {}

function command.echo(...)
	skynet.retpack(...)
end

function command.block()
	skynet.wait()
	skynet.retpack("woken")
end

debugcmd.reg_debugcmd("HELLO", function(who)
	skynet.retpack("hello " .. tostring(who))
end)

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		local f = command[cmd]
		if f == nil then
			error("t_traced: unknown command " .. tostring(cmd))
		end
		f(...)
	end)
	if mode == "traced" then
		skynet.traceproto("lua", true)
	end
end)
