-- skynet/ext_rare.lua: the third tier of the skynet API: exit, killthread,
-- tracing (trace, tracecall, tracelog, traceproto, trace_timeout), task
-- inspection, fan-out requests, statistics, the code cache, shutdown hooks. Loaded the first
-- time a service touches any of it (see skynet/ext.lua).
local tremove, tunpack = table.remove, table.unpack
local traceback = debug.traceback
local coroutine_close = coroutine.close

return function(skynet, I)
	local c = I.c
	local PTYPE_ERROR = skynet.PTYPE_ERROR
	local traceid = 0
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

	-- Closes every coroutine suspended in this service but the running one
	-- (which is closed when it yields QUIT), so their to-be-closed variables
	-- run. A close that raises is logged; the others still run.
	local function close_suspended(running)
		local threads = {}
		for _, co in pairs(I.session_id_coroutine) do
			if type(co) == "thread" and co ~= running then
				threads[co] = true
			end
		end
		for co in pairs(threads) do
			if coroutine.status(co) == "suspended" then
				local ok, err = coroutine_close(co)
				if not ok then
					skynet.error("skynet.exit: closing " .. tostring(co) .. ": " .. tostring(err))
				end
			end
		end
	end

	-- Everything skynet.exit does before the final yield. Each step may be
	-- repeated: a service at its memlimit can fail half way (any allocation
	-- raises), and a later skynet.exit (init_service's, once the failed start
	-- function's data is garbage) must still get through.
	local function exit_steps()
		exiting = true
		for i = I.fork_queue.h, I.fork_queue.t do
			I.fork_queue[i] = nil
		end
		I.fork_queue.h, I.fork_queue.t = 1, 0
		skynet.send(".launcher", "lua", "REMOVE", skynet.self(), false)
		-- Callers waiting on this service get an error.
		skynet.fail_pending("service exited")
		-- Services this one is calling are told it is gone (PTYPE_ERROR,
		-- session 0), so they forget the answers they owe it.
		local called = {}
		for _, address in pairs(I.watching_session) do
			called[address] = true
		end
		for address in pairs(called) do
			c.redirect(address, 0, PTYPE_ERROR, 0, "")
		end
		close_suspended(I.running())
		-- Whatever is still delivered gets an error answer.
		c.callback(function(_, _, _, session, source)
			if session ~= 0 and source ~= 0 then
				c.send(source, PTYPE_ERROR, session, "service exited")
			end
		end)
		c.command("EXIT")
	end

	function skynet.exit()
		if exiting then
			return
		end
		local ok, err = pcall(exit_steps)
		if not ok then
			exiting = false
			error(err, 0)
		end
		coroutine_yield "QUIT"
	end

	function skynet.killthread(thread)
		local session
		if type(thread) == "string" then
			for k, v in pairs(I.session_id_coroutine) do
				if type(v) == "thread" and string.find(tostring(v), thread, 1, true) then
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
		-- every session it waits on (a call_timeout waits on two)
		for k, v in pairs(I.session_id_coroutine) do
			if v == co then
				I.session_id_coroutine[k] = "BREAK"
			end
		end
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

	-- Fails every call this service is making to service, as if it had died.
	-- The failed callers resume after the current coroutine gives control
	-- back (as in skynet), not inside it.
	function skynet.term(service)
		skynet.fork(skynet.dispatch_error, 0, service)
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

	local function trace_thread(co, info)
		skynet.error("TRACE", I.session_coroutine_tracetag[co])
		if I.session_coroutine_tracetag[co] == false then
			return -- forced off (skynet.traceproto(proto, false))
		end
		traceid = traceid + 1
		local tag = string.format(":%08x-%d", skynet.self(), traceid)
		I.session_coroutine_tracetag[co] = tag
		c.trace(tag, info and ("trace " .. info) or "trace")
	end

	function skynet.trace(info)
		return trace_thread(I.running(), info)
	end

	function skynet.tracetag()
		return I.session_coroutine_tracetag[I.running()]
	end

	skynet.tracelog = c.trace

	-- true: trace every request of this protocol; false: never; nil: only
	-- the ones skynet.trace() is called in (or a traced caller sent).
	function skynet.traceproto(prototype, flag)
		local p = assert(I.proto[prototype], "unknown protocol")
		p.trace = flag
		I.tracing = true
	end

	-- The trace tag of a new request (called by skynet.lua while
	-- I.tracing): the one its source sent just before it (PTYPE_TRACE), or
	-- the protocol's own setting (false: never, true: every request).
	function I.trace_request(p, co, source)
		local flag = p.trace
		if flag == false then
			I.trace_source[source] = nil
			I.session_coroutine_tracetag[co] = false
			return
		end
		local tag = I.trace_source[source]
		if tag then
			I.trace_source[source] = nil
			c.trace(tag, "request")
			I.session_coroutine_tracetag[co] = tag
		elseif flag then
			trace_thread(co)
		end
	end

	-- A rawcall whose request and answer are logged under tag.
	function skynet.tracecall(tag, addr, typename, msg, sz)
		c.trace(tag, "tracecall begin")
		c.send(addr, skynet.PTYPE_TRACE, 0, tag)
		local p = I.proto[typename]
		local session = assert(c.send(addr, p.id, nil, msg, sz), "call to invalid address")
		local rmsg, rsz = I.yield_call(addr, session)
		c.trace(tag, "tracecall end")
		return rmsg, rsz
	end

	-- While on, a coroutine started by skynet.timeout remembers where the
	-- timeout was set ("TIMER now+ti : " and that traceback) until it fires:
	-- skynet.task shows that instead of the not yet started coroutine.
	local timeout_traceback
	local plain_timeout
	function skynet.trace_timeout(on)
		plain_timeout = plain_timeout or skynet.timeout
		if on then
			timeout_traceback = timeout_traceback or setmetatable({}, { __mode = "k" })
			local timeout = plain_timeout
			skynet.timeout = function(ti, func)
				local co
				co = timeout(ti, function()
					timeout_traceback[co] = nil
					func()
				end)
				timeout_traceback[co] = traceback(string.format("TIMER %d+%d : ", skynet.now(), ti), 2)
				return co
			end
		else
			timeout_traceback = nil
			skynet.timeout = plain_timeout
		end
	end

	local function task_traceback(co)
		if co == "BREAK" then
			return co
		end
		local t = timeout_traceback and timeout_traceback[co]
		return t or traceback(co)
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
			local init = I.init_thread
			return init and traceback(init) or nil
		end
		local tt = type(ret)
		if tt == "table" then
			for session, co in pairs(I.session_id_coroutine) do
				ret[string.format("%s session: %d", tostring(co), session)] = task_traceback(co)
			end
			return
		elseif tt == "number" then
			local co = I.session_id_coroutine[ret]
			if co then
				return task_traceback(co)
			end
			return "No session"
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
			local stack = task_traceback(co)
			local info = stacks[stack] or { count = 0, sessions = {} }
			info.count = info.count + 1
			if info.count < 10 then
				info.sessions[#info.sessions + 1] = session
			end
			stacks[stack] = info
		end
		local ret = {}
		for stack, info in pairs(stacks) do
			local sessions = table.concat(info.sessions, ",")
			if info.count > 10 then
				sessions = sessions .. "..."
			end
			ret[string.format("%d\tsessions:[%s]\n", info.count, sessions)] = stack
		end
		return ret
	end

	-- skynet.cache: the process-wide cache of compiled Lua files (clear), and
	-- mode(m) as skynet's: "OFF" makes this service's require read files from
	-- disk, "ON" (the default) and "EXIST" use the cache; mode() tells which.
	local cache = setmetatable({}, { __index = require "skynet.codecache" })
	local cache_mode, cached_searcher = "ON", nil
	local function plain_searcher(name)
		local filename, err = package.searchpath(name, package.path)
		if filename == nil then
			return "\n\t" .. err
		end
		local f, lerr = loadfile(filename)
		if f == nil then
			error(string.format("error loading module '%s' from file '%s':\n\t%s", name, filename, lerr))
		end
		return f, filename
	end
	function cache.mode(m)
		if m == nil then
			return cache_mode
		end
		assert(m == "ON" or m == "OFF" or m == "EXIST", "cache mode must be ON, OFF or EXIST")
		if m == "OFF" and cache_mode ~= "OFF" then
			cached_searcher = package.searchers[2]
			package.searchers[2] = plain_searcher
		elseif m ~= "OFF" and cache_mode == "OFF" then
			package.searchers[2] = cached_searcher
		end
		cache_mode = m
	end
	skynet.cache = cache

	function skynet.info_func(func)
		I.info_func = func
	end

	-- Beyond skynet: fn runs at the node's graceful shutdown (SIGTERM/SIGINT),
	-- before any service is retired; it may call, sleep, wait. Several run one
	-- after another, in the order registered (skynet/debug.lua, SHUTDOWN).
	function skynet.shutdown(fn)
		assert(type(fn) == "function", "skynet.shutdown needs a function")
		local hooks = I.shutdown_hooks
		if hooks == nil then
			hooks = {}
			I.shutdown_hooks = hooks
			c.command("SHUTDOWNHOOK", "add " .. tostring(SERVICE_NAME))
		end
		hooks[#hooks + 1] = fn
	end

	function skynet.running()
		return I.running()
	end

	-- skynet.call with a limit in milliseconds: the caller waits on two
	-- sessions, the call's and a timer's; whichever answers first wins and the
	-- other is marked BREAK, so a late answer is dropped silently.
	function skynet.call_timeout(ms, addr, typename, ...)
		if type(ms) ~= "number" or ms <= 0 then
			error("skynet.call_timeout: timeout must be a positive number of milliseconds, got " .. tostring(ms), 2)
		end
		local p = I.proto[typename]
		if p == nil then
			error("unknown protocol " .. tostring(typename), 2)
		end
		I.send_trace(addr)
		local session = c.send(addr, p.id, nil, p.pack(...))
		if session == nil then
			error("call to invalid address " .. skynet.address(addr), 2)
		end
		local timer = c.intcommand("TIMEOUT", math.max(1, math.ceil(ms / 10)))
		local co = I.running()
		I.watching_session[session] = addr
		I.session_id_coroutine[session] = co
		I.session_id_coroutine[timer] = co
		local succ, msg, sz, s = coroutine_yield "SUSPEND"
		I.watching_session[session] = nil
		if s == timer then
			I.session_id_coroutine[session] = "BREAK"
			error(string.format("call timeout: service %s did not answer in %s ms", skynet.address(addr), ms), 0)
		end
		I.session_id_coroutine[timer] = "BREAK"
		if not succ then
			local why = ""
			if type(msg) == "userdata" and sz and sz > 0 then
				why = ": " .. c.tostring(msg, sz)
			elseif msg == "BREAK" then
				why = ": interrupted"
			end
			error(string.format("call failed: service %s%s", skynet.address(addr), why), 0)
		end
		return p.unpack(msg, sz)
	end

	function skynet.request(obj)
		return require("skynet.request").new(skynet, I, obj)
	end
end
