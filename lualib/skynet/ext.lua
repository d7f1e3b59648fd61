-- skynet/ext.lua: the less used half of the skynet API, loaded on first use
-- (see the end of skynet.lua). It works on the scheduler's own tables, which
-- skynet.lua hands over as `I`.
local tinsert, tremove, tunpack = table.insert, table.remove, table.unpack
local traceback = debug.traceback
local coroutine_close = coroutine.close

return function(skynet, I)
	local c = I.c
	local PTYPE_RESPONSE, PTYPE_ERROR = skynet.PTYPE_RESPONSE, skynet.PTYPE_ERROR
	local traceid = 0
	local trace_timeout = false
	local starttime
	local exiting = false
	local coroutine_yield = coroutine.yield
	local coroutine_running = coroutine.running

	function skynet.starttime()
		if not starttime then
			starttime = c.intcommand("STARTTIME")
		end
		return starttime
	end

	function skynet.time()
		return skynet.now() / 100 + skynet.starttime()
	end

	local function suspend_sleep(session, token)
		local tag = I.session_coroutine_tracetag[I.running()]
		if tag then
			c.trace(tag, "sleep")
		end
		I.session_id_coroutine[session] = I.running()
		assert(I.sleep_session[token] == nil, "token already in use")
		I.sleep_session[token] = session
		return coroutine_yield "SUSPEND"
	end

	function skynet.sleep(ti, token)
		local session = c.intcommand("TIMEOUT", ti)
		assert(session, "sleep failed")
		token = token or coroutine_running()
		local succ, ret = suspend_sleep(session, token)
		I.sleep_session[token] = nil
		if succ then
			return
		end
		if ret == "BREAK" then
			return "BREAK"
		end
		error(ret)
	end

	function skynet.yield()
		return skynet.sleep(0)
	end

	function skynet.wait(token)
		local session = c.genid()
		token = token or coroutine_running()
		suspend_sleep(session, token)
		I.sleep_session[token] = nil
		I.session_id_coroutine[session] = nil
	end

	function skynet.wakeup(token)
		if I.sleep_session[token] then
			tinsert(I.wakeup_queue, token)
			return true
		end
	end

	function skynet.fork(func, ...)
		local n = select("#", ...)
		local co
		if n == 0 then
			co = I.co_create(func)
		else
			local args = { ... }
			co = I.co_create(function() func(tunpack(args, 1, n)) end)
		end
		local t = I.fork_queue.t + 1
		I.fork_queue.t = t
		I.fork_queue[t] = co
		return co
	end

	function skynet.dispatch_error(session, source, msg, sz)
		if session == 0 then
			-- The source died: fail every call waiting on it.
			for s, addr in pairs(I.watching_session) do
				if addr == source then
					local co = I.session_id_coroutine[s]
					if type(co) == "thread" then
						I.session_id_coroutine[s] = nil
						I.suspend(co, I.resume(co, false))
					end
				end
			end
			return
		end
		local co = I.session_id_coroutine[session]
		if co == "BREAK" then
			I.session_id_coroutine[session] = nil
		elseif type(co) == "thread" then
			I.session_id_coroutine[session] = nil
			I.suspend(co, I.resume(co, false, msg, sz, session))
		end
	end

	function skynet.newservice(name, ...)
		return skynet.call(".launcher", "lua", "LAUNCH", "snlua", name, ...)
	end

	function skynet.fail_pending(why)
		for co, session in pairs(I.session_coroutine_id) do
			I.answer_error(I.session_coroutine_address[co], session, why)
		end
		for co in pairs(I.session_coroutine_id) do
			I.session_coroutine_id[co] = nil
		end
		for resp, address in pairs(I.unresponse) do
			I.answer_error(address, I.unresponse_session[resp], why)
			I.unresponse[resp] = nil
			I.unresponse_session[resp] = nil
		end
	end

	function skynet.exit()
		if exiting then
			return
		end
		exiting = true
		for i = I.fork_queue.h, I.fork_queue.t do
			I.fork_queue[i] = nil
		end
		I.fork_queue.h, I.fork_queue.t = 1, 0
		skynet.send(".launcher", "lua", "REMOVE", skynet.self(), false)
		skynet.fail_pending("service exited")
		c.command("EXIT")
		coroutine_yield "QUIT"
	end

	function skynet.setenv(key, value)
		assert(c.command("GETENV", key) == nil, "can't setenv an existing key: " .. tostring(key))
		c.command("SETENV", key .. " " .. value)
	end

	function skynet.localname(name)
		return c.addresscommand("QUERY", name)
	end

	function skynet.harbor(addr)
		return c.harbor(addr)
	end

	function skynet.rawsend(addr, typename, msg, sz)
		local p = I.proto[typename]
		return c.send(addr, p.id, 0, msg, sz)
	end

	function skynet.redirect(dest, source, typename, ...)
		return c.redirect(dest, source, I.proto[typename].id, ...)
	end

	function skynet.rawcall(addr, typename, msg, sz)
		local p = I.proto[typename]
		I.send_trace(addr)
		local session = assert(c.send(addr, p.id, nil, msg, sz), "call to invalid address")
		return I.yield_call(addr, session)
	end

	function skynet.ignoreret()
		I.session_coroutine_id[I.running()] = nil
	end

	function skynet.context()
		local co = I.running()
		return I.session_coroutine_id[co], I.session_coroutine_address[co]
	end

	function skynet.response(pack)
		pack = pack or skynet.pack
		local co = I.running()
		local session = I.session_coroutine_id[co]
		if session == nil then
			error("no session to respond to", 2)
		end
		I.session_coroutine_id[co] = nil
		if session == 0 then
			return function() end
		end
		local address = I.session_coroutine_address[co]
		local function response(ok, ...)
			if ok == "TEST" then
				return I.unresponse[response] ~= nil
			end
			if not pack then
				error("can't respond more than once", 2)
			end
			local ret = false
			if I.unresponse[response] then
				if ok then
					ret = c.send(address, PTYPE_RESPONSE, session, pack(...)) ~= nil
				else
					ret = c.send(address, PTYPE_ERROR, session, "") ~= nil
				end
				I.unresponse[response] = nil
				I.unresponse_session[response] = nil
			end
			pack = nil
			return ret
		end
		I.unresponse[response] = address
		I.unresponse_session[response] = session
		return response
	end

	function skynet.killthread(thread)
		local session
		if type(thread) == "string" then
			for k, v in pairs(I.session_id_coroutine) do
				if tostring(v) == thread then
					session, thread = k, v
					break
				end
			end
		else
			for i = I.fork_queue.h, I.fork_queue.t do
				if I.fork_queue[i] == thread then
					tremove(I.fork_queue, i)
					I.fork_queue.t = I.fork_queue.t - 1
					return thread
				end
			end
			for k, v in pairs(I.session_id_coroutine) do
				if v == thread then
					session = k
					break
				end
			end
		end
		if session == nil or type(thread) ~= "thread" then
			return
		end
		local co = thread
		I.answer_error(I.session_coroutine_address[co], I.session_coroutine_id[co], "killed")
		I.session_coroutine_id[co] = nil
		I.session_coroutine_address[co] = nil
		I.session_coroutine_tracetag[co] = nil
		I.watching_session[session] = nil
		I.session_id_coroutine[session] = "BREAK"
		for token, s in pairs(I.sleep_session) do
			if s == session then
				I.sleep_session[token] = nil
			end
		end
		coroutine_close(co)
		return co
	end

	function skynet.dispatch_unknown_request(unknown)
		local prev = I.unknown_request
		I.unknown_request = unknown
		return prev
	end

	function skynet.dispatch_unknown_response(unknown)
		local prev = I.unknown_response
		I.unknown_response = unknown
		return prev
	end

	function skynet.uniqueservice(global, ...)
		if global == true then
			return assert(skynet.call(".service", "lua", "GLAUNCH", ...))
		end
		return assert(skynet.call(".service", "lua", "LAUNCH", global, ...))
	end

	function skynet.queryservice(global, ...)
		if global == true then
			return assert(skynet.call(".service", "lua", "GQUERY", ...))
		end
		return assert(skynet.call(".service", "lua", "QUERY", global, ...))
	end

	function skynet.term(service)
		return I.dispatch_error(0, service)
	end

	function skynet.memlimit(bytes)
		debug.getregistry().memlimit = bytes
		skynet.memlimit = nil
	end

	function skynet.endless()
		return c.intcommand("STAT", "endless") == 1
	end

	function skynet.mqlen()
		return c.intcommand("STAT", "mqlen")
	end

	function skynet.stat(what)
		return c.intcommand("STAT", what)
	end

	function skynet.trace(info)
		skynet.error("TRACE", I.session_coroutine_tracetag[I.running()])
		if I.session_coroutine_tracetag[I.running()] == false then
			return
		end
		traceid = traceid + 1
		local tag = string.format(":%08x-%d", skynet.self(), traceid)
		I.session_coroutine_tracetag[I.running()] = tag
		c.trace(tag, info and ("trace " .. info) or "trace")
	end

	function skynet.tracetag()
		return I.session_coroutine_tracetag[I.running()]
	end

	function skynet.trace_timeout(on)
		trace_timeout = on
		local timeout = skynet.timeout
		if on then
			skynet.timeout = function(ti, func)
				local tag = string.format("timeout %s", traceback(nil, nil, 2))
				return timeout(ti, function()
					I.session_coroutine_tracetag[I.running()] = tag
					func()
				end)
			end
		end
		return trace_timeout
	end

	function skynet.task(ret)
		if ret == nil then
			local t = 0
			for _, co in pairs(I.session_id_coroutine) do
				if co ~= "BREAK" then
					t = t + 1
				end
			end
			return t
		end
		if ret == "init" then
			return I.init_thread() and traceback(I.init_thread()) or nil
		end
		local tt = type(ret)
		if tt == "table" then
			for session, co in pairs(I.session_id_coroutine) do
				if type(co) == "thread" then
					ret[session] = traceback(co)
				end
			end
			return
		elseif tt == "number" then
			local co = I.session_id_coroutine[ret]
			return type(co) == "thread" and traceback(co) or "no session"
		elseif tt == "thread" then
			for session, co in pairs(I.session_id_coroutine) do
				if co == ret then
					return session
				end
			end
		end
	end

	function skynet.uniqtask()
		local stacks = {}
		for session, co in pairs(I.session_id_coroutine) do
			if type(co) == "thread" then
				local stack = traceback(co)
				local info = stacks[stack] or { count = 0, sessions = {} }
				info.count = info.count + 1
				if info.count <= 10 then
					info.sessions[#info.sessions + 1] = session
				end
				stacks[stack] = info
			end
		end
		local ret = {}
		for stack, info in pairs(stacks) do
			local key = table.concat(info.sessions, ",") .. (info.count > 10 and ",..." or "") .. "\n" .. stack
			ret[key] = info.count
		end
		return ret
	end

	function skynet.info_func(func)
		I.info_func = func
	end

	function skynet.running()
		return I.running()
	end

	function skynet.request(obj)
		return require("skynet.request").new(skynet, obj)
	end
end
