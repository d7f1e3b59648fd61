-- skynet.request: fan-out calls, as skynet's skynet.request().
--   local reqs = skynet.request()
--   reqs:add { addr, "lua", ... }          (or reqs { addr, "lua", ... })
--   for req, resp in reqs:select(timeout) do ... end
-- The loop yields each request as its answer comes: resp is a table.pack of
-- the unpacked results, or false when the call failed; a request that could
-- not be sent (a dead address) comes first with resp nil. With a timeout (in
-- centiseconds) the loop ends when it expires and reqs.timeout is true; later
-- answers are dropped. Leaving the loop early (break, error) closes the
-- request: select returns it as the loop's to-be-closed value.
--
-- One coroutine (the request's thread) stands for every session of the
-- request in the scheduler's tables: answers, errors and the timeout resume it,
-- it files the result and wakes the loop.
local request = {}
local meta = { __index = request }

local function send_requests(self)
	local I = self._I
	local c = I.c
	local sessions = {}
	self._sessions = sessions
	local running = I.running()
	local tag = I.session_coroutine_tracetag[running]
	local n = 0
	local failed
	for i = 1, #self do
		local req = self[i]
		local addr = req[1]
		local p = I.proto[req[2]]
		assert(p and p.unpack, "skynet.request: unknown protocol " .. tostring(req[2]))
		if tag then
			c.trace(tag, "call")
			c.send(addr, 12, 0, tag) -- PTYPE_TRACE
		end
		local session = c.send(addr, p.id, nil, p.pack(table.unpack(req, 3, req.n)))
		if session == nil then
			failed = failed or {}
			failed[#failed + 1] = req
		else
			sessions[session] = req
			I.watching_session[session] = addr
			I.session_id_coroutine[session] = self._thread
			n = n + 1
		end
	end
	self._request = n
	return failed
end

local function request_thread(self)
	local I = self._I
	while true do
		local succ, msg, sz, session = coroutine.yield "SUSPEND"
		if session == self._timeout then
			self._timeout = nil
			self.timeout = true
		else
			I.watching_session[session] = nil
			local req = self._sessions[session]
			if req then
				if succ then
					local p = I.proto[req[2]]
					self._resp[session] = table.pack(p.unpack(msg, sz))
				else
					self._resp[session] = false
				end
			end
		end
		self._skynet.wakeup(self)
	end
end

local function iterate(self)
	return function()
		local failed = self._error
		if failed then
			local req = table.remove(failed)
			if req then
				return req
			end
			self._error = nil
		end
		local session, resp = next(self._resp)
		if session == nil then
			if self._request == 0 or self.timeout then
				return
			end
			self._skynet.wait(self)
			if self.timeout then
				return
			end
			session, resp = next(self._resp)
			if session == nil then
				return
			end
		end
		self._request = self._request - 1
		local req = self._sessions[session]
		self._resp[session] = nil
		self._sessions[session] = nil
		return req, resp
	end
end

function request.new(skynet, I, obj)
	local self = setmetatable({ _skynet = skynet, _I = I }, meta)
	if obj then
		return self:add(obj)
	end
	return self
end

function request:add(obj)
	assert(type(obj) == "table" and not self._thread, "skynet.request: add a table before select")
	self[#self + 1] = obj
	return self
end
meta.__call = request.add

-- Drops what is still outstanding: later answers are consumed silently.
function request:close()
	local I = self._I
	if (self._request or 0) > 0 then
		local resp = self._resp
		for session in pairs(self._sessions) do
			if resp[session] == nil then
				I.session_id_coroutine[session] = "BREAK"
				I.watching_session[session] = nil
			end
		end
		self._request = 0
	end
	if self._timeout then
		I.session_id_coroutine[self._timeout] = "BREAK"
		self._timeout = nil
	end
end
meta.__close = request.close

function request:select(timeout)
	assert(self._thread == nil, "skynet.request: select called twice")
	local I = self._I
	self._thread = coroutine.create(request_thread)
	self._error = send_requests(self)
	self._resp = {}
	if timeout then
		local session = I.c.intcommand("TIMEOUT", timeout)
		self._timeout = session
		I.session_id_coroutine[session] = self._thread
	end
	-- Its first run only parks it at its first yield: a plain resume, the
	-- scheduler's running thread stays the caller.
	coroutine.resume(self._thread, self)
	return iterate(self), nil, nil, self
end

return request
