-- t_exiter: a service for test_fidelity_exit. It parks coroutines holding
-- to-be-closed variables (each reports "closed", what to the tester when
-- closed), calls a t_holder that never answers, and exits on request.
local skynet = require "skynet"

local tester = tonumber((...))

local function closer(what)
	return setmetatable({}, { __close = function()
		skynet.send(tester, "lua", "closed", what)
	end })
end

local command = {}

function command.park()
	skynet.fork(function()
		local _ <close> = closer("forked wait")
		skynet.wait()
	end)
	skynet.fork(function()
		local _ <close> = closer("forked sleep")
		skynet.sleep(100000)
	end)
	skynet.retpack(true)
end

-- Never answered: the caller waits until this service exits.
function command.block()
	local _ <close> = closer("blocked request")
	skynet.wait()
end

function command.call_holder(holder)
	skynet.fork(function()
		local _ <close> = closer("call to holder")
		skynet.call(holder, "lua", "hold")
	end)
	skynet.retpack(true)
end

function command.raise()
	local _ <close> = closer("raising request")
	error("t_exiter raises on purpose")
end

function command.exit()
	local _ <close> = closer("exiting coroutine")
	skynet.exit()
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		command[cmd](...)
	end)
end)
