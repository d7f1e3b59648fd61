-- t_echoagent: echoes every client packet it gets from a gate back to that
-- client (2-byte length header). lua "blast"(fd, bytes) sends that many bytes
-- of packets to fd at once (for the slow-reader warning test).
local skynet = require "skynet"
local driver = require "skynet.socketdriver"

skynet.register_protocol {
	name = "client",
	id = skynet.PTYPE_CLIENT,
	unpack = skynet.tostring,
	dispatch = function(fd, _, data)
		-- session is the client fd, not a request to answer
		skynet.ignoreret()
		driver.send(fd, string.pack(">s2", data))
	end,
}

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, fd, bytes)
		if cmd == "blast" then
			local packet = string.pack(">s2", string.rep("b", 60000))
			local parts = {}
			for i = 1, bytes // #packet do
				parts[i] = packet
			end
			driver.send(fd, table.concat(parts))
			skynet.ret(skynet.pack(#parts * #packet))
		end
	end)
end)
