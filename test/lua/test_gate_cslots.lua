-- test_gate_cslots: the C gate's connection-slot options (beyond skynet),
-- given as trailing "key=value" fields of its launch parameter:
-- idle_timeout (a silent connection is closed and reported to the watchdog as
-- a close), max_per_address (more connections from one ip are closed at
-- once), their log lines, and clear launch errors for bad values. Clients are
-- skynet.socket connections over loopback; this service is the watchdog.
-- timeout: 60
local skynet = require "skynet"
require "skynet.manager"
local socket = require "skynet.socket"
local T = require "testlib"

local reports = {}   -- the gate's text reports, in arrival order
local agent

skynet.register_protocol {
	name = "text", id = skynet.PTYPE_TEXT, unpack = skynet.tostring, pack = function(s) return s end,
	dispatch = function(_, _, s)
		reports[#reports + 1] = s
	end,
}

-- Takes the first report matching pattern (waiting up to cs centiseconds).
local function take(pattern, cs, what)
	return T.wait_until(function()
		for i, s in ipairs(reports) do
			if s:match(pattern) then
				table.remove(reports, i)
				return s
			end
		end
	end, cs or 300, what or pattern)
end

-- Log lines (of the node's logger file) matching pattern.
local function log_lines(pattern)
	local f = assert(io.open(skynet.getenv "logger"))
	local n, last = 0, nil
	for line in f:lines() do
		if line:match(pattern) then
			n, last = n + 1, line
		end
	end
	f:close()
	return n, last
end

-- Launches a C gate on 127.0.0.1 (a free port) with extra fields; returns it and its port.
local function launch(maxclient, extra)
	local gate = skynet.launch("gate", string.format("S :%08x 127.0.0.1:0 0 %d %s", skynet.self(), maxclient, extra))
	T.ok(gate, "gate launched")
	local l = T.wait_until(function()
		for _, e in ipairs(socket.netstat()) do
			if e.type == "LISTEN" and e.address == gate then
				return e
			end
		end
	end, 300, "the gate's listener")
	return gate, tonumber(l.sock:match(":(%d+)$"))
end

local function stop(gate)
	skynet.send(gate, "text", "close")
	skynet.kill(gate)
end

-- Connects a client and binds it to the echo agent; returns client id, gate fd.
local function client(gate, port)
	local id = assert(socket.open("127.0.0.1", port))
	local fd = tonumber(take("^%d+ open ", 300, "open report"):match("^(%d+)"))
	skynet.send(gate, "text", string.format("forward %d :%08x :0", fd, agent))
	return id, fd
end

local function echo(id, s)
	socket.write(id, string.pack(">s2", s))
	local head = socket.read(id, 2)
	if not head then
		return false
	end
	return socket.read(id, string.unpack(">I2", head))
end

-- socket.read(id, 1) with a deadline: false once the peer closed, "timeout" if
-- nothing happened within cs.
local function closed_within(id, cs)
	local done, timed_out = false, false
	skynet.timeout(cs, function()
		if not done then
			timed_out = true
			socket.close_fd(id)
		end
	end)
	local r = socket.read(id, 1)
	done = true
	if timed_out then
		return "timeout"
	end
	return r
end

T.case("idle_timeout closes a silent connection and reports a close; an active one stays", function()
	local gate, port = launch(8, "idle_timeout=2")
	local active, afd = client(gate, port)
	local silent, sfd = client(gate, port)
	local t0 = skynet.now()
	-- the active client talks every 0.3 s for 3 s
	for i = 1, 10 do
		T.eq(echo(active, "ping " .. i), "ping " .. i, "active client served")
		skynet.sleep(30)
	end
	T.eq(closed_within(silent, 200), false, "silent client closed")
	local e = take("^" .. sfd .. " ", 100, "report for the silent client")
	T.eq(e, sfd .. " close", "reported to the watchdog as a close")
	local elapsed = (skynet.now() - t0) / 100
	T.ok(elapsed >= 1.5, "not before the timeout: " .. elapsed)
	T.eq(echo(active, "still"), "still", "active client still served")
	for _, s in ipairs(reports) do
		T.ok(not s:match("^" .. afd .. " close"), "active client not closed")
	end
	local n, line = log_lines("gate: closed %d+ client%(s%) idle for 2 s")
	T.ok(n >= 1, "idle close logged")
	T.ok(line:match("gate: closed 1 client%(s%) idle for 2 s"), line)
	socket.close(active)
	take("^" .. afd .. " close", 300)
	socket.close(silent)
	stop(gate)
end)

T.case("a connection never forwarded is closed by idle_timeout too", function()
	local gate, port = launch(8, "idle_timeout=0.5")
	local id = assert(socket.open("127.0.0.1", port))
	local fd = tonumber(take("^%d+ open ", 300, "open report"):match("^(%d+)"))
	T.eq(closed_within(id, 300), false, "closed")
	take("^" .. fd .. " close", 100, "close report")
	socket.close(id)
	stop(gate)
end)

T.case("max_per_address refuses the (N+1)-th connection from one ip; the first N are served", function()
	local gate, port = launch(16, "max_per_address=3")
	local c = {}
	for i = 1, 3 do
		c[i] = { client(gate, port) }
	end
	local extra = assert(socket.open("127.0.0.1", port))
	T.eq(closed_within(extra, 300), false, "fourth connection closed at once")
	socket.close(extra)
	for i = 1, 3 do
		T.eq(echo(c[i][1], "hello " .. i), "hello " .. i, "client " .. i .. " served")
	end
	for _, s in ipairs(reports) do
		T.ok(not s:match(" open "), "no open report for a refused connection: " .. s)
	end
	T.wait_until(function()
		return log_lines("gate: refused 0 client%(s%) over maxclient %(16%) and 1 over max_per_address %(3%) since the last report") > 0
	end, 300, "the refusal logged")
	-- a burst of refusals: counted, logged at most once a second with the counts
	for _ = 1, 5 do
		local x = assert(socket.open("127.0.0.1", port))
		T.eq(closed_within(x, 300), false, "refused")
		socket.close(x)
	end
	local lines
	T.wait_until(function()
		local f = assert(io.open(skynet.getenv "logger"))
		local total
		total, lines = 0, 0
		for l in f:lines() do
			local k = l:match("gate: refused 0 client%(s%) over maxclient %(16%) and (%d+) over max_per_address %(3%)")
			if k then
				total, lines = total + tonumber(k), lines + 1
			end
		end
		f:close()
		return total == 6
	end, 400, "all 6 refusals counted in the log")
	T.ok(lines <= 3, "refusals collapsed into few lines: " .. lines)
	-- a slot of that address frees when one of them leaves
	socket.close(c[1][1])
	take("^" .. c[1][2] .. " close", 300)
	local d, dfd = client(gate, port)
	T.eq(echo(d, "fits"), "fits", "a new client from the address fits again")
	socket.close(d)
	take("^" .. dfd .. " close", 300)
	for i = 2, 3 do
		socket.close(c[i][1])
		take("^" .. c[i][2] .. " close", 300)
	end
	stop(gate)
end)

T.case("maxclient refusals use the same rate-limited line", function()
	local gate, port = launch(1, "")
	local a, afd = client(gate, port)
	local b = assert(socket.open("127.0.0.1", port))
	T.eq(closed_within(b, 300), false, "second client refused")
	socket.close(b)
	T.wait_until(function()
		return log_lines("gate: refused 1 client%(s%) over maxclient %(1%) and 0 over max_per_address %(nil%)") > 0
	end, 300, "the refusal logged")
	T.eq(echo(a, "x"), "x", "first client served")
	socket.close(a)
	take("^" .. afd .. " close", 300)
	stop(gate)
end)

T.case("skynet's parameter forms still work", function()
	for _, parm in ipairs {
		"S :%08x 127.0.0.1:0 0 4",         -- skynet's: client_tag 0 = PTYPE_CLIENT
		"S :%08x 127.0.0.1:0 4",           -- maxclient alone
		"L :%08x 127.0.0.1:0 3 4",         -- 4-byte header, explicit client tag
		"S :%08x 127.0.0.1:0 0 4 idle_timeout=0 max_per_address=0",
		"S :%08x 127.0.0.1:0 0 4 65536",   -- older skynet's trailing buffer size: ignored
		"S :%08x 127.0.0.1:0 0 4 65536 max_per_address=2",
	} do
		local gate = skynet.launch("gate", string.format(parm, skynet.self()))
		T.ok(gate, "launched with " .. parm)
		stop(gate)
	end
end)

T.case("older skynet's bare \"start\" is accepted silently; the gate listens from launch", function()
	local gate, port = launch(4, "")
	skynet.send(gate, "text", "start")
	local id, fd = client(gate, port)
	T.eq(echo(id, "after start"), "after start")
	socket.close(id)
	take("^" .. fd .. " close", 300)
	stop(gate)
	T.eq(log_lines("gate: start unknown connection"), 0, "no complaint about a bare start")
end)

T.case("bad option values fail the launch with a clear error", function()
	T.expect_error("gate: (bad option|unknown option|bad parameter|maxclient must|bad client_tag|unexpected field)")
	T.expect_error("(launch|init) service failed|error: launch")
	local bad = {
		["idle_timeout=abc"] = "gate: bad option 'idle_timeout=abc'",
		["idle_timeout="] = "gate: bad option 'idle_timeout='",
		["idle_timeout=-1"] = "gate: bad option 'idle_timeout=-1'",
		["idle_timeout=1e9"] = "gate: bad option 'idle_timeout=1e9'",
		["max_per_address=x"] = "gate: bad option 'max_per_address=x'",
		["max_per_address=-2"] = "gate: bad option 'max_per_address=-2'",
		["max_per_address=3.5"] = "gate: bad option 'max_per_address=3.5'",
		["max_per_adress=3"] = "gate: unknown option 'max_per_adress=3'",
		["junk"] = "gate: bad parameter",
		["idle_timeout=1 5"] = "gate: unexpected field '5'",
	}
	for opt, msg in pairs(bad) do
		local gate = skynet.launch("gate", string.format("S :%08x 127.0.0.1:0 0 4 %s", skynet.self(), opt))
		T.eq(gate, nil, "launch with " .. opt .. " fails")
		T.wait_until(function()
			return log_lines(msg:gsub("%p", "%%%0")) > 0
		end, 300, "log line " .. msg)
	end
	T.eq(skynet.launch("gate", string.format("S :%08x 127.0.0.1:0 -1 4", skynet.self())), nil, "negative client_tag")
	T.eq(skynet.launch("gate", string.format("S :%08x 127.0.0.1:0 0 0", skynet.self())), nil, "maxclient 0")
	T.eq(skynet.launch("gate", string.format("X :%08x 127.0.0.1:0 0 4", skynet.self())), nil, "bad header")
	T.eq(skynet.launch("gate", ""), nil, "empty parameter")
	-- the node is unharmed: a good gate still serves
	local gate, port = launch(4, "idle_timeout=30 max_per_address=2")
	local id, fd = client(gate, port)
	T.eq(echo(id, "ok"), "ok")
	socket.close(id)
	take("^" .. fd .. " close", 300)
	stop(gate)
end)

T.run(function()
	agent = skynet.newservice("t_echoagent")
end)
