-- t_slowagent: a gate agent slower than its client: every client packet costs
-- it about 0.2 ms of CPU. It records how many packets it got and the longest
-- queue it saw (skynet.mqlen), for the back-pressure tests; lua "stats" ->
-- count, max_queue, bytes.
local skynet = require "skynet"

local count, max_queue, bytes = 0, 0, 0

skynet.register_protocol {
	name = "client",
	id = skynet.PTYPE_CLIENT,
	unpack = skynet.tostring,
	dispatch = function(_, _, data)
		skynet.ignoreret()
		count = count + 1
		bytes = bytes + #data
		local q = skynet.mqlen()
		if q > max_queue then
			max_queue = q
		end
		local t = os.clock() + 0.0002
		while os.clock() < t do end
	end,
}

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd)
		if cmd == "stats" then
			skynet.ret(skynet.pack(count, max_queue, bytes))
		end
	end)
end)
