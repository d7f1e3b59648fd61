-- t_req_early: a module required from test_service's main chunk; its init
-- runs just before the start function.
local skynet = require "skynet"

local M = { order = { "body" } }
skynet.init(function()
	M.order[#M.order + 1] = "init"
end)
return M
