-- test_socketdriver: skynet.socketdriver and the gate C service end to end (written with the socket layer).
-- timeout: 60
local skynet = require "skynet"
require "skynet.manager"
local driver = require "skynet.socketdriver"
local T = require "testlib"

local events = {}
local waiting
local texts, clients = {}, {}

skynet.register_protocol {
	name = "socket", id = skynet.PTYPE_SOCKET, unpack = driver.unpack,
	dispatch = function(_, _, t, id, ud, p, addr)
		events[#events + 1] = { t = t, id = id, ud = ud, p = p, addr = addr }
		if waiting then local co = waiting; waiting = nil; skynet.wakeup(co) end
	end,
}
skynet.register_protocol {
	name = "text", id = skynet.PTYPE_TEXT, unpack = skynet.tostring, pack = function(s) return s end,
	dispatch = function(_, _, s)
		texts[#texts + 1] = s
		if waiting then local co = waiting; waiting = nil; skynet.wakeup(co) end
	end,
}
skynet.register_protocol {
	name = "client", id = skynet.PTYPE_CLIENT, unpack = skynet.tostring, pack = function(s) return s end,
	dispatch = function(session, source, s)
		clients[#clients + 1] = { fd = session, s = s, source = source }
		if waiting then local co = waiting; waiting = nil; skynet.wakeup(co) end
	end,
}

local function wait_for(list, match)
	for _ = 1, 200 do
		for i, e in ipairs(list) do
			if match(e) then table.remove(list, i) return e end
		end
		waiting = coroutine.running()
		skynet.timeout(2, function() if waiting then local co = waiting; waiting = nil; skynet.wakeup(co) end end)
		skynet.wait()
	end
	error("timeout")
end
local function ev(t, id) return wait_for(events, function(e) return e.t == t and (id == nil or e.id == id) end) end

local pool = {}
T.case("listen connect send close", function()
	local lid = driver.listen("127.0.0.1", 0, 16)
	driver.start(lid)
	local port = ev(2, lid).ud
	T.ok(port > 0, "port")
	local cid = driver.connect("127.0.0.1", port)
	ev(2, cid)
	local acc = ev(4, lid)
	local sid = acc.ud
	T.ok(acc.p:match("^127%.0%.0%.1:%d+$"), "addr " .. acc.p)
	driver.start(sid)
	ev(2, sid)
	T.eq(driver.send(cid, "hello "), true, "send")
	T.eq(driver.send(cid, { "wor", "ld\n" }), true, "send table")
	T.eq(driver.send(cid, driver.str2p("tail\n")), true, "send ptr")
	local buf = driver.buffer()
	local line
	while true do
		local e = ev(1, sid)
		driver.push(buf, pool, e.p, e.ud)
		if driver.readline(buf, nil, "\ntail\n") then break end
	end
	T.eq(driver.readline(buf, pool, "\n"), "hello world", "line")
	T.eq(driver.readall(buf, pool), "tail\n", "rest")
	driver.close(cid)
	ev(3, cid)
	ev(3, sid)
	driver.close(sid)
	T.eq(driver.send(sid, "x"), false, "send after close")
	driver.close(lid)
	ev(3, lid)
end)

T.case("udp", function()
	local a = driver.udp("127.0.0.1", 0)
	local b = driver.udp()
	-- no way to learn a's port from Lua: send b -> a via a fixed port instead
	local p = T.free_port()
	local s = driver.udp("127.0.0.1", p)
	driver.udp_connect(b, "127.0.0.1", p)
	T.eq(driver.udp_send(b, string.char(1, p >> 8, p & 255, 127, 0, 0, 1), "ping"), true, "udp_send")
	local e = ev(6, s)
	T.eq(skynet.tostring(e.p, e.ud), "ping", "payload") driver.drop(e.p, e.ud)
	local ip, port = driver.udp_address(e.addr)
	T.eq(ip, "127.0.0.1", "from ip")
	driver.udp_send(s, e.addr, "pong")
	e = ev(6, b)
	T.eq(skynet.tostring(e.p, e.ud), "pong", "reply") driver.drop(e.p, e.ud)
	driver.close(a) ev(3, a)
	driver.close(b) ev(3, b)
	driver.close(s) ev(3, s)
end)

T.case("gate", function()
	local p = T.free_port()
	local gate = skynet.launch("gate", string.format("S :%08x 127.0.0.1:%d 2", skynet.self(), p))
	T.ok(gate, "gate launched")
	skynet.sleep(5)
	local cid = driver.connect("127.0.0.1", p)
	ev(2, cid)
	local open = wait_for(texts, function(s) return s:match(" open ") end)
	local fd = tonumber(open:match("^(%d+) open"))
	T.ok(open:match("^%d+ open 127%.0%.0%.1:%d+$"), open)
	skynet.send(gate, "text", "start " .. fd)
	driver.send(cid, string.pack(">s2", "abc") .. string.pack(">s2", ""))
	local d = wait_for(texts, function(s) return s:match(" data ") end)
	T.eq(d, fd .. " data abc", "data to watchdog")
	d = wait_for(texts, function(s) return s:match(" data") end)
	T.eq(d, fd .. " data ", "empty packet")
	local me = string.format(":%08x", skynet.self())
	skynet.send(gate, "text", "forward " .. fd .. " " .. me .. " :00000077")
	driver.send(cid, string.pack(">s2", "xyz"):sub(1, 4))
	skynet.sleep(2)
	driver.send(cid, "z")
	local c = wait_for(clients, function() return true end)
	T.eq(c.s, "xyz", "client payload")
	T.eq(c.fd, fd, "client session = fd")
	T.eq(c.source, 0x77, "client source")
	-- reply through the gate: payload + 4-byte little-endian fd
	skynet.send(gate, "client", "back" .. string.pack("<I4", fd))
	local e = ev(1, cid)
	T.eq(skynet.tostring(e.p, e.ud), "back", "reply") driver.drop(e.p, e.ud)
	-- maxclient 2: the third is refused
	local c2 = driver.connect("127.0.0.1", p) ev(2, c2)
	local fd2 = tonumber(wait_for(texts, function(s) return s:match(" open ") end):match("^%d+"))
	local c3 = driver.connect("127.0.0.1", p) ev(2, c3)
	ev(3, c3)
	skynet.send(gate, "text", "kick " .. fd)
	ev(3, cid)
	T.eq(wait_for(texts, function(s) return s:match(" close") end), fd .. " close", "close report")
	-- never started, so the gate learns of it only by kicking it
	skynet.send(gate, "text", "kick " .. fd2)
	ev(3, c2)
	T.eq(wait_for(texts, function(s) return s:match(" close") end), fd2 .. " close", "kick report")
	skynet.send(gate, "text", "close")
end)

skynet.start(function()
	T.run()
end)
