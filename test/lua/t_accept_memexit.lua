-- t_accept_memexit: a service at its memlimit calls skynet.exit. The first
-- call fails (no byte left for exit's own tables), the service then drops
-- its data and calls skynet.exit again, which must still end the service.
local skynet = require "skynet"

skynet.memlimit(512 * 1024)

local hoard

-- Fills the heap with small, fixed-size tables until an allocation fails,
-- so what is left is less than one table. No closure is made per call, so
-- nothing becomes garbage the emergency collection could give back.
local function grow()
	while true do
		hoard = { hoard }
	end
end

skynet.start(function()
	skynet.dispatch("lua", function()
		pcall(grow)
		pcall(grow)
		local ok = pcall(skynet.exit)
		hoard = nil
		collectgarbage()
		skynet.error("first exit at the limit returned: " .. tostring(ok))
		skynet.exit()
	end)
end)
