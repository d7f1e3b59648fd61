-- t_req_mod: a module for test_service's skynet.require cases. Its init
-- function blocks (sleep), so it only works through skynet.require when
-- required from a coroutine; order records body and init steps.
local skynet = require "skynet"

local M = { order = {}, inits = 0 }

M.order[#M.order + 1] = "body1"
skynet.init(function()
	skynet.sleep(2)
	M.inits = M.inits + 1
	M.order[#M.order + 1] = "init"
	M.ready = true
end)
M.order[#M.order + 1] = "body2"

return M
