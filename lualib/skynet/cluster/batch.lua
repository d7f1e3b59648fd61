-- skynet.cluster.batch: the output batching of the cluster services. Frames
-- pushed while more messages wait in the service's queue are collected and
-- written together when the service reaches a "flush" message it sends
-- itself (queued behind those messages), so a burst of calls or replies
-- costs one write. clusteragent batches its replies, clustersender its
-- requests; each answers the "flush" lua command by calling flush().
local skynet = require "skynet"

local batch = {}

-- batch.new(write) -> push, flush. push(frame | {frames}) queues; flush()
-- hands what is queued to write(list), which does the I/O (or drops it).
function batch.new(write)
	local out, queued = {}, false
	local function flush()
		queued = false
		if #out == 0 then
			return
		end
		local list = out
		out = {}
		write(list)
	end
	local function push(frames)
		if type(frames) == "table" then
			for _, f in ipairs(frames) do
				out[#out + 1] = f
			end
		else
			out[#out + 1] = frames
		end
		if queued then
			return
		end
		if skynet.mqlen() == 0 then
			flush()
		else
			queued = true
			skynet.send(skynet.self(), "lua", "flush")
		end
	end
	return push, flush
end

return batch
