-- test_sock_api: skynet's socket API surface over real loopback sockets:
-- listen's return values, header, resolve, udp_listen/udp_dial (IPv4 and
-- IPv6), the node-wide netstat with byte counters, socketdriver.clear, and the
-- gate's open returning the bound port.
-- timeout: 30
local skynet = require "skynet"
local socket = require "skynet.socket"
local driver = require "skynet.socketdriver"
local T = require "testlib"

local function find_stat(id)
	for _, e in ipairs(socket.netstat()) do
		if e.id == id then
			return e
		end
	end
end

-- Waits (up to 2 s) until pred() is true.
local function wait_until(pred, what)
	for _ = 1, 200 do
		if pred() then
			return
		end
		skynet.sleep(1)
	end
	error("timed out waiting for " .. what)
end

T.case("listen returns id, address, port", function()
	local id, addr, port = socket.listen("127.0.0.1", 0)
	T.ok(type(id) == "number" and id > 0, "id")
	T.eq(addr, "127.0.0.1", "address")
	T.ok(type(port) == "number" and port > 0, "port")
	local id2, addr2, port2 = socket.listen("127.0.0.1:0")
	T.eq(addr2, "127.0.0.1", "host:port form address")
	T.ok(port2 > 0 and port2 ~= port, "host:port form port")
	-- the listener accepts once started
	local got
	socket.start(id, function(fd, from)
		got = from
		socket.close(fd)
	end)
	local c = assert(socket.open("127.0.0.1", port))
	wait_until(function() return got end, "accept")
	T.ok(got:match("^127%.0%.0%.1:%d+$"), "peer " .. tostring(got))
	socket.close(c)
	socket.close(id)
	socket.close(id2)
end)

-- The accept-queue size of a listening port as `ss` shows it (Send-Q), or nil.
local function backlog_of(port)
	local f = io.popen("ss -ltnH 'sport = :" .. port .. "' 2>/dev/null")
	local line = f and f:read("l")
	if f then f:close() end
	return line and tonumber(line:match("^%S+%s+%d+%s+(%d+)"))
end

local function somaxconn()
	local f = io.open("/proc/sys/net/core/somaxconn")
	local n = f and tonumber(f:read("l"))
	if f then f:close() end
	return n or 1024
end

T.case("listen with a backlog, and on IPv6", function()
	local id, _, port = socket.listen("127.0.0.1", 0, 7)
	T.ok(port > 0, "port with backlog")
	local given = backlog_of(port)
	local did, _, dport = socket.listen("127.0.0.1", 0)
	local default = backlog_of(dport)
	if given then
		T.eq(given, 7, "backlog given")
		T.eq(default, somaxconn(), "default backlog is somaxconn")
	else
		skynet.error("skip backlog check: no ss")
	end
	socket.close(did)
	socket.close(id)
	local ok, id6, addr6, port6 = pcall(socket.listen, "::1", 0)
	if ok then
		T.eq(addr6, "::1", "v6 address")
		T.ok(port6 > 0, "v6 port")
		socket.close(id6)
	else
		skynet.error("skip IPv6 listen: " .. tostring(id6))
	end
	T.raises("listen", socket.listen, "not an address", 0)
end)

T.case("a failing accept callback closes the connection, never half-open", function()
	local lid, _, port = socket.listen("127.0.0.1", 0)
	socket.start(lid, function() error("refusing by failing") end)
	local c = assert(socket.open("127.0.0.1", port))
	local t0 = skynet.now()
	skynet.timeout(300, function() socket.close_fd(c) end)   -- a guard, not the answer
	local r = socket.read(c)
	T.eq(r, false, "closed by the server")
	T.ok(skynet.now() - t0 < 200, "closed at once, not by the guard")
	socket.close(c)
	socket.close(lid)
end)

T.case("header", function()
	T.eq(socket.header("\1"), 1, "1 byte")
	T.eq(socket.header("\1\2"), 258, "2 bytes")
	T.eq(socket.header("\0\1\0\0"), 65536, "4 bytes")
	T.raises("1 to 4", socket.header, "12345")
	T.raises("1 to 4", socket.header, "")
end)

