-- test_gate: the Lua gate (service/gate.lua on snax.gateserver) with echo
-- agents, driven by skynet.socket clients in this service, which is also the
-- watchdog. Checks framing, forwarding, bad clients and socket leaks.
-- timeout: 60
local skynet = require "skynet"
local socket = require "skynet.socket"
local T = require "testlib"

local PORT, PORT2   -- free ports, chosen at setup
local gate, agent
local events = {}    -- watchdog reports, in arrival order

local function pid()
	local f = assert(io.open("/proc/self/stat"))
	local p = f:read("n")
	f:close()
	return p
end

local function fd_count()
	local p = io.popen("ls /proc/" .. pid() .. "/fd | wc -l")
	local n = p:read("n")
	p:close()
	return n
end

local function wait_for(pred, what)
	for _ = 1, 300 do
		local r = pred()
		if r then return r end
		skynet.sleep(1)
	end
	error("timed out waiting for " .. what)
end

-- The next watchdog report of kind for fd (or any fd) from gate `from`
-- (default: the main gate).
local function expect(kind, fd, from)
	from = from or gate
	local ok, e = pcall(wait_for, function()
		for i, e in ipairs(events) do
			if e[1] == kind and (fd == nil or e[2] == fd) and e.from == from then
				table.remove(events, i)
				return e
			end
		end
	end, kind .. " report")
	if not ok then
		local seen = {}
		for _, ev in ipairs(events) do
			seen[#seen + 1] = string.format("%s %s from %s", ev[1], tostring(ev[2]), skynet.address(ev.from))
		end
		error(string.format("no %s report for fd %s from %s; pending: %s", kind, tostring(fd),
			skynet.address(from), table.concat(seen, ", ")), 2)
	end
	return e
end

-- socket.read with a deadline: on timeout the socket is closed and
-- "timeout" returned instead of hanging the whole test.
local function read_within(id, n, cs)
	local done, timed_out = false, false
	skynet.timeout(cs or 300, function()
		if not done then
			timed_out = true
			socket.close_fd(id)
		end
	end)
	local r, rest = socket.read(id, n)
	done = true
	if timed_out then
		return "timeout"
	end
	return r, rest
end

local function packet(s)
	return string.pack(">s2", s)
end

local function read_packet(id)
	local head = read_within(id, 2)
	if not head or head == "timeout" then return head end
	return read_within(id, string.unpack(">I2", head))
end

-- Connects a client and forwards it to the echo agent; returns client id, gate fd.
local function client()
	local id = assert(socket.open("127.0.0.1", PORT))
	local e = expect("open")
	skynet.call(gate, "lua", "forward", e[2], 0, agent)
	return id, e[2]
end

local function gate_count()
	return skynet.call(gate, "lua", "count")
end

T.case("echo through the gate, all packet sizes", function()
	local id, fd = client()
	for _, size in ipairs { 0, 1, 100, 4096, 65535 } do
		local s = string.rep(string.char(size % 251), size)
		socket.write(id, packet(s))
		local got = read_packet(id)
		T.ok(got == s, "echo of " .. size .. " bytes")
	end
	-- several packets in one write, and one packet split inside its header
	socket.write(id, packet("a") .. packet("bb") .. packet("ccc"))
	T.eq(read_packet(id), "a")
	T.eq(read_packet(id), "bb")
	T.eq(read_packet(id), "ccc")
	local p = packet("split")
	socket.write(id, p:sub(1, 1))
	skynet.sleep(2)
	socket.write(id, p:sub(2, 4))
	skynet.sleep(2)
	socket.write(id, p:sub(5))
	T.eq(read_packet(id), "split")
	socket.close(id)
	expect("close", fd)
end)

T.case("packets of an accepted (not forwarded) fd go to the watchdog", function()
	local id = assert(socket.open("127.0.0.1", PORT))
	local fd = expect("open")[2]
	skynet.call(gate, "lua", "accept", fd)
	socket.write(id, packet("to watchdog"))
	local e = expect("data", fd)
	T.eq(e[3], "to watchdog")
	socket.close(id)
	expect("close", fd)
end)

T.case("kick closes the client", function()
	local id, fd = client()
	skynet.call(gate, "lua", "kick", fd)
	T.eq(read_within(id, 1), false, "client sees the close")
	socket.close(id)
	skynet.sleep(2)
	for _, e in ipairs(events) do
		T.ok(not (e[1] == "close" and e[2] == fd), "no close report for a kicked fd")
	end
end)

T.case("bad clients: mid-packet disconnect, truncated header, junk; no leak", function()
	local base_fd = fd_count()
	local base_clients = gate_count()
	-- header promises 4096 bytes, 10 arrive, then the client leaves
	local id, fd = client()
	socket.write(id, string.pack(">I2", 4096) .. string.rep("x", 10))
	skynet.sleep(2)
	socket.close(id)
	expect("close", fd)
	-- a single header byte, then close
	id, fd = client()
	socket.write(id, "\1")
	skynet.sleep(2)
	socket.close(id)
	expect("close", fd)
	-- the largest header with a short body, then close
	id, fd = client()
	socket.write(id, "\255\255" .. string.rep("y", 1000))
	skynet.sleep(2)
	socket.close(id)
	expect("close", fd)
	-- junk: random bytes are just odd packets to the framing; the agent echoes
	-- whatever completes, and closing mid-way loses nothing but that client
	id, fd = client()
	local junk = {}
	math.randomseed(7)
	for i = 1, 20000 do
		junk[i] = string.char(math.random(0, 255))
	end
	socket.write(id, table.concat(junk))
	skynet.sleep(5)
	socket.close(id)
	expect("close", fd)
	-- many clients that connect and vanish at once
	for _ = 1, 50 do
		local c = assert(socket.open("127.0.0.1", PORT))
		socket.write(c, "\0")
		socket.close(c)
	end
	-- the watchdog hands each one to the agent only after it left: the gate
	-- must notice the dead socket once it starts reading it
	for _ = 1, 50 do
		local e = expect("open")
		skynet.call(gate, "lua", "forward", e[2], 0, agent)
	end
	for _ = 1, 50 do
		expect("close")
	end
	-- the gate still serves
	id, fd = client()
	socket.write(id, packet("still here"))
	T.eq(read_packet(id), "still here")
	socket.close(id)
	expect("close", fd)
	wait_for(function() return gate_count() == base_clients end, "gate connection table back to its size")
	local n = wait_for(function()
		local n = fd_count()
		return n <= base_fd and n
	end, "fd count back to " .. base_fd)
	T.ok(n <= base_fd, "fds back to baseline")
end)

T.case("slow reader: the watchdog gets the send warning", function()
	local id, fd = client()
	socket.pause(id)
	local sent = skynet.call(agent, "lua", "blast", fd, 16 * 1024 * 1024)
	local e = expect("warning", fd)
	T.ok(e[3] >= 1024, "warning size in KiB: " .. tostring(e[3]))
	local got = 0
	while got < sent do
		local d = socket.read(id)
		T.ok(d, "draining")
		got = got + #d
	end
	T.eq(got, sent)
	e = expect("warning", fd)
	T.eq(e[3], 0, "drained")
	socket.close(id)
	expect("close", fd)
end)

T.case("packets for a dead agent are dropped; the client can be kicked", function()
	local id = assert(socket.open("127.0.0.1", PORT))
	local fd = expect("open")[2]
	local doomed = skynet.newservice("t_echoagent")
	skynet.call(gate, "lua", "forward", fd, 0, doomed)
	socket.write(id, packet("first"))
	T.eq(read_packet(id), "first")
	skynet.kill(doomed)
	for i = 1, 100 do
		socket.write(id, packet("lost " .. i))
	end
	skynet.sleep(5)
	skynet.call(gate, "lua", "kick", fd)
	T.eq(read_within(id, 1), false, "kicked")
	socket.close(id)
	-- the gate is unharmed
	local id2, fd2 = client()
	socket.write(id2, packet("ok"))
	T.eq(read_packet(id2), "ok")
	socket.close(id2)
	expect("close", fd2)
end)

T.case("maxclient: connections beyond the limit are closed", function()
	local g2 = skynet.newservice("gate")
	skynet.call(g2, "lua", "open", { address = "127.0.0.1", port = PORT2, maxclient = 2,
		watchdog = skynet.self() })
	local a = assert(socket.open("127.0.0.1", PORT2))
	local b = assert(socket.open("127.0.0.1", PORT2))
	local fa, fb = expect("open", nil, g2)[2], expect("open", nil, g2)[2]
	skynet.call(g2, "lua", "forward", fa, 0, agent)
	skynet.call(g2, "lua", "forward", fb, 0, agent)
	local c = assert(socket.open("127.0.0.1", PORT2))
	T.eq(read_within(c, 1), false, "third client closed")
	socket.close(c)
	socket.close(a)
	expect("close", fa, g2)
	-- a slot is free again
	local d = assert(socket.open("127.0.0.1", PORT2))
	local fd = expect("open", nil, g2)[2]
	skynet.call(g2, "lua", "forward", fd, 0, agent)
	socket.write(d, packet("fits"))
	T.eq(read_packet(d), "fits")
	socket.close(d)
	socket.close(b)
	expect("close", fd, g2)
	expect("close", fb, g2)
	skynet.call(g2, "lua", "close")
	skynet.kill(g2)
end)

T.run(function()
	skynet.dispatch("lua", function(_, source, what, kind, ...)
		assert(what == "socket")
		local e = { kind, ... }
		e.from = source
		events[#events + 1] = e
	end)
	PORT, PORT2 = T.free_port(), T.free_port()
	agent = skynet.newservice("t_echoagent")
	gate = skynet.newservice("gate")
	skynet.call(gate, "lua", "open", { address = "127.0.0.1", port = PORT, maxclient = 200, nodelay = true })
end)
