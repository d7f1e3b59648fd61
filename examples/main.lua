-- main: the example game server's start service (config/game.conf: start =
-- main, with ./examples/?.lua first in luaservice). It launches the watchdog,
-- which opens a gate on `gate_port` (default 8888; 0 picks a free port) for
-- at most `maxclient` clients (default 1024), closing clients idle for
-- `gate_idle_timeout` seconds (default 60) and refusing more than
-- `gate_max_per_address` connections from one address (default 64), then this
-- service exits.
local skynet = require "skynet"

skynet.start(function()
	local port = tonumber(skynet.getenv "gate_port") or 8888
	local maxclient = tonumber(skynet.getenv "maxclient") or 1024
	local watchdog = skynet.newservice("watchdog")
	local addr, bound = skynet.call(watchdog, "lua", "start", {
		address = skynet.getenv "gate_address" or "0.0.0.0",
		port = port,
		maxclient = maxclient,
		nodelay = true,
		-- a client that sends nothing for this long is closed (frees its slot)
		idle_timeout = tonumber(skynet.getenv "gate_idle_timeout") or 60,
		-- connections from one address; more are refused
		max_per_address = tonumber(skynet.getenv "gate_max_per_address") or 64,
	})
	skynet.error(string.format("example game server ready on %s:%s; try: lua5.4 examples/client.lua 127.0.0.1 %d",
		tostring(addr), tostring(bound), bound))
	skynet.exit()
end)