T.case("resolve", function()
	local r = socket.resolve("127.0.0.1")
	T.eq(#r, 1, "one address")
	T.eq(r[1], "127.0.0.1", "numeric")
	local l = socket.resolve("localhost")
	local seen = false
	for _, ip in ipairs(l) do
		if ip == "127.0.0.1" or ip == "::1" then
			seen = true
		end
	end
	T.ok(seen, "localhost resolves to loopback: " .. table.concat(l, ","))
	T.raises("resolve", socket.resolve, "no-such-host.invalid")
end)

local function udp_pair(host)
	local got_server, got_client = {}, {}
	local server
	server = socket.udp_listen(host, 0, function(data, from)
		got_server[#got_server + 1] = data
		socket.sendto(server, from, "pong:" .. data)
	end)
	-- the socket thread adopts the new socket asynchronously
	wait_until(function() return find_stat(server) end, "udp socket in netstat")
	local st = find_stat(server)
	T.eq(st.type, "UDP", "server in netstat")
	local port = tonumber(st.sock:match(":(%d+)$"))
	T.ok(port and port > 0, "bound port from netstat: " .. tostring(st.sock))
	local client = socket.udp_dial(host, port, function(data, from)
		got_client[#got_client + 1] = data
		local ip, p = socket.udp_address(from)
		T.eq(p, port, "reply from the server port")
		T.eq(ip, host, "reply from the server ip")
	end)
	T.eq(socket.write(client, "ping"), true, "write on a dialed socket")
	wait_until(function() return #got_client == 1 end, "udp reply over " .. host)
	T.eq(got_server[1], "ping", "server got")
	T.eq(got_client[1], "pong:ping", "client got")
	local cs = find_stat(client)
	T.ok(cs.write >= 4 and cs.read >= 9, "udp byte counters " .. cs.write .. "/" .. cs.read)
	socket.close(client)
	socket.close(server)
end

T.case("udp_listen and udp_dial, IPv4", function()
	udp_pair("127.0.0.1")
end)

T.case("udp_listen and udp_dial, IPv6", function()
	local ok, err = pcall(driver.udp_listen, "::1", 0)
	if not ok then
		skynet.error("skip IPv6 udp: " .. tostring(err))
		return
	end
	driver.close(err)
	udp_pair("::1")
end)

T.case("udp_dial errors", function()
	T.raises("udp dial", socket.udp_dial, "not an address", 9, function() end)
	T.raises("callback", socket.udp_dial, "127.0.0.1", 9)
end)

T.case("netstat: node-wide, with byte counters", function()
	local lid, _, port = socket.listen("127.0.0.1", 0)
	local server_side
	socket.start(lid, function(fd)
		skynet.fork(function()
			socket.start(fd)
			server_side = fd
			while true do
				local d = socket.read(fd)
				if not d then
					break
				end
				socket.write(fd, d)
			end
			socket.close(fd)
		end)
	end)
	local c = assert(socket.open("127.0.0.1", port))
	local data = string.rep("n", 5000)
	socket.write(c, data)
	T.eq(socket.read(c, #data), data, "echo")
	local e = find_stat(c)
	T.ok(e, "client in netstat")
	T.eq(e.type, "TCP", "type")
	T.eq(e.address, skynet.self(), "owner")
	T.eq(e.peer, "127.0.0.1:" .. port, "peer")
	T.ok(e.read >= 5000 and e.write >= 5000, "bytes " .. e.read .. "/" .. e.write)
	T.eq(e.wbuffer, 0, "nothing pending")
	T.eq(e.reading, true, "reading")
	T.ok(type(e.rtime) == "number" and type(e.wtime) == "number", "times")
	local s = find_stat(server_side)
	T.ok(s and s.read >= 5000 and s.write >= 5000, "server side counted")
	local l = find_stat(lid)
	T.eq(l.type, "LISTEN", "listener type")
	T.ok(l.accept >= 1, "accept count")
	T.eq(l.sock, "127.0.0.1:" .. port, "listener address")
	socket.close(c)
	socket.close(lid)
	wait_until(function() return find_stat(c) == nil end, "closed socket leaves netstat")
end)

T.case("socketdriver.clear and pop's second value", function()
	local buf, pool = driver.buffer(), {}
	driver.push(buf, pool, driver.str2p("hello world"))
	local s, left = driver.pop(buf, pool, 5)
	T.eq(s, "hello", "pop")
	T.eq(left, 6, "left")
	driver.clear(buf, pool)
	T.eq(driver.readall(buf, pool), "", "cleared")
	driver.clear(nil, pool)   -- as skynet: a nil buffer is ignored
	driver.push(buf, pool, driver.str2p("again"))
	T.eq(driver.readall(buf, pool), "again", "usable after clear")
end)

T.case("gate open returns the bound address and port", function()
	-- the gate reports the connection to its watchdog, this service, which has no lua handler
	T.expect_error("Unknown session : 0 from")
	local gate = skynet.newservice("gate")
	local addr, port = skynet.call(gate, "lua", "open", { address = "127.0.0.1", port = 0, maxclient = 4 })
	T.eq(addr, "127.0.0.1", "address")
	T.ok(type(port) == "number" and port > 0, "port " .. tostring(port))
	local c = assert(socket.open("127.0.0.1", port))
	socket.close(c)
	skynet.call(gate, "lua", "close")
	skynet.kill(gate)
end)

T.run()
