-- main: the example game server's start service (config/game.conf: start =
-- main, with ./examples/?.lua first in luaservice). It launches the watchdog,
-- which opens a gate on `gate_port` (default 8888) for at most `maxclient`
-- clients (default 1024), then this service exits.
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
	})
	skynet.error(string.format("example game server ready on %s:%s; try: lua5.4 examples/client.lua 127.0.0.1 %d",
		tostring(addr), tostring(bound), port))
	skynet.exit()
end)
