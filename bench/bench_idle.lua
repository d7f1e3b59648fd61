-- bench_idle: a Lua service that starts and then waits for nothing.
local skynet = require "skynet"

skynet.start(function() end)
