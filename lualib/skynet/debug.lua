-- skynet.debug: the handler of the debug protocol (PTYPE_DEBUG), loaded on the
-- first debug message (or by reg_debugcmd). Commands: MEM GC STAT TASK
-- UNIQTASK KILLTASK INFO EXIT RUN TERM PING LINK SUPPORT TRACELOG, SHUTDOWN
-- (beyond skynet: the node's graceful shutdown), and any registered with
-- reg_debugcmd(name, fn).
local M = {}
local extern_dbgcmd = {}

-- A debug command of this service's own: fn(...) gets the command's
-- arguments and answers with skynet.ret / skynet.retpack itself. A SHUTDOWN
-- command also tells the node to send it at shutdown (see SHUTDOWN below).
function M.reg_debugcmd(name, fn)
	extern_dbgcmd[name] = fn
	if name == "SHUTDOWN" then
		require("skynet.core").command("SHUTDOWNHOOK", "add " .. tostring(SERVICE_NAME))
	end
end

function M.init(skynet, internal)
	local c = require "skynet.core"
	local dbgcmd = {}

	function dbgcmd.MEM()
		skynet.retpack(collectgarbage("count"))
	end

	function dbgcmd.GC()
		collectgarbage("collect")
		skynet.retpack(collectgarbage("count"))
	end

	function dbgcmd.STAT()
		skynet.retpack({
			task = skynet.task(),
			mqlen = skynet.stat("mqlen"),
			cpu = skynet.stat("cpu"),
			message = skynet.stat("message"),
		})
	end

	function dbgcmd.TASK(session)
		if session then
			skynet.retpack(skynet.task(session))
		else
			local task = {}
			skynet.task(task)
			skynet.retpack(task)
		end
	end

	function dbgcmd.UNIQTASK()
		skynet.retpack(skynet.uniqtask())
	end

	function dbgcmd.KILLTASK(threadname)
		local co = skynet.killthread(threadname)
		if co then
			skynet.error(string.format("Kill %s", co))
			skynet.ret()
		else
			skynet.error(string.format("Kill %s : Not found", threadname))
			skynet.retpack "Not found"
		end
	end

	function dbgcmd.TRACELOG(proto, flag)
		if type(proto) ~= "string" then
			flag = proto
			proto = "lua"
		end
		skynet.error(string.format("Turn trace log %s for %s", flag, proto))
		skynet.traceproto(proto, flag)
		skynet.ret()
	end

	function dbgcmd.INFO(...)
		skynet.retpack(internal.info(...))
	end

	function dbgcmd.EXIT()
		skynet.exit()
	end

	function dbgcmd.RUN(source, filename, ...)
		local inject = require "skynet.inject"
		local args = table.pack(...)
		local ok, output = inject(skynet, source, filename, args, internal, internal.dispatch,
			skynet.register_protocol)
		collectgarbage("collect")
		skynet.retpack(ok, table.concat(output, "\n"))
	end

	function dbgcmd.TERM(service)
		skynet.term(service)
	end

	-- Sent by the node at SIGTERM/SIGINT to the services that registered a
	-- hook (skynet.shutdown, or reg_debugcmd "SHUTDOWN"): runs them one after
	-- another; one that raises is logged and the rest still run. When all have
	-- returned the node is told this service is done.
	local function run_hook(fn, ...)
		local ok, err = xpcall(fn, debug.traceback, ...)
		if not ok then
			skynet.error("shutdown hook error: " .. tostring(err))
		end
	end

	function dbgcmd.SHUTDOWN(...)
		for _, fn in ipairs(internal.state.shutdown_hooks or {}) do
			run_hook(fn)
		end
		if extern_dbgcmd.SHUTDOWN then
			run_hook(extern_dbgcmd.SHUTDOWN, ...)
		end
		c.command("SHUTDOWNHOOK", "done")
		-- Sent by hand with skynet.call (the node sends it without a
		-- session): answer once the hooks have run, unless a handler has.
		pcall(skynet.ret)
	end

	function dbgcmd.PING()
		return skynet.ret()
	end

	function dbgcmd.LINK()
		-- Never answered while the service lives: the caller learns of its death
		-- through the error sent when it exits or is killed.
		skynet.response()
	end

	function dbgcmd.SUPPORT(pname)
		return skynet.retpack(skynet.dispatch(pname) ~= nil)
	end

	return function(session, address, cmd, ...)
		local f = dbgcmd[cmd] or extern_dbgcmd[cmd]
		if f == nil then
			error("unknown debug command " .. tostring(cmd))
		end
		return f(...)
	end
end

return M
