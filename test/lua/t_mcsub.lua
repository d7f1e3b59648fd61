-- t_mcsub: a skynet.multicast subscriber for test_multicast and
-- bench_multicast. Argument: the channel id. It records every message (a
-- number) and answers "got" with the count, a checksum of the order, and
-- whether any arrived twice.
local skynet = require "skynet"
local multicast = require "skynet.multicast"

local channel = tonumber((...))
local count, order, dup, seen = 0, "", false, {}
local ch

local CMD = {}

function CMD.got()
	return count, order, dup
end

function CMD.unsubscribe()
	ch:unsubscribe()
end

function CMD.subscribe()
	ch:subscribe()
end

-- Holds its worker for `seconds` (wall clock): deliveries queue up meanwhile.
function CMD.busy(seconds)
	local deadline = skynet.hpc() + seconds * 1e9
	while skynet.hpc() < deadline do
	end
end

skynet.start(function()
	ch = multicast.new {
		channel = channel,
		dispatch = function(_, source, n, blob)
			count = count + 1
			if seen[n] then
				dup = true
			end
			seen[n] = true
			if #order < 200 then
				order = order .. n .. ","
			end
		end,
	}
	ch:subscribe()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		skynet.retpack(CMD[cmd](...))
	end)
end)
