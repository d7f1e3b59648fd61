-- t_shutdown: the graceful shutdown boot tests (test/boot/shutdown.sh).
-- As the start service (no argument) it launches a hook service in the mode of
-- config key shutdown_mode and logs "SHUTDOWN ready"; as `t_shutdown hook MODE`
-- it is that service:
--   sleep   skynet.shutdown(fn): fn calls a helper, sleeps 0.5 s, logs HOOK done
--   never   skynet.shutdown(fn): fn waits forever
--   dbgcmd  a SHUTDOWN debug command (reg_debugcmd) that sleeps 0.2 s, logs HOOK done
--   error   a hook that raises, then one that logs HOOK done
--   exit    a hook that calls skynet.exit
--   late    a hook that launches a service (`t_shutdown late`) registering its
--           own hook, which sleeps 0.3 s and logs LATE HOOK done
local skynet = require "skynet"

local role, mode = ...

local function echo_service()
	skynet.dispatch("lua", function(_, _, what)
		skynet.ret(skynet.pack(what))
	end)
end

local function hook_service()
	skynet.dispatch("lua", function(_, _, what)
		skynet.ret(skynet.pack(what))
	end)
	if mode == "sleep" then
		local helper = skynet.newservice("t_shutdown", "echo")
		skynet.shutdown(function()
			skynet.error("HOOK start, helper says " .. skynet.call(helper, "lua", "alive"))
			skynet.sleep(50)
			skynet.error("HOOK done")
		end)
	elseif mode == "never" then
		skynet.shutdown(function()
			skynet.error("HOOK start")
			skynet.wait()
		end)
	elseif mode == "dbgcmd" then
		require("skynet.debug").reg_debugcmd("SHUTDOWN", function()
			skynet.error("HOOK start (debug command)")
			skynet.sleep(20)
			skynet.error("HOOK done")
		end)
	elseif mode == "error" then
		skynet.shutdown(function()
			error("HOOK fails on purpose")
		end)
		skynet.shutdown(function()
			skynet.error("HOOK done")
		end)
	elseif mode == "late" then
		skynet.shutdown(function()
			skynet.newservice("t_shutdown", "late")
			skynet.error("HOOK done")
		end)
	elseif mode == "exit" then
		skynet.shutdown(function()
			skynet.error("HOOK exits")
			skynet.exit()
		end)
	end
end

skynet.start(function()
	if role == "echo" then
		echo_service()
	elseif role == "hook" then
		hook_service()
	elseif role == "late" then
		skynet.shutdown(function()
			skynet.sleep(30)
			skynet.error("LATE HOOK done")
		end)
	else
		local m = skynet.getenv "shutdown_mode"
		local h = skynet.newservice("t_shutdown", "hook", m)
		skynet.error("SHUTDOWN hook service " .. skynet.address(h))
		-- a service without a hook: costs nothing, is retired as usual
		skynet.newservice("t_shutdown", "echo")
		skynet.error("SHUTDOWN ready")
	end
end)
