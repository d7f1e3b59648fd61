-- test_sock_limits: the socket protections as a Lua service sees them: the
-- write-buffer limit (node default from socket_write_limit, per socket with
-- socket.limit's third argument) with skynet's warning callback still firing,
-- and input back-pressure (a peer writing to a service that does not read is
-- paused by TCP, not buffered in the service), over real loopback sockets.
-- timeout: 40
-- config: socket_write_limit = 3M
-- config: socket_input_limit = 2M
local skynet = require "skynet"
local socket = require "skynet.socket"
local T = require "testlib"

local function find_stat(id)
	for _, e in ipairs(socket.netstat()) do
		if e.id == id then
			return e
		end
	end
end

local function rss_kb()
	local f = io.open("/proc/self/status")
	local text = f:read("a")
	f:close()
	return tonumber(text:match("VmRSS:%s*(%d+)"))
end

local function log_count(pattern)
	local f = io.open(skynet.getenv "logger")
	if not f then
		return 0
	end
	local n = 0
	for line in f:lines() do
		if line:find(pattern) then
			n = n + 1
		end
	end
	f:close()
	return n
end

-- A connected pair on loopback: returns client id, server-side id.
local function pair()
	local lid, _, port = socket.listen("127.0.0.1", 0)
	local server
	socket.start(lid, function(fd)
		server = fd
	end)
	local c = assert(socket.open("127.0.0.1", port))
	for _ = 1, 200 do
		if server then
			break
		end
		skynet.sleep(1)
	end
	socket.close(lid)
	assert(socket.start(server))
	return c, server
end

-- Writes 256 KiB pieces to id (whose peer never reads) until write refuses;
-- returns how many bytes were accepted.
local function write_until_refused(id)
	local piece = string.rep("w", 256 * 1024)
	local sent = 0
	for _ = 1, 400 do
		if not socket.write(id, piece) then
			return sent, true
		end
		sent = sent + #piece
		skynet.yield()
	end
	return sent, false
end

T.case("node default write limit (socket_write_limit = 3M)", function()
	local c, server = pair()   -- c never reads
	local warned = 0
	socket.warning(server, function(_, kb)
		if kb > 0 then
			warned = warned + 1
		end
	end)
	local before = log_count("write buffer overflow:")
	local rss0 = rss_kb()
	local sent, refused = write_until_refused(server)
	local grown = rss_kb() - rss0
	T.ok(refused, "write refused past the limit")
	-- the limit, plus what the kernel buffers on loopback and what the reading
	-- side (this service too) took in before it paused
	T.ok(sent >= 2 * 1024 * 1024 and sent <= 3 * 1024 * 1024 + 24 * 1024 * 1024,
		"accepted about the limit plus what the kernel holds: " .. sent)
	skynet.error(string.format("sent %d bytes before the refusal, %d warning(s), RSS +%d KiB", sent, warned, grown))
	-- without the limit all 100 MiB of attempts would be queued in this process
	T.ok(grown < 40 * 1024, "RSS bounded: +" .. grown .. " KiB")
	for _ = 1, 200 do
		if socket.disconnected(server) ~= false then
			break
		end
		skynet.sleep(1)
	end
	T.eq(socket.error(server), "write buffer overflow", "owner got the error event")
	T.eq(socket.write(server, "x"), false, "write after the close")
	skynet.sleep(10)
	T.eq(log_count("write buffer overflow:") - before, 1, "one log line")
	socket.close(server)
	socket.close(c)
end)

T.case("per-socket write limit (socket.limit third argument)", function()
	local c, server = pair()
	socket.limit(server, nil, 1024 * 1024)
	local sent, refused = write_until_refused(server)
	T.ok(refused, "refused")
	T.ok(sent < 1024 * 1024 + 24 * 1024 * 1024, "refused: " .. sent)
	socket.close(server)
	socket.close(c)
	-- 0 lifts the limit: 40 MiB queue up without a refusal
	c, server = pair()
	socket.limit(server, nil, 0)
	local warned = 0
	socket.warning(server, function(_, kb)
		if kb >= 1024 then
			warned = warned + 1
		end
	end)
	local piece = string.rep("u", 1024 * 1024)
	for i = 1, 40 do
		T.eq(socket.write(server, piece), true, "unlimited write " .. i)
	end
	skynet.sleep(20)   -- sends are queued by the socket thread
	local st = find_stat(server)
	T.ok(st and st.wbuffer > 3 * 1024 * 1024, "past the default without a close: " ..
		tostring(st and st.wbuffer))
	T.ok(warned >= 1, "skynet's warning callback fired")
	T.raises("non-negative", socket.limit, server, nil, -1)
	socket.close_fd(server)
	socket.close(c)
end)

T.case("input back-pressure: an unread socket is paused, not buffered", function()
	local c, server = pair()
	local base = rss_kb()
	-- the peer writes 48 MiB while nobody reads server: socket.lua pauses
	-- it once 128 KiB are buffered, so the rest waits in the kernel and the
	-- writer is slowed by TCP (its own unsent data piles up on its side)
	local piece = string.rep("i", 1024 * 1024)
	socket.limit(c, nil, 0)
	for _ = 1, 48 do
		socket.write(c, piece)
	end
	skynet.sleep(50)
	local st = find_stat(server)
	T.eq(st.reading, false, "reading paused")
	-- what was read before the pause: the input limit (2M) plus a few reads
	skynet.error("read before the pause: " .. st.read)
	T.ok(st.read < 20 * 1024 * 1024, "read only part: " .. st.read)
	T.ok(find_stat(c).wbuffer > 16 * 1024 * 1024, "the writer holds the rest")
	local grown = rss_kb() - base
	-- the writer's own 48 MiB queue is in this process too; without the pause
	-- the reader's buffer would hold another 48 MiB
	T.ok(grown < 80 * 1024, "RSS grew " .. grown .. " KiB")
	-- reading resumes and everything arrives intact
	local total = 0
	while total < 48 * 1024 * 1024 do
		local d = assert(socket.read(server))
		total = total + #d
		T.ok(not d:find("[^i]"), "intact")
	end
	T.eq(total, 48 * 1024 * 1024, "all bytes")
	socket.close(c)
	socket.close(server)
end)

T.run()
