-- test_socket: skynet.socket over real loopback sockets, both ends in this
-- service (the server side runs in forked coroutines).
-- timeout: 90
local skynet = require "skynet"
local socket = require "skynet.socket"
local T = require "testlib"

-- log each case as it starts, so a hang names its case in the log
do
	local case = T.case
	T = setmetatable({ case = function(name, f)
		case(name, function()
			skynet.error("case: " .. name)
			return f()
		end)
	end }, { __index = T })
end

-- A listener on a free port; on_conn(id, addr) runs in its own coroutine for
-- every accepted socket, after start(). Returns listen id and port.
local function serve(on_conn)
	local lid = socket.listen("127.0.0.1", 0)
	local id, _, port = socket.start(lid, function(id, addr)
		skynet.fork(function()
			T.ok(socket.start(id), "start accepted socket")
			on_conn(id, addr)
		end)
	end)
	T.eq(id, lid, "listener started")
	T.ok(port and port > 0, "bound port known")
	return lid, port
end

local function echo_server(id)
	while true do
		local data = socket.read(id)
		if not data then
			break
		end
		socket.write(id, data)
	end
	socket.close(id)
end

-- Deterministic bytes of every value, different in every 64 KiB block.
local function payload(size)
	local block = {}
	local x = 12345
	for i = 1, 4096 do
		x = (x * 1103515245 + 12345) & 0x7fffffff
		block[i] = string.char(x & 0xff, (x >> 8) & 0xff, (x >> 16) & 0xff, (x >> 24) & 0x7f)
	end
	block = table.concat(block)   -- 16 KiB
	local parts = {}
	local n = 0
	local k = 0
	while n < size do
		k = k + 1
		local piece = string.pack(">I4", k) .. block:sub(5)
		parts[#parts + 1] = piece
		n = n + #piece
	end
	return table.concat(parts):sub(1, size)
end

local function echo_round_trip(size)
	local lid, port = serve(echo_server)
	local id = assert(socket.open("127.0.0.1", port))
	local data = payload(size)
	local got
	skynet.fork(function()
		got = socket.read(id, size)
	end)
	-- split into several writes so the server sees arbitrary segments
	local step = 300000
	for i = 1, size, step do
		T.ok(socket.write(id, data:sub(i, i + step - 1)), "write accepted")
	end
	local t0 = skynet.now()
	while got == nil and skynet.now() - t0 < 2000 do
		skynet.sleep(1)
	end
	T.ok(got, "echo arrived")
	T.eq(#got, size, "echo size")
	T.ok(got == data, "echo identical byte for byte")
	socket.close(id)
	socket.close(lid)
end

T.case("echo of 1 MiB", function()
	echo_round_trip(1024 * 1024)
end)

T.case("echo of 10 MiB", function()
	echo_round_trip(10 * 1024 * 1024)
end)

T.case("open with host:port and small echo", function()
	local lid, port = serve(echo_server)
	local id = assert(socket.open("127.0.0.1:" .. port))
	socket.write(id, "ping")
	T.eq(socket.read(id, 4), "ping")
	T.eq(socket.invalid(id), false)
	socket.close(id)
	T.eq(socket.invalid(id), true, "invalid after close")
	socket.close(lid)
end)

T.case("readline across split segments", function()
	local lines = {}
	local done = false
	local lid, port = serve(function(id)
		while true do
			local l = socket.readline(id, "\r\n")
			if not l then
				break
			end
			lines[#lines + 1] = l
		end
		local l2 = socket.readline(id)
		T.eq(l2, false, "readline after close")
		done = true
		socket.close(id)
	end)
	local id = assert(socket.open("127.0.0.1", port))
	for _, piece in ipairs { "hel", "lo\r", "\nwor", "ld", "\r", "\n\r\nlast\r", "\n" } do
		socket.write(id, piece)
		skynet.sleep(2)
	end
	socket.close(id)
	for _ = 1, 200 do
		if done then break end
		skynet.sleep(1)
	end
	T.ok(done, "server finished")
	T.eq(#lines, 4, "line count")
	T.eq(lines[1], "hello")
	T.eq(lines[2], "world")
	T.eq(lines[3], "")
	T.eq(lines[4], "last")
	socket.close(lid)
end)

T.case("read returns false and the rest on close", function()
	local lid, port = serve(function(id)
		socket.write(id, "partial")
		socket.close(id)
	end)
	local id = assert(socket.open("127.0.0.1", port))
	local ok, rest = socket.read(id, 100)
	T.eq(ok, false)
	T.eq(rest, "partial")
	T.eq(socket.disconnected(id), true)
	socket.close(id)
	socket.close(lid)
end)

T.case("readall until the peer closes", function()
	local lid, port = serve(function(id)
		for i = 1, 5 do
			socket.write(id, "chunk" .. i)
			skynet.sleep(1)
		end
		socket.close(id)
	end)
	local id = assert(socket.open("127.0.0.1", port))
	T.eq(socket.readall(id), "chunk1chunk2chunk3chunk4chunk5")
	socket.close(id)
	socket.close(lid)
end)

T.case("half close: FIN after pending output, reading goes on", function()
	local big = payload(2 * 1024 * 1024)
	local server_got
	local lid, port = serve(function(id)
		-- reply first, then read to EOF: the reply must still be flushed
		socket.write(id, big)
		server_got = socket.readall(id)
		socket.close(id)
	end)
	local id = assert(socket.open("127.0.0.1", port))
	socket.write(id, "request")
	-- the first reply byte proves the server wrote before it can see our FIN
	-- (a peer that sees EOF with nothing left to send is closed at once)
	local first = socket.read(id, 1)
	socket.shutdown(id)
	local rest = socket.read(id, #big - 1)
	T.ok(first and rest, "reply still readable after our shutdown")
	T.ok(first .. rest == big, "reply received in full")
	for _ = 1, 200 do
		if server_got then break end
		skynet.sleep(1)
	end
	T.eq(server_got, "request", "peer saw our data, then EOF")
	socket.close(id)
	socket.close(lid)
end)

T.case("connect to a closed port fails", function()
	local lid, port = serve(echo_server)
	socket.close(lid)
	local id, err = socket.open("127.0.0.1", port)
	T.eq(id, nil, "no socket")
	T.ok(type(err) == "string" and #err > 0, "reason given")
	local id2, err2 = socket.open("no-such-host.invalid", 1)
	T.eq(id2, nil, "unresolvable host")
	T.ok(err2, "reason for unresolvable host")
end)

T.case("close wakes a sleeping reader", function()
	local lid, port = serve(function(id)
		socket.readall(id)
		socket.close(id)
	end)
	local id = assert(socket.open("127.0.0.1", port))
	local r1, r2
	skynet.fork(function()
		r1, r2 = socket.read(id, 10)
	end)
	skynet.sleep(2)
	socket.close(id)
	skynet.sleep(1)
	T.eq(r1, false, "reader got false")
	T.eq(r2, "", "no data")
	socket.close(lid)
end)

T.case("a second reader is an error", function()
	local lid, port = serve(function(id)
		socket.readall(id)
		socket.close(id)
	end)
	local id = assert(socket.open("127.0.0.1", port))
	skynet.fork(function()
		socket.read(id, 10)
	end)
	skynet.sleep(1)
	T.raises("another coroutine is already reading", socket.read, id, 10)
	socket.close(id)
	socket.close(lid)
end)

T.case("read buffer limit closes the socket", function()
	local result
	local lid, port = serve(function(id)
		socket.limit(id, 1000)
		skynet.sleep(5) -- let the data pile up, unread
		result = table.pack(socket.read(id, 100000))
		socket.close(id)
	end)
	local id = assert(socket.open("127.0.0.1", port))
	socket.write(id, string.rep("x", 5000))
	T.eq(socket.readall(id), "", "server closed on us")
	socket.close(id)
	for _ = 1, 200 do
		if result then break end
		skynet.sleep(1)
	end
	T.ok(result, "server reader returned")
	T.eq(result[1], false, "overflowing read fails")
	socket.close(lid)
end)

T.case("onclose callback and block", function()
	local lid, port = serve(function(id)
		socket.write(id, "x")
		skynet.sleep(3)
		socket.close(id)
	end)
	local id = assert(socket.open("127.0.0.1", port))
	local closed_id
	socket.onclose(id, function(i) closed_id = i end)
	T.eq(socket.block(id), true, "data makes block return, still open")
	T.eq(socket.read(id), "x")
	T.eq(socket.block(id), false, "close makes block return false")
	T.eq(closed_id, id, "onclose called with the id")
	socket.close(id)
	socket.close(lid)
end)

T.case("slow reader: send warning and drain", function()
	local warnings = {}
	local sent = 0
	local total = 16 * 1024 * 1024
	local lid, port = serve(function(id)
		socket.warning(id, function(i, kb)
			warnings[#warnings + 1] = kb
		end)
		local chunk = string.rep("w", 1024 * 1024)
		for _ = 1, 16 do
			socket.write(id, chunk)
			sent = sent + #chunk
		end
		socket.readall(id)
		socket.close(id)
	end)
	local id = assert(socket.open("127.0.0.1", port))
	socket.pause(id)
	for _ = 1, 300 do
		if sent == total and #warnings > 0 then break end
		skynet.sleep(1)
	end
	T.ok(#warnings > 0, "warning while the reader is paused")
	T.ok(warnings[1] >= 1024, "first warning at >= 1 MiB unsent, got " .. tostring(warnings[1]))
	local got = 0
	while got < total do
		local d = socket.read(id)
		T.ok(d, "read while draining")
		got = got + #d
	end
	T.eq(got, total, "everything arrived")
	for _ = 1, 100 do
		if warnings[#warnings] == 0 then break end
		skynet.sleep(1)
	end
	T.eq(warnings[#warnings], 0, "drained warning (0) last")
	socket.close(id)
	socket.close(lid)
end)

T.case("udp round trip", function()
	local replies = {}
	local server, client
	local sport = T.free_port()
	server = socket.udp(function(data, from)
		socket.sendto(server, from, "echo:" .. data)
	end, "127.0.0.1", sport)
	client = socket.udp(function(data, from)
		local ip, port = socket.udp_address(from)
		replies[#replies + 1] = { data, ip, port }
	end)
	socket.udp_connect(client, "127.0.0.1", sport)
	for i = 1, 5 do
		socket.write(client, "dgram" .. i)
	end
	for _ = 1, 200 do
		if #replies == 5 then break end
		skynet.sleep(1)
	end
	T.eq(#replies, 5, "replies")
	for i = 1, 5 do
		T.eq(replies[i][1], "echo:dgram" .. i)
		T.eq(replies[i][2], "127.0.0.1")
		T.eq(replies[i][3], sport)
	end
	socket.close(server)
	socket.close(client)
end)

T.case("accept callback may refuse with close", function()
	local refused = 0
	local lid = socket.listen("127.0.0.1", 0)
	local _, _, port = socket.start(lid, function(id)
		refused = refused + 1
		socket.close(id)
	end)
	local id = assert(socket.open("127.0.0.1", port))
	local r = socket.read(id, 1)
	T.eq(r, false, "refused client sees the close")
	T.eq(refused, 1)
	socket.close(id)
	socket.close(lid)
end)

T.case("abandon and take over in another coroutine", function()
	local lid, port = serve(function(id)
		socket.write(id, "hello")
		socket.readall(id)
		socket.close(id)
	end)
	local id = assert(socket.open("127.0.0.1", port))
	T.eq(socket.read(id, 5), "hello")
	socket.abandon(id)
	T.eq(socket.invalid(id), true)
	socket.close_fd(id)
	socket.close(lid)
end)

T.run()
