-- test_socketchannel: skynet.socketchannel against t_scserver in both modes,
-- auth, reconnection and failure of waiting callers when the link drops.
-- timeout: 60
local skynet = require "skynet"
local sc = require "skynet.socketchannel"
local T = require "testlib"

local server, line_port, binary_port

local function line_reply(sock)
	return true, sock:readline("\n")
end

local function line_channel(extra)
	local desc = { host = "127.0.0.1", port = line_port, nodelay = true }
	for k, v in pairs(extra or {}) do
		desc[k] = v
	end
	return sc.channel(desc)
end

local function binary_response(sock)
	local head = sock:read(7)
	local session, ok, len = string.unpack(">I4BI2", head)
	return session, ok == 1, sock:read(len)
end

local function binary_channel()
	return sc.channel { host = "127.0.0.1", port = binary_port, response = binary_response }
end

local next_session = 0
local function binary_request(ch, cmd)
	next_session = next_session + 1
	return ch:request(string.pack(">I4s2", next_session, cmd), next_session)
end

-- Runs f(i) for i = 1..n in parallel; returns the pcall results.
local function parallel(n, f)
	local results, done = {}, 0
	for i = 1, n do
		skynet.fork(function()
			results[i] = table.pack(pcall(f, i))
			done = done + 1
		end)
	end
	for _ = 1, 500 do
		if done == n then break end
		skynet.sleep(1)
	end
	T.eq(done, n, "parallel callers finished")
	return results
end

local function wait_done(results, n)
	for _ = 1, 300 do
		local c = 0
		for i = 1, n do
			if results[i] then c = c + 1 end
		end
		if c == n then return end
		skynet.sleep(1)
	end
	error("callers still waiting")
end

T.case("order mode: pipelined requests answered in order", function()
	local ch = line_channel()
	T.eq(ch:connect(true), true)
	local res = parallel(100, function(i)
		if i % 10 == 0 then
			return ch:request("SLOW 2 slow" .. i .. "\n", line_reply)
		end
		return ch:request("ECHO r" .. i .. "\n", line_reply)
	end)
	for i = 1, 100 do
		T.eq(res[i][1], true, "request " .. i .. " ok")
		T.eq(res[i][2], (i % 10 == 0 and "slow" or "r") .. i, "reply " .. i)
	end
	ch:close()
end)

T.case("session mode: out-of-order replies find their callers", function()
	local ch = binary_channel()
	local res = parallel(100, function(i)
		return binary_request(ch, "delay:" .. ((i * 7) % 13) .. ":v" .. i)
	end)
	for i = 1, 100 do
		T.eq(res[i][1], true, "request " .. i .. " ok: " .. tostring(res[i][2]))
		T.eq(res[i][2], "v" .. i, "reply " .. i)
	end
	-- a reply with ok = false raises its data as the error
	T.raises("nope", binary_request, ch, "fail:nope")
	T.eq(binary_request(ch, "delay:0:still"), "still", "channel usable after a failed reply")
	ch:close()
end)

T.case("auth runs on every new connection; reconnect after a drop", function()
	skynet.call(server, "lua", "token", "secret")
	local auths = 0
	local ch = line_channel { auth = function(self)
		auths = auths + 1
		local r = self:request("AUTH secret\n", line_reply)
		assert(r == "OK", "auth refused: " .. tostring(r))
	end }
	T.eq(ch:request("ECHO one\n", line_reply), "one")
	T.eq(auths, 1)
	skynet.call(server, "lua", "kick")
	skynet.sleep(5)
	T.eq(ch:request("ECHO two\n", line_reply), "two", "reconnected")
	T.eq(auths, 2, "auth again")
	ch:close()
	local bad = line_channel { auth = function(self)
		local r = self:request("AUTH wrong\n", line_reply)
		assert(r == "OK", "auth refused: " .. tostring(r))
	end }
	local ok, err = pcall(bad.request, bad, "ECHO x\n", line_reply)
	T.eq(ok, false, "request on a channel whose auth fails")
	T.eq(err, sc.error, "socket error raised")
	bad:close()
	skynet.call(server, "lua", "token", nil)
end)

