-- test_sock_gate_flow: input back-pressure through both gates. A client
-- pipelines 20,000 packets (20 MB) at an agent that needs 0.2 ms for each
-- (t_slowagent): the gate must stop reading the client while the agent is
-- behind, so the agent's queue stays short (without it, nearly every packet
-- waits in the agent's queue at once), and resume so that every packet
-- arrives. What one read of the socket brought in (up to 4 MiB) is still
-- forwarded after the pause: that is the bound.
-- timeout: 60
local skynet = require "skynet"
require "skynet.manager"
local socket = require "skynet.socket"
local T = require "testlib"

local PACKETS = 20000
local reports = {}   -- C gate text reports / Lua gate "socket" messages

skynet.register_protocol {
	name = "text", id = skynet.PTYPE_TEXT, unpack = skynet.tostring, pack = function(s) return s end,
	dispatch = function(_, _, s)
		reports[#reports + 1] = s
	end,
}

local function wait_until(pred, what, ticks)
	for _ = 1, ticks or 500 do
		local r = pred()
		if r then
			return r
		end
		skynet.sleep(1)
	end
	error("timed out waiting for " .. what)
end

local function netstat_entry(pred)
	for _, e in ipairs(socket.netstat()) do
		if pred(e) then
			return e
		end
	end
end

-- Floods PACKETS packets of 1,000 bytes on client c; watches the gate-side
-- connection gfd pause; returns the agent's stats once all arrived.
local function flood_and_check(c, gfd, agent)
	local packet = string.pack(">s2", string.rep("p", 1000))
	socket.limit(c, nil, 0)
	socket.write(c, string.rep(packet, PACKETS))
	local paused = wait_until(function()
		local e = netstat_entry(function(e) return e.id == gfd end)
		return e and e.reading == false
	end, "the gate to pause the client")
	T.ok(paused, "client paused")
	local st = wait_until(function()
		local n, q = skynet.call(agent, "lua", "stats")
		if n == PACKETS then
			return { n, q }
		end
	end, "all packets at the agent", 1500)
	local count, max_queue = st[1], st[2]
	skynet.error(string.format("agent got %d packets, longest queue %d", count, max_queue))
	T.eq(count, PACKETS, "every packet arrived")
	-- the gate looks every 64 KiB (~64 packets) and pauses past 64 queued;
	-- what was already read by then still arrives (a read is at most 4 MiB)
	T.ok(max_queue < PACKETS // 2, "agent queue bounded: " .. max_queue)
	T.ok(wait_until(function()
		local e = netstat_entry(function(e) return e.id == gfd end)
		return e and e.reading
	end, "reading to resume"), "reading again")
end

T.case("C gate pauses a client its agent cannot keep up with", function()
	local gate = skynet.launch("gate", string.format("S :%08x 127.0.0.1:0 8", skynet.self()))
	T.ok(gate, "gate launched")
	local l = wait_until(function()
		return netstat_entry(function(e) return e.type == "LISTEN" and e.address == gate end)
	end, "the gate's listener")
	local port = tonumber(l.sock:match(":(%d+)$"))
	local agent = skynet.newservice("t_slowagent")
	local c = assert(socket.open("127.0.0.1", port))
	local open = wait_until(function()
		for i, s in ipairs(reports) do
			if s:match("^%d+ open ") then
				table.remove(reports, i)
				return s
			end
		end
	end, "open report")
	local gfd = tonumber(open:match("^(%d+)"))
	skynet.send(gate, "text", string.format("forward %d :%08x :0", gfd, agent))
	flood_and_check(c, gfd, agent)
	socket.close(c)
	skynet.send(gate, "text", "close")
	skynet.kill(gate)
	skynet.kill(agent)
end)

T.case("Lua gate pauses a client its agent cannot keep up with", function()
	local gate = skynet.newservice("gate")
	local opened = {}
	skynet.dispatch("lua", function(_, _, kind, what, fd)
		if kind == "socket" and what == "open" then
			opened[#opened + 1] = fd
		end
	end)
	local _, port = skynet.call(gate, "lua", "open", { address = "127.0.0.1", port = 0, maxclient = 8 })
	local agent = skynet.newservice("t_slowagent")
	local c = assert(socket.open("127.0.0.1", port))
	local gfd = wait_until(function() return opened[1] end, "open report")
	skynet.call(gate, "lua", "forward", gfd, 0, agent)
	flood_and_check(c, gfd, agent)
	socket.close(c)
	skynet.call(gate, "lua", "close")
	skynet.kill(gate)
	skynet.kill(agent)
end)

T.run()
