-- test_loginserver: snax.loginserver + snax.msgserver end to end over real
-- loopback sockets, with a client written here (skynet's examples/client.lua
-- protocol): the DH handshake and HMAC challenge, the DES-encrypted token,
-- then the msgserver handshake and session-tagged requests, a reconnection
-- that gets a cached answer again, and each refusal code.
-- timeout: 60
-- expect_error: t_msg_fail_marker
-- expect_error: Invalid password
-- expect_error: challenge failed
local skynet = require "skynet"
local socket = require "skynet.socket"
local crypt = require "skynet.crypt"
local datacenter = require "skynet.datacenter"
local T = require "testlib"

local login_port, gate_port
local b64 = crypt.base64encode

local function readline(fd)
	return assert(socket.readline(fd), "login server closed the socket")
end

-- The login handshake up to the token; returns fd, secret.
local function login_begin(fd, bad_hmac)
	local challenge = crypt.base64decode(readline(fd))
	local clientkey = crypt.randomkey()
	socket.write(fd, b64(crypt.dhexchange(clientkey)) .. "\n")
	local secret = crypt.dhsecret(crypt.base64decode(readline(fd)), clientkey)
	local hmac = crypt.hmac64(challenge, secret)
	if bad_hmac then
		hmac = crypt.hmac64(challenge, crypt.randomkey())
	end
	socket.write(fd, b64(hmac) .. "\n")
	return secret
end

-- A whole login; returns the status line, secret.
local function login(user, server, password, bad_hmac)
	local fd = assert(socket.open("127.0.0.1", login_port))
	local secret = login_begin(fd, bad_hmac)
	local token = string.format("%s@%s:%s", b64(user), b64(server), b64(password))
	socket.write(fd, b64(crypt.desencode(secret, token)) .. "\n")
	local result = readline(fd)
	socket.close(fd)
	return result, secret
end

local function read_packet(fd)
	local head = assert(socket.read(fd, 2), "gate closed the socket")
	local size = string.unpack(">I2", head)
	return assert(socket.read(fd, size), "gate closed the socket mid-packet")
end

local function send_packet(fd, body)
	socket.write(fd, string.pack(">s2", body))
end

-- Connects to the gate and shakes hands; returns fd, status text.
local function gate_connect(username, index, secret)
	local fd = assert(socket.open("127.0.0.1", gate_port))
	local text = string.format("%s:%d", username, index)
	local hmac = crypt.hmac64(crypt.hashkey(text), secret)
	send_packet(fd, text .. ":" .. b64(hmac))
	return fd, read_packet(fd)
end

local function request(fd, session, body)
	send_packet(fd, body .. string.pack(">I4", session))
	local reply = read_packet(fd)
	local content, ok, rsession = reply:sub(1, -6), string.unpack(">BI4", reply, -5)
	return content, ok, rsession
end

local function username(uid, subid, server)
	return string.format("%s@%s#%s", b64(uid), b64(server), b64(subid))
end

local session_user, session_secret, session_subid

T.case("login: DH handshake, token, 200 and a subid from the msgserver", function()
	local result, secret = login("alice", "sample", "password")
	T.eq(result:sub(1, 4), "200 ", "status line " .. result)
	local subid = crypt.base64decode(result:sub(5))
	T.eq(subid, "1", "subid from the msgserver's login_handler")
	session_user, session_secret, session_subid = "alice", secret, subid
end)

T.case("msgserver: handshake, requests with sessions, handler errors", function()
	local uname = username(session_user, session_subid, "sample")
	local fd, status = gate_connect(uname, 1, session_secret)
	T.eq(status, "200 OK", "handshake")
	local content, ok, s = request(fd, 7, "hello")
	T.eq(content, "echo:hello")
	T.eq(ok, 1, "ok byte")
	T.eq(s, 7, "session echoed")
	content = request(fd, 8, "who")
	T.eq(content, "alice/1/sample", "server.userid")
	T.expect_error("t_msg_fail_marker")
	content, ok, s = request(fd, 9, "fail")
	T.eq(content, "", "no content on error")
	T.eq(ok, 0, "error byte")
	T.eq(s, 9)
	socket.close(fd)
	T.wait_until(function() return datacenter.get("t_msg", "afk") end, 500, "disconnect_handler")
	T.eq(datacenter.get("t_msg", "afk"), uname, "disconnect_handler got the username")
end)

