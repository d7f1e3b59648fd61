-- skynet.request: fan-out calls.
--   local reqs = skynet.request()
--   reqs:add { addr, "lua", ... }          (or reqs { addr, "lua", ... })
--   for req, resp, err in reqs:select(timeout) do ... end
-- Results come in completion order: resp is a table.pack of the call's results,
-- or nil and err (the error text) when the call failed. With a timeout (in
-- centiseconds) the loop ends when it expires; later answers are dropped.
local request = {}
local meta = { __index = request }

function request.new(skynet, obj)
	local self = setmetatable({ _skynet = skynet }, meta)
	if obj then
		self:add(obj)
	end
	return self
end

function request:add(obj)
	assert(type(obj) == "table" and not self._thread, "add a table before select")
	self[#self + 1] = obj
	return self
end
meta.__call = request.add

function request:close()
	self._closed = true
	if self._thread then
		self._skynet.wakeup(self._thread)
	end
end

function request:select(timeout)
	local skynet = self._skynet
	assert(self._thread == nil, "select called twice")
	local thread = coroutine.running()
	self._thread = thread
	local done = {}
	local pending = #self
	for i = 1, #self do
		local req = self[i]
		skynet.fork(function()
			local result = table.pack(pcall(skynet.call, table.unpack(req)))
			if self._closed then
				return
			end
			done[#done + 1] = { req, result }
			skynet.wakeup(thread)
		end)
	end
	if timeout then
		skynet.timeout(timeout, function()
			self._timeout = true
			skynet.wakeup(thread)
		end)
	end
	return function()
		while true do
			local r = table.remove(done, 1)
			if r then
				pending = pending - 1
				local req, result = r[1], r[2]
				if result[1] then
					return req, table.pack(table.unpack(result, 2, result.n))
				end
				return req, nil, tostring(result[2])
			end
			if pending == 0 or self._timeout or self._closed then
				self._closed = true
				return nil
			end
			skynet.wait(thread)
		end
	end
end

return request
