-- skynet.lua: the public Lua API of a service and its coroutine scheduler.
--
-- Every message runs in a coroutine taken from a pool. A coroutine that calls
-- another service, sleeps or waits yields "SUSPEND" after recording which
-- session will resume it (session_id_coroutine); the response, timer or wakeup
-- resumes it. A request being handled remembers its session and source
-- (session_coroutine_id / _address) until skynet.ret or skynet.response answers
-- it. Whatever is still unanswered when the service exits or is killed gets a
-- PTYPE_ERROR, so no caller waits forever on a dead service.
local c = require "skynet.core"
local profile = require "skynet.profile"

local tostring, tonumber, type, pairs, ipairs, select = tostring, tonumber, type, pairs, ipairs, select
local assert, error, pcall, xpcall, setmetatable = assert, error, pcall, xpcall, setmetatable
local tinsert, tremove, tunpack, tpack = table.insert, table.remove, table.unpack, table.pack
local traceback = debug.traceback
local coroutine_create = coroutine.create
local coroutine_resume = profile.resume
local coroutine_yield = coroutine.yield
local coroutine_running = coroutine.running
local coroutine_close = coroutine.close

local skynet = {
	PTYPE_TEXT = 0,
	PTYPE_RESPONSE = 1,
	PTYPE_MULTICAST = 2,
	PTYPE_CLIENT = 3,
	PTYPE_SYSTEM = 4,
	PTYPE_HARBOR = 5,
	PTYPE_SOCKET = 6,
	PTYPE_ERROR = 7,
	PTYPE_QUEUE = 8,
	PTYPE_DEBUG = 9,
	PTYPE_LUA = 10,
	PTYPE_SNAX = 11,
	PTYPE_TRACE = 12,
}

local PTYPE_RESPONSE, PTYPE_ERROR, PTYPE_TRACE = 1, 7, 12

local proto = {}
local session_id_coroutine = {}      -- session -> coroutine waiting for it, or "BREAK"
local session_coroutine_id = {}      -- coroutine -> session of the request it handles
local session_coroutine_address = {} -- coroutine -> source of that request
local session_coroutine_tracetag = {}
local unresponse = {}                -- response closure -> address, until it is called
local unresponse_session = {}        -- response closure -> session
local sleep_session = {}             -- token -> session
local watching_session = {}          -- session -> address being called
local wakeup_queue = {}
local fork_queue = { h = 1, t = 0 }
local coroutine_pool = setmetatable({}, { __mode = "kv" })
local running_thread = nil
local trace_source = {}

do
	local REG = function(p)
		proto[p.name] = p
		proto[p.id] = p
	end
	skynet.register_protocol = function(class)
		local name = class.name
		local id = class.id
		assert(proto[name] == nil and proto[id] == nil, "protocol already registered: " .. tostring(name))
		assert(type(name) == "string" and type(id) == "number" and id >= 0 and id <= 255)
		REG(class)
	end
end

----------------------------------------------------------------------------
-- Coroutines

-- A pooled coroutine runs the function parked for it in co_func, cleans up
-- after the request, returns to the pool and waits for its next resume, whose
-- arguments go to the next function: one resume per message, not two.
local co_func = {}

