-- skynet.debug: the handler of the debug protocol (PTYPE_DEBUG), loaded on the
-- first debug message. Commands: MEM GC STAT TASK UNIQTASK INFO EXIT RUN TERM
-- PING LINK SUPPORT.
local M = {}

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

	function dbgcmd.INFO(...)
		skynet.retpack(internal.info(...))
	end

	function dbgcmd.EXIT()
		skynet.exit()
	end

	function dbgcmd.RUN(source, filename, ...)
		local inject = require "skynet.inject"
		local args = table.pack(...)
		local ok, output = inject(skynet, source, filename, args, internal)
		collectgarbage("collect")
		skynet.retpack(ok, table.concat(output, "\n"))
	end

	function dbgcmd.TERM(service)
		skynet.term(service)
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
		local f = dbgcmd[cmd]
		if f == nil then
			error("unknown debug command " .. tostring(cmd))
		end
		return f(...)
	end
end

return M
