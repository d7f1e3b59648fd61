-- skynet/ext_rare.lua: the third tier of the skynet API: exit, killthread,
-- tracing, task inspection, fan-out requests, statistics. Loaded the first time
-- a service touches any of it (see skynet/ext.lua).
local tremove, tunpack = table.remove, table.unpack
local traceback = debug.traceback
local coroutine_close = coroutine.close

return function(skynet, I)
	local c = I.c
	local PTYPE_ERROR = skynet.PTYPE_ERROR
	local traceid = 0
	local trace_timeout = false
	local exiting = false
	local coroutine_yield = coroutine.yield

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

	-- While on, every skynet.timeout callback runs with a trace tag naming
	-- where the timeout was set. Off restores the plain timeout.
	local plain_timeout
	function skynet.trace_timeout(on)
		plain_timeout = plain_timeout or skynet.timeout
		trace_timeout = on and true or false
		if on then
			local timeout = plain_timeout
			skynet.timeout = function(ti, func)
				local tag = string.format("timeout %s", traceback(nil, nil, 2))
				return timeout(ti, function()
					-- The coroutine goes back to the pool after func: untag it.
					local co = I.running()
					I.session_coroutine_tracetag[co] = tag
					func()
					I.session_coroutine_tracetag[co] = nil
				end)
			end
		else
			skynet.timeout = plain_timeout
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
