-- skynet.socketchannel: a request/response client over one TCP connection,
-- shared by every coroutine of a service (database drivers, cluster links).
--
-- Two modes, chosen by the constructor:
--   order mode (no `response` given): replies come back in request order;
--     request(req, read_reply) queues read_reply(sock) -> ok, data, and one
--     dispatcher coroutine runs the queued readers one after the other.
--   session mode (`response = function(sock) -> session, ok, data [, padding]`):
--     the dispatcher reads replies in any order and hands each to the caller
--     of request(req, session).
--
-- Every connection is a `conn` table owning its socket, its dispatcher and its
-- waiting callers; when the link drops, all of them are woken with
-- socketchannel.error raised, and the next request connects again (failed
-- connects back off from 0.1 s up to 1 s). auth(channel) runs on each new
-- connection before any other request is sent; it may call channel:request.
local skynet = require "skynet"
local socket = require "skynet.socket"

local coroutine_running = coroutine.running
local setmetatable, pcall, error, type, tostring = setmetatable, pcall, error, type, tostring

local socketchannel = {}
local channel = {}
local channel_meta = { __index = channel, __name = "socketchannel" }

local socket_error = setmetatable({}, { __tostring = function() return "[socket error]" end })
socketchannel.error = socket_error

local BACKOFF_MIN = 10   -- centiseconds
local BACKOFF_MAX = 100

----------------------------------------------------------------------------
-- The socket as response functions see it: reads raise socket_error when the
-- link is gone, so reply parsers need no error handling of their own.

local sock_meta = {}
sock_meta.__index = sock_meta

function sock_meta:read(n)
	local r = socket.read(self[1], n)
	if not r then
		error(socket_error)
	end
	return r
end

function sock_meta:readline(sep)
	local r = socket.readline(self[1], sep)
	if not r then
		error(socket_error)
	end
	return r
end

----------------------------------------------------------------------------
-- Connections

local function wake_with(self, co, result, data)
	self.__result[co] = result
	self.__result_data[co] = data
	skynet.wakeup(co)
end

-- The link is gone (or the channel closed): fail every caller of conn.
local function drop(self, conn, why)
	if conn.dead then
		return
	end
	conn.dead = true
	if self.__conn == conn then
		self.__conn = nil
	end
	if why then
		skynet.error(string.format("socketchannel %s:%s: link lost (%s)", tostring(self.__host),
			tostring(self.__port), tostring(why)))
	end
	socket.close_fd(conn.id)
	local q = conn.queue
	for i = q.h, q.t do
		wake_with(self, q[i].co, socket_error, why)
		q[i] = nil
	end
	q.h, q.t = 1, 0
	for session, co in pairs(conn.thread) do
		conn.thread[session] = nil
		wake_with(self, co, socket_error, why)
	end
	if conn.idle then
		local co = conn.idle
		conn.idle = nil
		skynet.wakeup(co)
	end
end

local function dispatch_by_order(self, conn)
	local q = conn.queue
	while not conn.dead do
		if q.h > q.t then
			conn.idle = coroutine_running()
			skynet.wait(conn.idle)
		else
			local item = q[q.h]
			q[q.h] = nil
			q.h = q.h + 1
			local ok, result, data = pcall(item.func, conn.sock)
			if ok then
				wake_with(self, item.co, result, data)
			else
				wake_with(self, item.co, socket_error, result ~= socket_error and result or nil)
				drop(self, conn, result)
				return
			end
		end
	end
end

