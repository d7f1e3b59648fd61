-- t_echogate: a start service for the shell network tests. It opens the Lua
-- gate on config `echo_port` for `echo_maxclient` clients, is the gate's
-- watchdog, and forwards every client to one of a pool of echo agents. Logs
-- "echogate ready" when listening.
local skynet = require "skynet"

local POOL = 8

skynet.start(function()
	local agents = {}
	for i = 1, POOL do
		agents[i] = skynet.newservice("t_echoagent")
	end
	local gate = skynet.newservice("gate")
	local opened, closed = 0, 0
	skynet.dispatch("lua", function(_, _, what, kind, fd)
		if what ~= "socket" then
			return
		end
		if kind == "open" then
			opened = opened + 1
			local ok, err = pcall(skynet.call, gate, "lua", "forward", fd, 0, agents[fd % POOL + 1])
			if not ok then
				skynet.error(string.format("echogate: forward of fd %d failed: %s", fd, tostring(err)))
			end
		elseif kind == "close" or kind == "error" then
			closed = closed + 1
		end
	end)
	skynet.call(gate, "lua", "open", {
		address = "127.0.0.1",
		port = tonumber(skynet.getenv "echo_port"),
		maxclient = tonumber(skynet.getenv "echo_maxclient") or 2000,
		backlog = 1024,
		nodelay = true,
	})
	skynet.error("echogate ready")
end)
