-- skynet.mqueue (deprecated in skynet in favour of skynet.queue; kept for old
-- code): messages of the "queue" protocol (PTYPE_QUEUE, 8) are handled one at
-- a time, in arrival order, by the function given to register, in one
-- coroutine; a handler that suspends holds the queue.
--   mqueue.register(f)   mqueue.call(addr, ...)   mqueue.send(addr, ...)   mqueue.size()
-- A call answers (true, results...) or (false, error); mqueue.call raises on
-- the second. A send whose handler returns something or raises is logged.
local skynet = require "skynet"

local mqueue = {}
local handler
local waiting -- the dispatching coroutine, while it waits for messages
local pending = {}

skynet.register_protocol {
	name = "queue",
	id = skynet.PTYPE_QUEUE,
	pack = skynet.pack,
	unpack = skynet.unpack,
	dispatch = function(session, source, ...)
		skynet.ignoreret()
		pending[#pending + 1] = { session = session, source = source, n = select("#", ...), ... }
		if waiting then
			local co = waiting
			waiting = nil
			skynet.wakeup(co)
		end
	end,
}

local function handle(f, m)
	if m.session == 0 then
		local ok, ret = pcall(f, table.unpack(m, 1, m.n))
		if not ok then
			skynet.error(string.format("[:%08x] send a message to [:%08x] throw an error : %s",
				m.source, skynet.self(), tostring(ret)))
		elseif ret ~= nil then
			skynet.error(string.format("[:%08x] send a message to [:%08x] return something",
				m.source, skynet.self()))
		end
		return
	end
	skynet.redirect(m.source, 0, "response", m.session, skynet.pack(pcall(f, table.unpack(m, 1, m.n))))
end

local function loop(f)
	while true do
		local m = table.remove(pending, 1)
		if m then
			handle(f, m)
		else
			waiting = coroutine.running()
			skynet.wait(waiting)
		end
	end
end

function mqueue.register(f)
	assert(handler == nil, "mqueue.register called twice")
	handler = f
	skynet.fork(loop, f)
end

local function catch(ok, ...)
	if ok then
		return ...
	end
	error(..., 0)
end

function mqueue.call(addr, ...)
	return catch(skynet.call(addr, "queue", ...))
end

function mqueue.send(addr, ...)
	return skynet.send(addr, "queue", ...)
end

function mqueue.size()
	return #pending
end

return mqueue