local function dispatch_by_session(self, conn)
	local response = self.__response
	while not conn.dead do
		local ok, session, result, data, padding = pcall(response, conn.sock)
		if not ok then
			drop(self, conn, session)
			return
		end
		local co = conn.thread[session]
		if co == nil then
			skynet.error(string.format("socketchannel %s:%s: reply for unknown session %s",
				tostring(self.__host), tostring(self.__port), tostring(session)))
		elseif padding and result then
			-- one piece of a multi-part reply: collect until the last one
			local parts = self.__result_data[co] or {}
			parts[#parts + 1] = data
			self.__result_data[co] = parts
		else
			conn.thread[session] = nil
			local parts = self.__result_data[co]
			if parts then
				parts[#parts + 1] = data
				data = parts
			end
			wake_with(self, co, result, data)
		end
	end
end

local function open_conn(self, host, port)
	local id, err = socket.open(host, port)
	if not id then
		return nil, err
	end
	if self.__nodelay then
		socket.nodelay(id)
	end
	local conn = {
		id = id,
		sock = setmetatable({ id }, sock_meta),
		queue = { h = 1, t = 0 },
		thread = {},
	}
	-- an idle order-mode link has no reader to notice the close
	socket.onclose(id, function()
		drop(self, conn, "closed by peer")
	end)
	if self.__overload_notify then
		local notify = self.__overload_notify
		socket.warning(id, function(_, kb)
			notify(kb > 0)
		end)
	end
	self.__conn = conn
	skynet.fork(self.__response and dispatch_by_session or dispatch_by_order, self, conn)
	if self.__auth then
		conn.authing = coroutine_running()
		local ok, aerr = pcall(self.__auth, self)
		conn.authing = nil
		if not ok then
			drop(self, conn, "auth failed: " .. tostring(aerr))
			return nil, "auth failed: " .. tostring(aerr)
		end
		if conn.dead then
			return nil, "closed during auth"
		end
	end
	return conn
end

local function connect_once(self)
	local conn, err = open_conn(self, self.__host, self.__port)
	if conn then
		return conn
	end
	for _, b in ipairs(self.__backup or {}) do
		local host, port
		if type(b) == "table" then
			host, port = b.host, b.port
		else
			host, port = string.match(b, "^(.*):(%d+)$")
			port = tonumber(port)
		end
		if host and port then
			conn = open_conn(self, host, port)
			if conn then
				skynet.error(string.format("socketchannel: %s:%s unreachable (%s), using backup %s:%s",
					tostring(self.__host), tostring(self.__port), tostring(err), host, port))
				return conn
			end
		end
	end
	return nil, err
end

-- Connects, honouring the back-off left by earlier failures. once: give up
-- after one round of addresses; otherwise retry until connected or closed.
local function try_connect(self, once)
	while true do
		local wait = self.__next_try - skynet.now()
		if wait > 0 then
			skynet.sleep(wait)
		end
		if self.__closed then
			return nil, "channel closed"
		end
		local conn, err = connect_once(self)
		if conn then
			self.__backoff = 0
			self.__next_try = 0
			return conn
		end
		local b = self.__backoff
		b = (b == 0) and BACKOFF_MIN or math.min(b * 2, BACKOFF_MAX)
		self.__backoff = b
		self.__next_try = skynet.now() + b
		if once then
			return nil, err
		end
		skynet.error(string.format("socketchannel: connect %s:%s failed (%s), retry in %d cs",
			tostring(self.__host), tostring(self.__port), tostring(err), b))
	end
end

-- Returns the live connection, connecting first if needed; raises
-- socket_error when that fails.
local function block_connect(self, once)
	if self.__closed then
		error(socket_error)
	end
	local conn = self.__conn
	if conn and (conn.authing == nil or conn.authing == coroutine_running()) then
		return conn
	end
	if self.__connecting then
		local co = coroutine_running()
		table.insert(self.__connecting, co)
		skynet.wait(co)
		conn = self.__conn
		if conn and not self.__closed then
			return conn
		end
		error(socket_error)
	end
	self.__connecting = {}
	local err
	conn, err = try_connect(self, once)
	local waiting = self.__connecting
	self.__connecting = nil
	for _, co in ipairs(waiting) do
		skynet.wakeup(co)
	end
	if not conn then
		self.__last_error = err
		error(socket_error)
	end
	return conn
end

local function wait_for_response(self, conn, response)
	local co = coroutine_running()
	if self.__response then
		assert(conn.thread[response] == nil, "socketchannel: session already waiting")
		conn.thread[response] = co
	else
		assert(type(response) == "function", "socketchannel: order mode needs a response function")
		local q = conn.queue
		q.t = q.t + 1
		q[q.t] = { co = co, func = response }
		if conn.idle then
			local d = conn.idle
			conn.idle = nil
			skynet.wakeup(d)
		end
	end
	skynet.wait(co)
	local result, data = self.__result[co], self.__result_data[co]
	self.__result[co] = nil
	self.__result_data[co] = nil
	if result == socket_error then
		error(socket_error)
	end
	if not result then
		error(data == nil and "socketchannel: request failed" or data, 0)
	end
	return data
end

----------------------------------------------------------------------------
-- Public API

function socketchannel.channel(desc)
	assert(type(desc) == "table", "socketchannel.channel: a description table expected")
	local self = {
		__host = desc.host,
		__port = desc.port,
		__backup = desc.backup,
		__auth = desc.auth,
		__response = desc.response,
		__nodelay = desc.nodelay,
		__overload_notify = desc.overload,
		__conn = nil,
		__connecting = nil,
		__closed = false,
		__result = {},
		__result_data = {},
		__backoff = 0,
		__next_try = 0,
	}
	return setmetatable(self, channel_meta)
end

-- connect(once): true when connected. once: raise socket_error after one
-- failed round; otherwise keep retrying (with back-off) until it works.
function channel:connect(once)
	self.__closed = false
	block_connect(self, once)
	return true
end

-- request(req [, response [, padding]]): sends req (a string or array of
-- strings) then each padding piece at low priority. Order mode: response is
-- the reply reader; session mode: the session number. Without response it
-- returns at once. Raises socketchannel.error when the link drops.
function channel:request(request, response, padding)
	local conn = block_connect(self, true)
	if not socket.write(conn.id, request) then
		drop(self, conn, "write failed")
		error(socket_error)
	end
	if padding then
		for _, piece in ipairs(padding) do
			socket.lwrite(conn.id, piece)
		end
	end
	if response == nil then
		return
	end
	return wait_for_response(self, conn, response)
end

-- Waits for a reply without sending anything (server push).
function channel:response(response)
	local conn = block_connect(self, true)
	return wait_for_response(self, conn, response)
end

function channel:close()
	if self.__closed then
		return
	end
	self.__closed = true
	local conn = self.__conn
	if conn then
		drop(self, conn)
	end
end

function channel:changehost(host, port)
	self.__host = host
	if port then
		self.__port = port
	end
	local conn = self.__conn
	if conn then
		drop(self, conn, "host changed")
	end
end

function channel:changebackup(backup)
	self.__backup = backup
end

-- The reason of the last failed connect, for logs.
function channel:last_error()
	return self.__last_error
end

return socketchannel
