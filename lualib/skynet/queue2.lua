-- skynet.queue2: skynet.queue as a scoped lock instead of a wrapped call.
--   local lock = queue2()
--   local guard <close> = lock()   -- waits for earlier holders, released at scope end
-- One holder coroutine at a time per lock; the holder may take it again
-- (re-entrant: it is released when the last guard closes). Waiters get it in
-- the order they asked.
local skynet = require "skynet"
local coroutine = coroutine
local tremove = table.remove

local function queue2()
	local owner -- the coroutine holding the lock, nil when free
	local depth = 0 -- guards the owner has open
	local waiting = {}

	-- The one guard object; closing it gives back one level.
	local guard = setmetatable({}, {
		__close = function()
			depth = depth - 1
			if depth > 0 then
				return
			end
			owner = tremove(waiting, 1)
			if owner then
				skynet.wakeup(owner)
			end
		end,
	})

	return function()
		local thread = coroutine.running()
		if owner and owner ~= thread then
			waiting[#waiting + 1] = thread
			skynet.wait(thread)
			-- the releaser handed the lock to this coroutine
			assert(owner == thread and depth == 0, "queue2: woke up while the lock is taken")
		end
		owner = thread
		depth = depth + 1
		return guard
	end
end

skynet.queue2 = queue2
return queue2
