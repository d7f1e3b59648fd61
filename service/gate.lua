-- gate: the Lua gate service on top of snax.gateserver.
--
-- lua requests: open(conf) (conf.watchdog: who gets the reports, default the
-- caller), close, forward(fd [, client [, address]]), accept(fd), kick(fd).
-- Reports to the watchdog (lua sends): "socket", "open", fd, addr /
-- "close", fd / "error", fd, msg / "warning", fd, size / "data", fd, packet
-- (packets of connections that are not forwarded).
-- Packets of a forwarded fd go to its agent as PTYPE_CLIENT messages with
-- session = fd and source = client (the value given to forward, default 0).
--
-- Back-pressure: every CHECK_BYTES forwarded on a connection, the agent's
-- queue is looked at; holding more than QUEUE_HIGH messages, the connection
-- stops being read (TCP slows the client) until the agent is down to
-- QUEUE_LOW, looked at every 10 ms. A flooding client thus waits for its
-- agent instead of filling the agent's queue.
local skynet = require "skynet"
local gateserver = require "snax.gateserver"
local driver = require "skynet.socketdriver"

local CHECK_BYTES = 64 * 1024
local QUEUE_HIGH = 64
local QUEUE_LOW = 8

local CMD = {}
local watchdog
local connection = {} -- fd -> { fd, ip, agent, client, fwd, paused }
local forwarding = {} -- agent -> connection (the latest forwarded to it)

skynet.register_protocol {
	name = "client",
	id = skynet.PTYPE_CLIENT,
}

local handler = {}

function handler.open(source, conf)
	watchdog = conf.watchdog or source
	return conf.address, conf.port
end

local function resume_when_drained(c)
	if connection[c.fd] ~= c or not c.paused then
		return
	end
	if c.agent and driver.queued(c.agent) > QUEUE_LOW then
		skynet.timeout(1, function() resume_when_drained(c) end)
		return
	end
	c.paused = nil
	driver.start(c.fd)
end

local function check_agent(c)
	c.fwd = 0
	if not c.paused and driver.queued(c.agent) > QUEUE_HIGH then
		c.paused = true
		driver.pause(c.fd)
		skynet.timeout(1, function() resume_when_drained(c) end)
	end
end

function handler.message(fd, msg, sz)
	local c = connection[fd]
	local agent = c and c.agent
	if agent then
		-- the packet buffer travels with the message: no copy. The core frees
		-- it when the agent is gone (nil) or the send fails (error): then the
		-- client has nobody to talk to and is kicked.
		local ok, session = pcall(skynet.redirect, agent, c.client, "client", fd, msg, sz)
		if not (ok and session) then
			skynet.error(string.format("gate: client %d: agent %s unreachable (%s), kicked",
				fd, skynet.address(agent), ok and "gone" or tostring(session)))
			CMD.kick(nil, fd)
			skynet.send(watchdog, "lua", "socket", "close", fd)
			return
		end
		local f = c.fwd + sz
		c.fwd = f
		if f >= CHECK_BYTES then
			check_agent(c)
		end
	else
		skynet.send(watchdog, "lua", "socket", "data", fd, skynet.tostring(msg, sz))
		skynet.trash(msg, sz)
	end
end

function handler.connect(fd, addr)
	connection[fd] = { fd = fd, ip = addr, fwd = 0 }
	skynet.send(watchdog, "lua", "socket", "open", fd, addr)
end

local function unforward(c)
	if c.agent then
		if forwarding[c.agent] == c then
			forwarding[c.agent] = nil
		end
		c.agent = nil
		c.client = nil
	end
end

local function close_fd(fd)
	local c = connection[fd]
	if c then
		unforward(c)
		connection[fd] = nil
	end
end

function handler.disconnect(fd)
	close_fd(fd)
	skynet.send(watchdog, "lua", "socket", "close", fd)
end

function handler.error(fd, msg)
	close_fd(fd)
	skynet.send(watchdog, "lua", "socket", "error", fd, msg)
end

function handler.warning(fd, size)
	skynet.send(watchdog, "lua", "socket", "warning", fd, size)
end

function CMD.forward(source, fd, client, address)
	local c = connection[fd]
	if not c then
		error(string.format("gate: forward of unknown fd %s", tostring(fd)))
	end
	unforward(c)
	c.client = client or 0
	c.agent = address or source
	forwarding[c.agent] = c
	gateserver.openclient(fd)
end

function CMD.accept(_, fd)
	local c = connection[fd]
	if not c then
		error(string.format("gate: accept of unknown fd %s", tostring(fd)))
	end
	unforward(c)
	gateserver.openclient(fd)
end

function CMD.kick(_, fd)
	close_fd(fd)
	gateserver.closeclient(fd)
end

-- How many clients are connected (for tests and monitoring).
function CMD.count()
	local n = 0
	for _ in pairs(connection) do
		n = n + 1
	end
	return n
end

function handler.command(cmd, source, ...)
	local f = CMD[cmd]
	if not f then
		error("gate: unknown command " .. tostring(cmd))
	end
	return f(source, ...)
end

gateserver.start(handler)
