-- t_service_user: a second service for test_service: reaches a
-- skynet.service by service.new and service.query, and requires t_req_mod
-- from message handlers (coroutines).
local skynet = require "skynet"
local service = require "skynet.service"

local command = {}

function command.new(name)
	-- a different function: the running service of that name wins
	return service.new(name, function()
		error("never runs: the service exists")
	end)
end

function command.query(name)
	return service.query(name)
end

function command.require_twice()
	local results = {}
	for i = 1, 2 do
		skynet.fork(function()
			local m = require "t_req_mod"
			results[i] = m
		end)
	end
	while not (results[1] and results[2]) do
		skynet.sleep(1)
	end
	local m = results[1]
	return results[1] == results[2], m.ready, m.inits, table.concat(m.order, ",")
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		skynet.retpack(command[cmd](...))
	end)
end)