T.case("msgserver: a reconnection resends a cached answer; old index refused", function()
	local uname = username(session_user, session_subid, "sample")
	local fd, status = gate_connect(uname, 1, session_secret)
	T.eq(status, "403 Index Expired", "index 1 again")
	T.eq(socket.read(fd, 1), false, "closed after a refusal")
	socket.close(fd)
	fd, status = gate_connect(uname, 2, session_secret)
	T.eq(status, "200 OK", "index 2")
	-- session 7 was answered on the old connection: the same answer again
	local content, ok, s = request(fd, 7, "ignored")
	T.eq(content, "echo:hello", "cached answer")
	T.eq(ok, 1)
	T.eq(s, 7)
	socket.close(fd)
end)

T.case("msgserver: an answer still running when the client left goes to its new connection", function()
	local uname = username(session_user, session_subid, "sample")
	local fd, status = gate_connect(uname, 3, session_secret)
	T.eq(status, "200 OK")
	send_packet(fd, "slow" .. string.pack(">I4", 20))
	socket.close(fd)
	fd, status = gate_connect(uname, 4, session_secret)
	T.eq(status, "200 OK", "index 4")
	-- the same session again: the first request's answer comes here
	local content, ok, s = request(fd, 20, "fake")
	T.eq(content, "slow done")
	T.eq(ok, 1)
	T.eq(s, 20)
	content = request(fd, 21, "again")
	T.eq(content, "echo:again", "a new session on the new connection")
	socket.close(fd)
end)

T.case("msgserver refusals: unknown user, wrong secret, bad packet", function()
	local fd, status = gate_connect(username("nobody", "1", "sample"), 1, session_secret)
	T.eq(status, "404 User Not Found")
	socket.close(fd)
	local uname = username(session_user, session_subid, "sample")
	fd, status = gate_connect(uname, 5, crypt.randomkey())
	T.eq(status, "401 Unauthorized")
	socket.close(fd)
	fd = assert(socket.open("127.0.0.1", gate_port))
	send_packet(fd, uname .. ":x:y")
	T.eq(read_packet(fd), "400 Bad Request")
	socket.close(fd)
end)

T.case("login refusals: wrong password 401, bad challenge answer 400", function()
	T.expect_error("Invalid password")
	T.eq(login("bob", "sample", "wrong"), "401 Unauthorized")
	T.expect_error("challenge failed")
	T.eq(login("bob", "sample", "password", true), "400 Bad Request")
	-- and the server still serves a good client
	local result = login("bob", "sample", "password")
	T.eq(result:sub(1, 4), "200 ", result)
end)

T.case("a second login of a uid still logging in is 406", function()
	local results = {}
	for i = 1, 2 do
		skynet.fork(function()
			results[i] = login("slow", "sample", "password")
		end)
	end
	T.wait_until(function() return results[1] and results[2] end, 500, "both logins")
	table.sort(results)
	T.eq(results[1]:sub(1, 4), "200 ", "one login: " .. results[1])
	T.eq(results[2], "406 Not Acceptable", "the other")
end)

T.case("a login_handler error is 403", function()
	-- alice is still logged in at the msgserver: its login_handler raises
	T.expect_error("already login")
	T.eq(login("alice", "sample", "password"), "403 Forbidden")
end)

T.run(function()
	login_port, gate_port = T.free_port(), T.free_port()
	skynet.newservice("t_login", login_port)
	local gate = skynet.newservice("t_msg")
	skynet.call(gate, "lua", "open", { address = "127.0.0.1", port = gate_port, servername = "sample" })
end)
