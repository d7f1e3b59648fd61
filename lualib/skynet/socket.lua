-- skynet.socket: blocking-style TCP and UDP for Lua services.
--
-- The socket thread reports everything as PTYPE_SOCKET messages; this module
-- registers the "socket" protocol, keeps one read buffer per socket and lets
-- one coroutine per socket sleep (skynet.wait) until what it asked for is
-- buffered: n bytes, a separator, anything, or the close. A read that cannot be
-- satisfied because the socket closed returns false plus whatever was left.
--
-- Per socket state (sockets[id]):
--   connected   true between the connect report and the close/error report
--   connecting  true while open/start waits for the connect report
--   closed      the close or error report arrived (close() must not wait)
--   want        what the sleeping reader needs: a byte count, a separator
--               string, or true (only the close)
--   co          the sleeping reader, or the opener waiting for "connect"
--   closer      a coroutine inside close() waiting for the close report
--   accept      listen sockets: the accept callback; udp: the data callback
local skynet = require "skynet"
local driver = require "skynet.socketdriver"

local coroutine_running = coroutine.running
local assert, type, pcall, error = assert, type, pcall, error

local socket = {}
local sockets = {}
local pool = {}   -- node pool shared by every read buffer of this service

local WARNING_LOG_KB = 1024
-- Unread bytes beyond which reading pauses while nobody waits for them (as
-- skynet's BUFFER_LIMIT): TCP then slows the peer; the next read resumes.
local PAUSE_LIMIT = 128 * 1024

local function wakeup(s)
	local co = s.co
	if co then
		s.co = nil
		skynet.wakeup(co)
	end
end

-- Parks the running coroutine until wakeup(s). Only one reader per socket:
-- two would race for the same bytes.
local function suspend(s)
	if s.co then
		error(string.format("socket %d: another coroutine is already reading", s.id), 3)
	end
	if s.paused or s.flow_paused then
		s.paused = nil
		s.flow_paused = nil
		driver.start(s.id)
	end
	local co = coroutine_running()
	s.co = co
	skynet.wait(co)
end

local function closed(s)
	s.connected = false
	s.connecting = false
	s.closed = true
	s.want = nil
	wakeup(s)
	if s.closer then
		local co = s.closer
		s.closer = nil
		skynet.wakeup(co)
	end
	local f = s.onclose
	if f then
		s.onclose = nil
		local ok, err = pcall(f, s.id)
		if not ok then
			skynet.error(string.format("socket %d: onclose callback failed: %s", s.id, tostring(err)))
		end
	end
end

----------------------------------------------------------------------------
-- Reports from the socket thread

local report = {}

-- 1: data
report[1] = function(id, size, data)
	local s = sockets[id]
	if s == nil or s.buffer == nil then
		skynet.error(string.format("socket %d: dropping %d bytes for an unknown socket", id, size))
		driver.drop(data, size)
		return
	end
	if s.overflow then
		driver.drop(data, size)
		return
	end
	local total = driver.push(s.buffer, pool, data, size)
	if s.limit and total > s.limit then
		-- A peer that sends more than the reader will ever take is treated as
		-- an attack: stop buffering, close, and let the reader see the error.
		skynet.error(string.format("socket %d: read buffer overflow (%d bytes, limit %d), closing",
			id, total, s.limit))
		s.error = "read buffer overflow"
		s.overflow = true
		driver.close(id)
		return
	end
	local want = s.want
	local t = type(want)
	if t == "number" then
		if total < want then
			return
		end
		s.want = nil
		wakeup(s)
	elseif t == "string" then
		if not driver.readline(s.buffer, nil, want) then
			return   -- a long line keeps reading (socket.limit bounds it)
		end
		s.want = nil
		wakeup(s)
	elseif want == true then
		return       -- readall: everything until the close
	end
	if total > PAUSE_LIMIT and not s.flow_paused and not s.paused then
		s.flow_paused = true
		driver.pause(id)
	end
end

-- 2: connect (a connect finished, or start() was acknowledged)
report[2] = function(id, ud, text)
	local s = sockets[id]
	if s == nil then
		return
	end
	if s.connecting then
		s.connected = true
		s.connecting = false
		s.address = text
		s.port = s.listen and ud or nil
		wakeup(s)
	end
end

-- 3: close
report[3] = function(id)
	local s = sockets[id]
	if s then
		closed(s)
	end
end

-- 4: accept (id is the listener, ud the new socket, text the peer address)
report[4] = function(id, newid, text)
	local s = sockets[id]
	if s == nil or s.accept == nil then
		driver.close(newid)
		return
	end
	local ok, err = pcall(s.accept, newid, text)
	if not ok then
		-- nobody will start it: close it rather than leave it half-open
		skynet.error(string.format("socket %d: accept callback failed: %s", id, tostring(err)))
		if sockets[newid] == nil then
			driver.close(newid)
		end
	end
end

-- 5: error
report[5] = function(id, _, text)
	local s = sockets[id]
	if s == nil then
		skynet.error(string.format("socket %d: error %s", id, tostring(text)))
		return
	end
	if s.listen and s.connected then
		-- accept failures (no free fd...) leave the listener working
		skynet.error(string.format("socket %d: listener error %s", id, tostring(text)))
		return
	end
	s.error = text
	-- the core has logged an overflow already (one line per socket)
	if not s.connecting and text ~= "write buffer overflow" then
		skynet.error(string.format("socket %d: error %s", id, tostring(text)))
	end
	closed(s)
end

-- 6: udp
report[6] = function(id, size, data, address)
	local s = sockets[id]
	if s == nil or s.accept == nil then
		driver.drop(data, size)
		return
	end
	local str = skynet.tostring(data, size)
	driver.drop(data, size)
	local ok, err = pcall(s.accept, str, address)
	if not ok then
		skynet.error(string.format("socket %d: udp callback failed: %s", id, tostring(err)))
	end
end

-- 7: warning (ud = unsent KiB, 0 once drained)
report[7] = function(id, kb)
	local s = sockets[id]
	if s and s.on_warning then
		local ok, err = pcall(s.on_warning, id, kb)
		if not ok then
			skynet.error(string.format("socket %d: warning callback failed: %s", id, tostring(err)))
		end
	elseif kb >= WARNING_LOG_KB then
		skynet.error(string.format("socket %d: %d KiB waiting to be sent", id, kb))
	end
end

skynet.register_protocol {
	name = "socket",
	id = skynet.PTYPE_SOCKET,
	unpack = driver.unpack,
	dispatch = function(_, _, t, ...)
		local f = report[t]
		if f then
			f(...)
		end
	end,
}

----------------------------------------------------------------------------
-- Opening

-- Registers id and waits for its connect report. Returns id, text, port or
-- nil, reason.
local function wait_connect(id, func, listen)
	if sockets[id] and not sockets[id].closed then
		error(string.format("socket %d is already in use", id), 3)
	end
	local s = {
		id = id,
		connecting = true,
		connected = false,
		listen = listen,
		accept = func,
		buffer = (func == nil) and driver.buffer() or nil,
	}
	sockets[id] = s
	suspend(s)
	if s.connected then
		return id, s.address, s.port
	end
	if sockets[id] == s then
		sockets[id] = nil
	end
	return nil, s.error or "closed"
end

-- open(host, port) or open("host:port") -> id | nil, reason
function socket.open(addr, port)
	local ok, id = pcall(driver.connect, addr, port)
	if not ok then
		return nil, id
	end
	return wait_connect(id)
end

function socket.bind(fd)
	return wait_connect(driver.bind(fd))
end

function socket.stdin()
	return socket.bind(0)
end

-- listen(host, port [, backlog]) or listen("host:port") -> id, ip, port: the
-- bound address (port 0 picks a free port). backlog defaults to the system's
-- somaxconn. Accepting starts with start(id, accept).
function socket.listen(host, port, backlog)
	if port == nil then
		local h, p = string.match(host, "^(.*):(%d+)$")
		assert(h, "socket.listen: host:port expected")
		host, port = h, tonumber(p)
		if host:sub(1, 1) == "[" then
			host = host:sub(2, -2)
		end
	end
	local id = driver.listen(host, port, backlog)
	local s = { id = id, connecting = true, connected = false, listen = true }
	sockets[id] = s
	suspend(s)   -- the socket thread reports the bound address
	return id, s.address, s.port
end

-- start(id [, accept]) -> id, address text, port (listeners) | nil, reason.
-- For a listener, accept(newid, address) is called for each connection; for
-- an accepted or transferred socket, start makes this service its reader.
function socket.start(id, accept)
	local s = sockets[id]
	local listener = accept ~= nil
	if s and s.listen and s.accept == nil then
		-- a listener from listen(): its record is replaced by the started one
		sockets[id] = nil
		listener = true
	elseif s and s.connected then
		-- a paused socket being resumed
		s.paused = nil
		driver.start(id)
		return id
	end
	driver.start(id)
	return wait_connect(id, accept, listener)
end

function socket.pause(id)
	local s = sockets[id]
	if s and s.connected and not s.paused then
		s.paused = true
		driver.pause(id)
	end
end

----------------------------------------------------------------------------
-- Reading

local function get(id)
	local s = sockets[id]
	if s == nil then
		error(string.format("socket %d is not open in this service", id), 3)
	end
	if s.buffer == nil then
		error(string.format("socket %d cannot be read (listen or udp socket)", id), 3)
	end
	return s
end

-- read(id, n) -> n bytes | false, rest. read(id) -> whatever is buffered
-- (waiting for at least one byte) | false, "".
-- take(buffer, pool, arg) from what is buffered; if that is not there yet and
-- the socket is open, wait until `want` is satisfied and take again. On close:
-- false and whatever was left.
local function take_or_wait(s, want, take, arg)
	local r = take(s.buffer, pool, arg)
	if r then
		return r
	end
	if s.connected then
		s.want = want
		suspend(s)
		r = take(s.buffer, pool, arg)
		if r then
			return r
		end
	end
	return false, driver.readall(s.buffer, pool)
end

function socket.read(id, n)
	local s = get(id)
	if n == nil then
		local r = driver.readall(s.buffer, pool)
		if r ~= "" then
			return r
		end
		if not s.connected then
			return false, r
		end
		s.want = 1
		suspend(s)
		r = driver.readall(s.buffer, pool)
		if r ~= "" then
			return r
		end
		return false, r
	end
	assert(type(n) == "number" and n >= 0, "socket.read: size must be a non-negative number")
	return take_or_wait(s, n, driver.pop, n)
end

-- Everything until the peer closes.
function socket.readall(id)
	local s = get(id)
	if s.connected then
		s.want = true
		suspend(s)
	end
	return driver.readall(s.buffer, pool)
end

-- readline(id [, sep]) -> line without sep | false, rest
function socket.readline(id, sep)
	sep = sep or "\n"
	assert(type(sep) == "string" and #sep > 0, "socket.readline: separator must be a non-empty string")
	return take_or_wait(get(id), sep, driver.readline, sep)
end

-- Waits until something is buffered or the socket closes; true if still open.
function socket.block(id)
	local s = sockets[id]
	if s == nil or not s.connected then
		return false
	end
	s.want = 1
	suspend(s)
	return s.connected
end

----------------------------------------------------------------------------
-- Writing and closing

socket.write = driver.send
socket.lwrite = driver.lsend

-- Closes after pending output and waits for the close report, so that the id
-- is really free when close returns. A sleeping reader gets false + rest.
function socket.close(id)
	local s = sockets[id]
	if s == nil then
		-- an id this service never started (say, a refused accept): nothing
		-- waits on it here, but the socket itself must not leak
		driver.close(id)
		return
	end
	if not s.closed then
		driver.close(id)
		-- a reader or an open in progress wakes too, with false / an error
		s.closer = coroutine_running()
		skynet.wait(s.closer)
	end
	if sockets[id] == s then
		sockets[id] = nil
	end
end

-- Drops our record of id and wakes its reader (which then sees it closed).
local function forget(id)
	local s = sockets[id]
	if s then
		sockets[id] = nil
		s.connected = false
		s.closed = true
		wakeup(s)
	end
end

-- Closes without waiting for the report (or forgets a socket close raced).
function socket.close_fd(id)
	forget(id)
	driver.close(id)
end

-- Half close: the FIN goes out after pending output; reading goes on.
function socket.shutdown(id)
	driver.shutdown(id)
end

-- Forgets the socket without closing it (another service will start() it).
socket.abandon = forget

function socket.invalid(id)
	return sockets[id] == nil
end

function socket.disconnected(id)
	local s = sockets[id]
	if s then
		return not (s.connected or s.connecting)
	end
end

-- limit(id, bytes [, write_bytes]): beyond `bytes` buffered unread bytes the
-- socket is closed as hostile (skynet's meaning; nil: no limit). write_bytes,
-- beyond skynet, sets this socket's write-buffer limit: past it the socket is
-- closed with ERR "write buffer overflow" and write returns false (0 = no
-- limit; the node default is the config key socket_write_limit).
function socket.limit(id, bytes, write_bytes)
	local s = get(id)
	s.limit = bytes
	if write_bytes then
		driver.write_limit(id, write_bytes)
	end
end

function socket.nodelay(id)
	driver.nodelay(id)
end

-- beyond skynet: a TCP peer that stops answering (no FIN or RST ever comes:
-- host gone, network cut) is given up after about `seconds` (default: the
-- config key link_timeout, 30), and the socket reports an error as on any
-- other failure (keepalive probes and TCP_USER_TIMEOUT). 0 keeps the
-- system's timing (hours). The harbor and cluster links use it.
function socket.keepalive(id, seconds)
	if seconds == nil then
		local v = skynet.getenv "link_timeout"
		seconds = v == nil and 30 or (v:match "^%d+$" and tonumber(v))
		if not seconds or seconds > 86400 then
			error(string.format("config link_timeout must be whole seconds (0..86400), not %q", v))
		end
	end
	driver.keepalive(id, seconds)
end

function socket.warning(id, callback)
	local s = sockets[id]
	assert(s, "socket.warning: unknown socket")
	s.on_warning = callback
end

function socket.onclose(id, callback)
	local s = sockets[id]
	assert(s, "socket.onclose: unknown socket")
	s.onclose = callback
end

-- The last error reported for id (nil if none), while it is still known.
function socket.error(id)
	local s = sockets[id]
	return s and s.error
end

-- Every socket of the node, skynet's fields: { {id, address (owner handle),
-- type = "TCP"|"UDP"|"BIND"|"CLOSING", read, write, wbuffer, rtime, wtime,
-- reading, writing, peer} or {id, address, type = "LISTEN", accept, rtime,
-- sock}, ... }; byte counters since the socket opened.
socket.netstat = driver.info
socket.resolve = driver.resolve
socket.header = driver.header

----------------------------------------------------------------------------
-- UDP

-- udp(callback [, host, port]) -> id; callback(data, from_address) per datagram.
function socket.udp(callback, host, port)
	assert(type(callback) == "function", "socket.udp: callback expected")
	local id = driver.udp(host, port)
	sockets[id] = { id = id, connected = true, udp = true, accept = callback }
	return id
end

function socket.udp_connect(id, host, port, callback)
	local s = sockets[id]
	if s then
		assert(s.udp, "socket.udp_connect: not a udp socket")
		if callback then
			s.accept = callback
		end
	else
		assert(callback, "socket.udp_connect: callback expected for a new udp socket")
		sockets[id] = { id = id, connected = true, udp = true, accept = callback }
	end
	driver.udp_connect(id, host, port)
end

local function udp_object(id, callback)
	sockets[id] = { id = id, connected = true, udp = true, accept = callback }
	return id
end

-- udp_listen(host, port, callback) / udp_listen("host:port", nil, callback) -> id:
-- a UDP socket bound there (IPv4 or IPv6); callback(data, from) per datagram.
function socket.udp_listen(addr, port, callback)
	assert(type(callback) == "function", "socket.udp_listen: callback expected")
	return udp_object(driver.udp_listen(addr, port), callback)
end

-- udp_dial(host, port, callback) -> id: a UDP socket connected to host:port;
-- write/sendto go there, and only its datagrams arrive.
function socket.udp_dial(addr, port, callback)
	assert(type(callback) == "function", "socket.udp_dial: callback expected")
	return udp_object(driver.udp_dial(addr, port), callback)
end

socket.sendto = driver.udp_send
socket.udp_address = driver.udp_address

return socket
