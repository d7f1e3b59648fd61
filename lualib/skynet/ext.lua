-- skynet/ext.lua: the second tier of the skynet API (sleep, wait, fork,
-- response, service lookup...), loaded the first time a service touches it (see
-- the end of skynet.lua); the rarely used rest is in skynet/ext_rare.lua, loaded
-- in turn. It works on the scheduler's own tables, handed over as `I`.
local tinsert, tremove, tunpack = table.insert, table.remove, table.unpack
local traceback = debug.traceback
local coroutine_close = coroutine.close

return function(skynet, I)
	setmetatable(skynet, {
		__index = function(t, key)
			setmetatable(t, nil)
			require("skynet.ext_rare")(t, I)
			return rawget(t, key)
		end,
	})

	local c = I.c
	local PTYPE_RESPONSE, PTYPE_ERROR = skynet.PTYPE_RESPONSE, skynet.PTYPE_ERROR
	skynet._proto = I.proto
	local starttime
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
			c.trace(tag, "sleep", 2)
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
			-- The source is gone: forget the answers owed to it, and fail every
			-- call waiting on it (each resumed with its session, as a request's
			-- select thread needs).
			for resp, addr in pairs(I.unresponse) do
				if addr == source then
					I.unresponse[resp] = nil
					I.unresponse_session[resp] = nil
				end
			end
			local failed
			for s, addr in pairs(I.watching_session) do
				if addr == source then
					failed = failed or {}
					failed[#failed + 1] = s
				end
			end
			if failed then
				table.sort(failed)
				for _, s in ipairs(failed) do
					local co = I.session_id_coroutine[s]
					if type(co) == "thread" then
						I.session_id_coroutine[s] = nil
						I.watching_session[s] = nil
						I.suspend(co, I.resume(co, false, nil, nil, s))
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
		return I.call(".launcher", "lua", "LAUNCH", "snlua", name, ...)
	end

	function skynet.setenv(key, value)
		assert(c.command("GETENV", key) == nil, "Can't setenv exist key : " .. tostring(key))
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

	function skynet.uniqueservice(global, ...)
		if global == true then
			return assert(I.call(".service", "lua", "GLAUNCH", ...))
		end
		return assert(I.call(".service", "lua", "LAUNCH", global, ...))
	end

	function skynet.queryservice(global, ...)
		if global == true then
			return assert(I.call(".service", "lua", "GQUERY", ...))
		end
		return assert(I.call(".service", "lua", "QUERY", global, ...))
	end

end
