-- watchdog: owns the gate and one agent per client. The gate reports socket
-- events here ("socket" lua messages); a new client gets a new agent, and
-- the agent is told to leave when its client goes.
local skynet = require "skynet"

local gate
local agents = {}   -- fd -> agent
local SOCKET = {}
local CMD = {}

-- Every path is inside pcall: a client whose agent cannot be made or started
-- is kicked (the gate frees what it buffered), never left half-open.
local function start_agent(fd, addr)
	local agent = skynet.newservice("agent")
	agents[fd] = agent
	skynet.call(agent, "lua", "start",
		{ gate = gate, client = fd, watchdog = skynet.self(), address = addr })
end

function SOCKET.open(fd, addr)
	skynet.error(string.format("client %d connected from %s", fd, addr))
	local ok, err = pcall(start_agent, fd, addr)
	if not ok then
		skynet.error(string.format("client %d: agent failed to start: %s", fd, tostring(err)))
		local agent = agents[fd]
		agents[fd] = nil
		skynet.send(gate, "lua", "kick", fd)
		if agent then
			skynet.send(agent, "lua", "disconnect")
		end
	end
end

local function close_agent(fd)
	local agent = agents[fd]
	agents[fd] = nil
	if agent then
		local ok, err = pcall(skynet.call, gate, "lua", "kick", fd)
		if not ok then
			skynet.error(string.format("client %d: kick failed: %s", fd, tostring(err)))
		end
		-- the agent exits by itself on disconnect
		skynet.send(agent, "lua", "disconnect")
	end
end

function SOCKET.close(fd)
	skynet.error(string.format("client %d disconnected", fd))
	close_agent(fd)
end

function SOCKET.error(fd, msg)
	skynet.error(string.format("client %d socket error: %s", fd, tostring(msg)))
	close_agent(fd)
end

function SOCKET.warning(fd, size)
	skynet.error(string.format("client %d: %d KiB waiting to be sent", fd, size))
end

function SOCKET.data(fd, msg)
	-- packets only reach the watchdog before an agent took the fd
	skynet.error(string.format("client %d: unexpected packet of %d bytes", fd, #msg))
end

function CMD.start(conf)
	return skynet.call(gate, "lua", "open", conf)
end

function CMD.close(fd)
	close_agent(fd)
end

function CMD.count()
	local n = 0
	for _ in pairs(agents) do
		n = n + 1
	end
	return n
end

skynet.start(function()
	skynet.dispatch("lua", function(session, _, cmd, subcmd, ...)
		if cmd == "socket" then
			local f = SOCKET[subcmd]
			if f then
				f(...)
			end
			-- reports are sends; nothing to answer
			return
		end
		local f = assert(CMD[cmd], "watchdog: unknown command " .. tostring(cmd))
		local r = table.pack(f(subcmd, ...))
		if session ~= 0 then
			skynet.ret(skynet.pack(table.unpack(r, 1, r.n)))
		end
	end)
	gate = skynet.newservice("gate")
end)
