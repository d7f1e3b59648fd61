-- service_cell: the body of a skynet.service service. service_provider
-- launches it with the service's name and sends `init(code, ...)`: code is
-- the bytecode of the function given to service.new, run here with the extra
-- arguments. skynet.start inside that function is honoured (its start
-- function runs before init answers); a function that sets no lua dispatch
-- leaves one that raises "No dispatch function".
local skynet = require "skynet"

local service_name = (...)
local init = {}

function init.init(code, ...)
	local start_func
	skynet.start = function(f)
		start_func = f
	end
	skynet.dispatch("lua", function()
		error("No dispatch function")
	end)
	local mainfunc = assert(load(code, service_name))
	assert(skynet.pcall(mainfunc, ...))
	if start_func then
		start_func()
	end
	skynet.ret()
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		local f = init[cmd]
		if f == nil then
			error("service_cell: unknown command " .. tostring(cmd))
		end
		f(...)
	end)
end)
