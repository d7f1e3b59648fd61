-- skynet.queue: a critical section for the coroutines of one service.
--   local cs = queue()      cs(f, ...) runs f(...) after every f queued before it
-- has finished, even when they suspend in skynet.call. Re-entrant in the same
-- coroutine.
local skynet = require "skynet"
local coroutine = coroutine

return function()
	local current_thread
	local ref = 0
	local waiting = {}

	local function release(ok, ...)
		ref = ref - 1
		if ref == 0 then
			current_thread = table.remove(waiting, 1)
			if current_thread then
				skynet.wakeup(current_thread)
			end
		end
		if not ok then
			error(..., 0)
		end
		return ...
	end

	return function(f, ...)
		local thread = coroutine.running()
		if current_thread and current_thread ~= thread then
			waiting[#waiting + 1] = thread
			skynet.wait(thread)
			assert(ref == 0, "queue: woke up while the section is taken")
		end
		current_thread = thread
		ref = ref + 1
		return release(xpcall(f, debug.traceback, ...))
	end
end
