-- t_boot_many: keeps ten services alive until the node is stopped, each with
-- a coroutine suspended in skynet.wait (boot tests: SIGTERM must
-- release every one of them).
local skynet = require "skynet"

local role = ...

if role == "child" then
	skynet.start(function()
		skynet.fork(function()
			skynet.wait()
		end)
	end)
else
	skynet.start(function()
		for _ = 1, 10 do
			skynet.newservice("t_boot_many", "child")
		end
		skynet.error("many: ready")
	end)
end
