-- bench_idle: a Lua service that starts and then waits for nothing. Started
-- with the argument "report", it logs the size of its own Lua heap once
-- started (collectgarbage "count"), as the spawn benchmark's Lua-heap figure.
local skynet = require "skynet"

local mode = ...

skynet.start(function()
	if mode == "report" then
		skynet.error(string.format("BENCH spawn_luaheap %d bytes/service what=lua_heap_of_one_idle_service",
			math.floor(collectgarbage("count") * 1024)))
	end
end)
