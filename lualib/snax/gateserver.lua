-- snax.gateserver: the skeleton of a Lua gate. It owns one listening socket,
-- frames client traffic with skynet.netpack (2-byte big-endian length) and
-- calls the handler:
--   handler.open(source, conf)         after `open`; conf.address/port are set to the
--                                      bound ones (port 0 picks a free port)
--   handler.connect(fd, addr)          a client arrived (reading starts with openclient)
--   handler.message(fd, msg, sz)       one packet; msg (lightuserdata) now belongs to
--                                      the handler: redirect it or skynet.trash it
--   handler.disconnect(fd)             the client closed
--   handler.error(fd, msg)             the socket failed (it is closed already)
--   handler.warning(fd, size)          size KiB wait to be sent (0: drained)
--   handler.command(cmd, source, ...)  any other `lua` request; the results are the reply
-- Lua requests "open"(conf) and "close" are handled here. conf: address
-- (default "0.0.0.0"), port, maxclient (default 1024), nodelay, backlog, and
-- the protections (beyond skynet; all off unless given):
--   idle_timeout     seconds: a client that sends nothing for this long is
--                    closed (covers a client that connects and never logs in)
--   max_per_address  connections from one peer ip; more are closed at once
--   write_limit      bytes unsent to one client before it is closed (default:
--                    the node's socket_write_limit)
-- Connections beyond maxclient or max_per_address are closed at once; refusals
-- and idle closes are logged at most once a second, with counts.
local skynet = require "skynet"
local netpack = require "skynet.netpack"
local driver = require "skynet.socketdriver"

local gateserver = {}

local listen_id
local listen_wait    -- { id, co } while open waits for the listen report
local queue          -- netpack queue userdata, replaced by each filter call
local maxclient
local client_number = 0
local nodelay = false
local connection = {} -- fd -> true while reading is started, false once accepted
local idle_timeout    -- centiseconds, or nil
local last_active = {} -- fd -> skynet.now() of its last packet (with idle_timeout)
local max_per_address
local write_limit
local address_count = {} -- peer ip -> connections
local fd_address = {}    -- fd -> peer ip
local refused = { maxclient = 0, address = 0, at = -100 }

local CMD = {}

-- Starts reading a client's packets (after handler.connect decided to keep it).
function gateserver.openclient(fd)
	if connection[fd] ~= nil then
		connection[fd] = true
		driver.start(fd)
	end
end

-- Drops the slot of a client we counted.
local function release(fd)
	connection[fd] = nil
	client_number = client_number - 1
	last_active[fd] = nil
	local ip = fd_address[fd]
	if ip then
		fd_address[fd] = nil
		local n = address_count[ip] - 1
		address_count[ip] = n > 0 and n or nil
	end
end

function gateserver.closeclient(fd)
	if connection[fd] ~= nil then
		-- released now: the close report that follows is not a disconnect
		release(fd)
		driver.close(fd)
	end
end

-- At most one line a second about refused clients, with the counts.
local function log_refusals(force)
	local now = skynet.now()
	if refused.maxclient + refused.address == 0 or (not force and now - refused.at < 100) then
		return
	end
	skynet.error(string.format("gate: refused %d client(s) over maxclient (%d) and %d over max_per_address (%s) since the last report",
		refused.maxclient, maxclient, refused.address, tostring(max_per_address)))
	refused.maxclient, refused.address, refused.at = 0, 0, now
end

-- Closes clients silent for longer than idle_timeout; their close reports
-- reach the handler as disconnects.
local function idle_sweeper()
	local period = math.max(10, math.min(100, idle_timeout // 2))
	while idle_timeout do
		skynet.sleep(period)
		local now, n = skynet.now(), 0
		for fd, t in pairs(last_active) do
			if now - t >= idle_timeout then
				last_active[fd] = nil
				driver.close(fd)
				n = n + 1
			end
		end
		if n > 0 then
			skynet.error(string.format("gate: closed %d client(s) idle for %d s", n, idle_timeout // 100))
		end
		log_refusals(false)
	end
end

function gateserver.start(handler)
	assert(handler.message, "gateserver: handler.message required")
	assert(handler.connect, "gateserver: handler.connect required")

	function CMD.open(source, conf)
		assert(not listen_id, "gateserver: already open")
		local address = conf.address or "0.0.0.0"
		local port = assert(tonumber(conf.port), "gateserver: conf.port required")
		maxclient = tonumber(conf.maxclient) or 1024
		nodelay = conf.nodelay and true or false
		local idle = tonumber(conf.idle_timeout)
		idle_timeout = idle and idle > 0 and math.floor(idle * 100) or nil
		max_per_address = tonumber(conf.max_per_address)
		if max_per_address and max_per_address <= 0 then
			max_per_address = nil
		end
		write_limit = tonumber(conf.write_limit)
		if idle_timeout then
			skynet.fork(idle_sweeper)
		end
		listen_id = driver.listen(address, port, conf.backlog)
		-- the socket thread reports the bound address (port 0 picks one)
		listen_wait = { id = listen_id, co = coroutine.running() }
		skynet.wait(listen_wait.co)
		conf.address, conf.port = listen_wait.address, listen_wait.port
		listen_wait = nil
		driver.start(listen_id)
		-- skynet's wording, with the bound port (port 0 picks one)
		skynet.error(string.format("Listen on %s:%d", conf.address, conf.port))
		if handler.open then
			return handler.open(source, conf)
		end
	end

	function CMD.close()
		if listen_id then
			driver.close(listen_id)
			listen_id = nil
		end
	end

	local MSG = {}

	local function dispatch_packet(fd, msg, sz)
		if connection[fd] then
			if idle_timeout then
				last_active[fd] = skynet.now()
			end
			handler.message(fd, msg, sz)
		else
			skynet.error(string.format("gate: dropping a packet from unknown fd %d", fd))
			skynet.trash(msg, sz)
		end
	end

	MSG.data = dispatch_packet

	function MSG.more()
		while true do
			local fd, msg, sz = netpack.pop(queue)
			if not fd then
				break
			end
			-- one failing handler must not strand the packets behind it
			local ok, err = pcall(dispatch_packet, fd, msg, sz)
			if not ok then
				skynet.error("gate: message handler failed: " .. tostring(err))
			end
		end
	end

	function MSG.open(fd, addr)
		local ip = max_per_address and (string.match(addr, "^(.*):%d+$") or addr)
		if client_number >= maxclient then
			refused.maxclient = refused.maxclient + 1
		elseif ip and (address_count[ip] or 0) >= max_per_address then
			refused.address = refused.address + 1
		else
			if nodelay then
				driver.nodelay(fd)
			end
			if write_limit then
				driver.write_limit(fd, write_limit)
			end
			connection[fd] = false
			client_number = client_number + 1
			if ip then
				fd_address[fd] = ip
				address_count[ip] = (address_count[ip] or 0) + 1
			end
			if idle_timeout then
				last_active[fd] = skynet.now()
			end
			local ok, err = pcall(handler.connect, fd, addr)
			if not ok then
				-- a client nobody took: closed, never left half-open
				skynet.error(string.format("gate: connect handler failed for %s: %s", addr, tostring(err)))
				gateserver.closeclient(fd)
			end
			return
		end
		driver.close(fd)
		log_refusals(false)
	end

	-- A report for a client we still count: release its slot. Reports for
	-- refused or closeclient()ed sockets are not news to the handler.
	local function forget(fd)
		if connection[fd] ~= nil then
			release(fd)
			return true
		end
		return false
	end

	function MSG.close(fd)
		if fd == listen_id then
			listen_id = nil
			return
		end
		if forget(fd) and handler.disconnect then
			handler.disconnect(fd)
		end
	end

	function MSG.error(fd, msg)
		if fd == listen_id then
			skynet.error("gate: accept failed: " .. tostring(msg))
			return
		end
		if forget(fd) and handler.error then
			handler.error(fd, msg)
		end
	end

	-- A connect report: the listener's bound address, or a start acknowledged.
	function MSG.init(id, addr, port)
		local w = listen_wait
		if w and w.co and id == w.id then
			w.address, w.port = addr, port
			local co = w.co
			w.co = nil
			skynet.wakeup(co)
		end
	end

	function MSG.warning(fd, size)
		if handler.warning then
			handler.warning(fd, size)
		end
	end

	skynet.register_protocol {
		name = "socket",
		id = skynet.PTYPE_SOCKET,
		unpack = function(msg, sz)
			return netpack.filter(queue, msg, sz)
		end,
		dispatch = function(_, _, q, kind, ...)
			queue = q
			if kind then
				MSG[kind](...)
			end
		end,
	}

	local function init()
		skynet.dispatch("lua", function(_, source, cmd, ...)
			local f = CMD[cmd]
			if f then
				skynet.ret(skynet.pack(f(source, ...)))
			elseif handler.command then
				skynet.ret(skynet.pack(handler.command(cmd, source, ...)))
			else
				error("gate: unknown command " .. tostring(cmd))
			end
		end)
	end

	if handler.embed then
		init()
	else
		skynet.start(init)
	end
end

return gateserver
