-- t_holder: holds every "hold" request unanswered (skynet.response) and
-- tells whether those answers are still owed ("owed": response("TEST")).
local skynet = require "skynet"

local held = {}

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd)
		if cmd == "hold" then
			held[#held + 1] = skynet.response()
		elseif cmd == "owed" then
			local n = 0
			for _, response in ipairs(held) do
				if response("TEST") then
					n = n + 1
				end
			end
			skynet.retpack(n)
		end
	end)
end)