local function co_create(f)
	local n = #coroutine_pool
	local co = coroutine_pool[n]
	if co then
		coroutine_pool[n] = nil
	else
		local function body(...)
			local fn = co_func[co]
			co_func[co] = nil
			fn(...)
			local session = session_coroutine_id[co]
			if session then
				if session ~= 0 then
					local info = debug.getinfo(fn, "S")
					skynet.error(string.format("Maybe forgot response session %s from %s : %s:%d",
						session, skynet.address(session_coroutine_address[co]), info.source, info.linedefined))
				end
				session_coroutine_id[co] = nil
			end
			if session_coroutine_address[co] then
				session_coroutine_address[co] = nil
				session_coroutine_tracetag[co] = nil
			end
			coroutine_pool[#coroutine_pool + 1] = co
			return body(coroutine_yield "EXIT")
		end
		co = coroutine_create(body)
	end
	co_func[co] = f
	return co
end

local suspend

local function resume(co, ...)
	running_thread = co
	return coroutine_resume(co, ...)
end

local function dispatch_wakeup()
	if wakeup_queue[1] == nil then
		return
	end
	while true do
		local token = tremove(wakeup_queue, 1)
		if token == nil then
			return
		end
		local session = sleep_session[token]
		if session then
			local co = session_id_coroutine[session]
			session_id_coroutine[session] = "BREAK"
			return suspend(co, resume(co, false, "BREAK", nil, session))
		end
	end
end

local function answer_error(address, session, why)
	if address and session and session ~= 0 then
		c.send(address, PTYPE_ERROR, session, why or "")
	end
end

-- Called with the results of a resume: what the coroutine yielded, or its error.
function suspend(co, result, command)
	if not result then
		local session = session_coroutine_id[co]
		if session then
			local address = session_coroutine_address[co]
			answer_error(address, session, tostring(command))
			session_coroutine_id[co] = nil
			session_coroutine_address[co] = nil
			session_coroutine_tracetag[co] = nil
		end
		local tb = traceback(co, tostring(command))
		coroutine_close(co)
		-- Coroutines it woke before failing still run.
		local ok, werr = pcall(dispatch_wakeup)
		if not ok then
			tb = tb .. "\n" .. tostring(werr)
		end
		error(tb)
	end
	if command == "SUSPEND" or command == "EXIT" then
		-- Any coroutine giving control back is a chance to run woken sleepers.
		if wakeup_queue[1] ~= nil then
			return dispatch_wakeup()
		end
		return
	elseif command == "QUIT" then
		-- skynet.exit: the exiting coroutine's to-be-closed variables run too.
		coroutine_close(co)
		return
	elseif command == "USER" then
		error("Call skynet.coroutine.yield out of skynet.coroutine.resume\n" .. traceback(co))
	elseif command == nil then
		-- A plain coroutine.yield() inside a handler: it would never be resumed.
		error("plain coroutine.yield in a service (use skynet.wait)\n" .. traceback(co))
	else
		error("unknown yield command " .. tostring(command) .. "\n" .. traceback(co))
	end
end

----------------------------------------------------------------------------
-- Time, sleeping, waiting






function skynet.timeout(ti, func)
	local session = c.intcommand("TIMEOUT", ti)
	assert(session, "timeout failed")
	local co = co_create(func)
	assert(session_id_coroutine[session] == nil)
	session_id_coroutine[session] = co
	return co
end





----------------------------------------------------------------------------
-- Addresses and environment


function skynet.address(addr)
	if type(addr) == "number" then
		return string.format(":%08x", addr)
	end
	return tostring(addr)
end

function skynet.getenv(key)
	return (c.command("GETENV", key))
end



skynet.now = c.now
skynet.hpc = c.hpc
skynet.self = c.self
skynet.error = c.error
skynet.genid = assert(c.genid)
skynet.pack = assert(c.pack)
skynet.packstring = assert(c.packstring)
skynet.unpack = assert(c.unpack)
skynet.tostring = assert(c.tostring)
skynet.trash = assert(c.trash)

----------------------------------------------------------------------------
-- Sending, calling, answering

function skynet.send(addr, typename, ...)
	local p = proto[typename]
	return c.send(addr, p.id, 0, p.pack(...))
end

local function yield_call(service, session)
	watching_session[session] = service
	session_id_coroutine[session] = running_thread
	local succ, msg, sz = coroutine_yield "SUSPEND"
	watching_session[session] = nil
	if not succ then
		local why = ""
		if type(msg) == "userdata" and sz and sz > 0 then
			why = ": " .. c.tostring(msg, sz)
		elseif msg == "BREAK" then
			why = ": interrupted"
		end
		error(string.format("call failed: service %s%s", skynet.address(service), why), 0)
	end
	return msg, sz
end

local function send_trace(addr)
	local tag = session_coroutine_tracetag[running_thread]
	if tag then
		c.trace(tag, "call", 3) -- 3: the caller of skynet.call (skynet: 2, no helper)
		c.send(addr, PTYPE_TRACE, 0, tag)
	end
end

function skynet.call(addr, typename, ...)
	local p = proto[typename]
	if p == nil then
		error("unknown protocol " .. tostring(typename), 2)
	end
	send_trace(addr)
	local session = c.send(addr, p.id, nil, p.pack(...))
	if session == nil then
		error("call to invalid address " .. skynet.address(addr), 2)
	end
	return p.unpack(yield_call(addr, session))
end

function skynet.ret(msg, sz)
	msg = msg or ""
	local co = running_thread
	local session = session_coroutine_id[co]
	if session == nil then
		error("no session to respond to (already answered, or not a request)", 2)
	end
	session_coroutine_id[co] = nil
	if session == 0 then
		-- The request came from skynet.send: nobody waits for an answer.
		if sz ~= nil then
			c.trash(msg, sz)
		end
		return false
	end
	local tag = session_coroutine_tracetag[co]
	if tag then
		c.trace(tag, "response")
	end
	return c.send(session_coroutine_address[co], PTYPE_RESPONSE, session, msg, sz) ~= nil
end

function skynet.retpack(...)
	return skynet.ret(skynet.pack(...))
end

-- Here, not in the lazy tier: every gate agent calls it on each client packet
-- (whose session is the fd), and loading skynet/ext.lua for it alone costs an
-- agent about 15 KiB.
function skynet.ignoreret()
	session_coroutine_id[running_thread] = nil
end

----------------------------------------------------------------------------
-- Threads of control


----------------------------------------------------------------------------
-- Dispatch

function skynet.dispatch(typename, func)
	local p = proto[typename]
	assert(p, "unknown protocol " .. tostring(typename))
	if func then
		local old = p.dispatch
		p.dispatch = func
		return old
	end
	return p.dispatch
end

local internal = {}

-- skynet's wording, which operators grep for.
function internal.unknown_request(session, address, msg, sz, prototype)
	skynet.error(string.format("Unknown request (%s): %s", prototype, c.tostring(msg, sz)))
	error(string.format("Unknown session : %d from %x", session, address))
end

function internal.unknown_response(session, address, msg, sz)
	skynet.error(string.format("Response message : %s", c.tostring(msg, sz)))
	error(string.format("Unknown session : %d from %x", session, address))
end


-- A request that failed before any coroutine owned it (bad arguments, no
-- unpack function): dispatch_message answers it with the error.
local unanswered_session, unanswered_source

local function start_request(p, f, session, source, ...)
	unanswered_session = nil
	local co = co_create(f)
	session_coroutine_id[co] = session
	session_coroutine_address[co] = source
	-- internal.tracing is set once a trace tag arrived or skynet.traceproto
	-- was used; the tracing tier (skynet/ext_rare.lua) is loaded by then.
	if internal.tracing then
		internal.trace_request(p, co, source)
	end
	running_thread = co
	return suspend(co, coroutine_resume(co, session, source, ...))
end

local function raw_dispatch_message(prototype, msg, sz, session, source)
	if prototype == PTYPE_RESPONSE then
		local co = session_id_coroutine[session]
		if co == "BREAK" then
			session_id_coroutine[session] = nil
		elseif co == nil then
			internal.unknown_response(session, source, msg, sz)
		else
			local tag = session_coroutine_tracetag[co]
			if tag then
				c.trace(tag, "resume")
			end
			session_id_coroutine[session] = nil
			suspend(co, resume(co, true, msg, sz, session))
		end
		return
	elseif prototype == PTYPE_ERROR then
		return skynet.dispatch_error(session, source, msg, sz)
	elseif prototype == PTYPE_TRACE then
		trace_source[source] = c.tostring(msg, sz)
		if not internal.tracing then
			-- Touching the tracing API loads its tier, trace_request with it.
			internal.tracing = skynet.tracetag ~= nil
		end
		return
	end
	local p = proto[prototype]
	local f = p and p.dispatch
	if f == nil then
		if p == nil and session ~= 0 then
			c.send(source, PTYPE_ERROR, session, "unknown protocol " .. prototype)
		elseif session ~= 0 then
			c.send(source, PTYPE_ERROR, session, "no dispatch function for " .. p.name)
		else
			internal.unknown_request(session, source, msg, sz, prototype)
		end
		return
	end
	-- Arguments are unpacked before a coroutine takes the request: if unpack
	-- fails, dispatch_message still knows whom to answer with the error.
	unanswered_session, unanswered_source = session, source
	start_request(p, f, session, source, p.unpack(msg, sz))
end

-- Runs every queued fork; returns the errors they raised, or nil.
local function run_forks()
	local err
	while fork_queue.h <= fork_queue.t do
		local h = fork_queue.h
		local co = fork_queue[h]
		fork_queue[h] = nil
		fork_queue.h = h + 1
		local ok, ferr = pcall(suspend, co, resume(co))
		if not ok then
			err = err and (err .. "\n" .. tostring(ferr)) or tostring(ferr)
		end
	end
	fork_queue.h, fork_queue.t = 1, 0
	running_thread = nil
	return err
end

-- No pcall here, on the path of every message: an error goes up to the C
-- callback (skynet.core), which logs it and then calls skynet_after_error.
function skynet.dispatch_message(prototype, msg, sz, session, source)
	raw_dispatch_message(prototype, msg, sz, session, source)
	if fork_queue.h <= fork_queue.t then
		local err = run_forks()
		if err then
			error(err, 0)
		end
	end
	running_thread = nil
end

-- After dispatch_message raised: answer a request that failed before any
-- coroutine owned it, or whose coroutine failed while its error was being
-- handled (out of memory in suspend), and run the forks queued before the error.
debug.getregistry().skynet_after_error = function(err)
	if unanswered_session then
		answer_error(unanswered_source, unanswered_session, tostring(err))
		unanswered_session = nil
	end
	local co = running_thread
	if co and session_coroutine_id[co] and coroutine.status(co) == "dead" then
		answer_error(session_coroutine_address[co], session_coroutine_id[co], tostring(err))
		session_coroutine_id[co] = nil
		session_coroutine_address[co] = nil
	end
	local ferr = run_forks()
	if ferr then
		error(ferr, 0)
	end
end

----------------------------------------------------------------------------
-- Service life cycle


-- Answers everything still owed to other services with an error.

debug.getregistry().skynet_release_hook = function()
	skynet.fail_pending("service killed")
end


-- skynet.init functions registered while the service loads (in require order)
-- run just before the start function; registered later, they run at once.
local init_func = {}

function skynet.init(f, name)
	assert(type(f) == "function", "skynet.init needs a function")
	if init_func == nil then
		f()
	else
		init_func[#init_func + 1] = f
	end
end

local function init_then_start(start, ...)
	local funcs = init_func
	init_func = nil
	if funcs then
		for _, f in ipairs(funcs) do
			f()
		end
	end
	start(...)
end

function skynet.pcall(start, ...)
	return xpcall(init_then_start, traceback, start, ...)
end

function skynet.init_service(start)
	local ok, err = skynet.pcall(start)
	if not ok then
		skynet.error("init service failed: " .. tostring(err))
		skynet.send(".launcher", "lua", "ERROR")
		skynet.exit()
	else
		skynet.send(".launcher", "lua", "LAUNCHOK")
	end
end

function skynet.start(start_func)
	c.callback(skynet.dispatch_message)
	-- internal.init_thread: the coroutine running the start function, for
	-- skynet.task "init"
	internal.init_thread = skynet.timeout(0, function()
		skynet.init_service(start_func)
		internal.init_thread = nil
	end)
end

----------------------------------------------------------------------------
-- The rest of the API lives in two lazily loaded tiers: skynet/ext.lua
-- (sleep, wait, fork, response, service lookup) and skynet/ext_rare.lua (exit,
-- killthread, task, trace, request, stat...). An idle service loads neither,
-- and costs far less memory and time to start.

internal.c = c
internal.proto = proto
internal.session_id_coroutine = session_id_coroutine
internal.session_coroutine_id = session_coroutine_id
internal.session_coroutine_address = session_coroutine_address
internal.session_coroutine_tracetag = session_coroutine_tracetag
internal.unresponse = unresponse
internal.unresponse_session = unresponse_session
internal.sleep_session = sleep_session
internal.watching_session = watching_session
internal.fork_queue = fork_queue
internal.wakeup_queue = wakeup_queue
internal.trace_source = trace_source
internal.co_func = co_func
internal.co_create = co_create
internal.suspend = suspend
internal.resume = resume
internal.answer_error = answer_error
internal.send_trace = send_trace
internal.yield_call = yield_call

-- Config call_timeout (ms): every skynet.call gives up after that long (see
-- skynet.call_timeout in skynet/ext_rare.lua). Unset, skynet.call is untouched.
-- newservice/uniqueservice/queryservice wait for a service's start, which may
-- rightly take longer: they use the unlimited call (internal.call).
internal.call = skynet.call
do
	local ms = tonumber(c.command("GETENV", "call_timeout") or nil)
	if ms and ms > 0 then
		function skynet.call(addr, typename, ...)
			return skynet.call_timeout(ms, addr, typename, ...)
		end
	end
end

function internal.running()
	return running_thread
end

setmetatable(skynet, {
	__index = function(t, key)
		local ext = require "skynet.ext"
		setmetatable(t, nil)
		ext(t, internal)
		-- not rawget: the key may live in the next tier, which ext chains in
		return t[key]
	end,
})

----------------------------------------------------------------------------
-- Built-in protocols

skynet.register_protocol {
	name = "lua",
	id = skynet.PTYPE_LUA,
	pack = skynet.pack,
	unpack = skynet.unpack,
}

skynet.register_protocol {
	name = "response",
	id = skynet.PTYPE_RESPONSE,
}

skynet.register_protocol {
	name = "error",
	id = skynet.PTYPE_ERROR,
	unpack = function(...) return ... end,
}

-- The debug protocol's handler is loaded on first use: most services never see
-- a debug message, and every byte of an idle service counts.
skynet.register_protocol {
	name = "debug",
	id = skynet.PTYPE_DEBUG,
	pack = skynet.pack,
	unpack = skynet.unpack,
	dispatch = function(...)
		local f = require("skynet.debug").init(skynet, {
			dispatch = skynet.dispatch_message,
			fail_pending = skynet.fail_pending,
			info = function(...)
				if internal.info_func then
					return internal.info_func(...)
				end
			end,
			-- the scheduler's tables (the shutdown hooks live there)
			state = internal,
		})
		proto.debug.dispatch = f
		return f(...)
	end,
}

return skynet
