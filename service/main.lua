-- main: the default `start` service. It logs what the node is and exits; the
-- example game server (examples/) replaces it in config/game.conf.
local skynet = require "skynet"

skynet.start(function()
	skynet.error(string.format("node started: harbor %d, %s threads, start time %d",
		tonumber(skynet.getenv "harbor") or 0, skynet.getenv "thread" or "?", skynet.starttime()))
	skynet.exit()
end)