T.case("order mode: waiting callers fail when the link drops", function()
	local ch = line_channel()
	T.eq(ch:request("ECHO up\n", line_reply), "up")
	local results = {}
	for i = 1, 5 do
		skynet.fork(function()
			results[i] = table.pack(pcall(ch.request, ch, "HANG\n", line_reply))
		end)
	end
	skynet.sleep(5)
	local t0 = skynet.now()
	skynet.call(server, "lua", "kick")
	wait_done(results, 5)
	T.ok(skynet.now() - t0 < 100, "failed promptly")
	for i = 1, 5 do
		T.eq(results[i][1], false, "caller " .. i .. " failed")
		T.eq(results[i][2], sc.error, "caller " .. i .. " got socketchannel.error")
	end
	T.eq(ch:request("ECHO back\n", line_reply), "back", "next request reconnects")
	ch:close()
end)

T.case("session mode: waiting callers fail when the link drops", function()
	local ch = binary_channel()
	T.eq(binary_request(ch, "delay:0:up"), "up")
	local results = {}
	for i = 1, 5 do
		skynet.fork(function()
			results[i] = table.pack(pcall(binary_request, ch, "hang"))
		end)
	end
	skynet.sleep(5)
	-- the server closes the link itself on "drop"
	ch:request(string.pack(">I4s2", 999999, "drop"))
	wait_done(results, 5)
	for i = 1, 5 do
		T.eq(results[i][1], false, "caller " .. i .. " failed")
		T.eq(results[i][2], sc.error, "caller " .. i .. " got socketchannel.error")
	end
	T.eq(binary_request(ch, "delay:0:again"), "again", "next request reconnects")
	ch:close()
end)

T.case("close fails waiting callers and later requests", function()
	local ch = binary_channel()
	local results = {}
	skynet.fork(function()
		results[1] = table.pack(pcall(binary_request, ch, "hang"))
	end)
	skynet.sleep(5)
	ch:close()
	wait_done(results, 1)
	T.eq(results[1][1], false)
	T.eq(results[1][2], sc.error)
	local ok, err = pcall(binary_request, ch, "delay:0:x")
	T.eq(ok, false, "request after close")
	T.eq(err, sc.error)
end)

T.case("connect to a closed port fails, with back-off, without hanging", function()
	local socket = require "skynet.socket"
	local lid = socket.listen("127.0.0.1", 0)
	local _, _, port = socket.start(lid, function() end)
	socket.close(lid)
	local ch = sc.channel { host = "127.0.0.1", port = port }
	T.raises("socket error", ch.connect, ch, true)
	local t0 = skynet.now()
	for _ = 1, 3 do
		local ok, err = pcall(ch.request, ch, "x\n", line_reply)
		T.eq(ok, false)
		T.eq(err, sc.error)
	end
	local spent = skynet.now() - t0
	T.ok(spent >= 10, "back-off between attempts (" .. spent .. " cs)")
	T.ok(spent < 300, "bounded back-off (" .. spent .. " cs)")
	T.ok(ch:last_error(), "reason kept")
	-- a backup address takes over
	local bch = sc.channel { host = "127.0.0.1", port = port,
		backup = { "127.0.0.1:" .. line_port } }
	T.eq(bch:request("ECHO via backup\n", line_reply), "via backup")
	bch:close()
	ch:close()
end)

T.case("connect() without once retries until the server appears", function()
	local socket = require "skynet.socket"
	local port = T.free_port()
	local ch = sc.channel { host = "127.0.0.1", port = port }
	local connected
	skynet.fork(function()
		connected = ch:connect()
	end)
	skynet.sleep(30)
	T.eq(connected, nil, "still retrying")
	local lid = socket.listen("127.0.0.1", port)
	local accepted
	socket.start(lid, function(id)
		accepted = id
		skynet.fork(function()
			socket.start(id)
			local line = socket.readline(id)
			socket.write(id, "re:" .. tostring(line) .. "\n")
		end)
	end)
	for _ = 1, 300 do
		if connected then break end
		skynet.sleep(1)
	end
	T.eq(connected, true, "connected once the port listens")
	T.eq(ch:request("hi\n", line_reply), "re:hi")
	ch:close()
	if accepted then socket.close(accepted) end
	socket.close(lid)
end)

T.run(function()
	server = skynet.newservice("t_scserver")
	line_port, binary_port = skynet.call(server, "lua", "ports")
end)
