-- snax.msgserver: skynet's message server skeleton on snax.gateserver, the
-- partner of snax.loginserver. Packets are gateserver's (2-byte big-endian
-- size, then the body).
--
--   handshake (first packet):  base64(uid)@base64(server)#base64(subid):index:base64(hmac)
--     hmac = HMAC64(hashkey("username:index"), secret) = crypt.hmac_hash(secret, text);
--     index must grow on every reconnection. Answer (then the socket stays
--     only on 200): "200 OK", "400 Bad Request", "401 Unauthorized",
--     "403 Index Expired", "404 User Not Found".
--   request:   content .. uint32 session (big-endian)
--   response:  content .. uint8 ok (1, or 0 when the handler raised) .. uint32 session
--
-- A session answered before is answered again from a cache (the client may
-- resend after reconnecting); the last conf.expired_number (128) are kept.
-- Commands from other services (`lua`): login username secret, logout
-- username, kick username -> conf.login_handler/logout_handler/kick_handler.
-- conf.request_handler(username, msg) -> reply; conf.register_handler(name)
-- on open (gate conf.servername); conf.disconnect_handler(username).
local skynet = require "skynet"
local gateserver = require "snax.gateserver"
local netpack = require "skynet.netpack"
local crypt = require "skynet.crypt"
local socketdriver = require "skynet.socketdriver"

local b64encode = crypt.base64encode
local b64decode = crypt.base64decode

local server = {}

skynet.register_protocol {
	name = "client",
	id = skynet.PTYPE_CLIENT,
}

local user_online = {} -- username -> user record
local handshake = {}   -- fd -> address, until its first packet
local connection = {}  -- fd -> user record

-- username -> uid, subid, server
function server.userid(username)
	local uid, servername, subid = username:match "([^@]*)@([^#]*)#(.*)"
	return b64decode(uid), b64decode(subid), b64decode(servername)
end

function server.username(uid, subid, servername)
	return string.format("%s@%s#%s", b64encode(uid), b64encode(servername), b64encode(tostring(subid)))
end

function server.logout(username)
	local u = user_online[username]
	user_online[username] = nil
	if u and u.fd then
		gateserver.closeclient(u.fd)
		connection[u.fd] = nil
	end
end

function server.login(username, secret)
	assert(user_online[username] == nil)
	user_online[username] = {
		secret = secret,
		version = 0,
		index = 0,
		username = username,
		response = {}, -- session -> { fd, packed reply, version, index }
	}
end

function server.ip(username)
	local u = user_online[username]
	if u and u.fd then
		return u.ip
	end
end

-- Runs without yielding: the record is bound to fd before anything else runs.
local function msg_auth_check(fd, message, addr)
	local username, index, hmac = string.match(message, "([^:]*):([^:]*):([^:]*)")
	local u = user_online[username]
	if u == nil then
		return "404 User Not Found"
	end
	local idx = assert(tonumber(index))
	hmac = b64decode(hmac)
	if idx <= u.version then
		return "403 Index Expired"
	end
	local text = string.format("%s:%s", username, index)
	if crypt.hmac_hash(u.secret, text) ~= hmac then
		return "401 Unauthorized"
	end
	u.version = idx
	u.fd = fd
	u.ip = addr
	connection[fd] = u
end

local function msg_auth(fd, addr, msg, sz)
	local message = netpack.tostring(msg, sz)
	local ok, result = pcall(msg_auth_check, fd, message, addr)
	if not ok then
		skynet.error(result)
		result = "400 Bad Request"
	end
	local close = result ~= nil
	socketdriver.send(fd, netpack.pack(result or "200 OK"))
	if close then
		gateserver.closeclient(fd)
	end
end

-- Drops answered sessions older than expired_number requests once the
-- counter passes twice that, renumbering the rest.
local function msg_retire(u, expired_number)
	if u.index < expired_number * 2 then
		return
	end
	local max = 0
	for session, p in pairs(u.response) do
		if p[1] == nil then
			if p[4] < expired_number then
				u.response[session] = nil
			else
				p[4] = p[4] - expired_number
				if p[4] > max then
					max = p[4]
				end
			end
		end
	end
	u.index = max + 1
end

local function msg_request(conf, fd, message)
	local u = assert(connection[fd], "invalid fd")
	local session = string.unpack(">I4", message, -4)
	message = message:sub(1, -5)
	local p = u.response[session]
	if p and p[3] == u.version then
		-- the same session twice on one connection: a new request, unless
		-- the first one is still running
		u.response[session] = nil
		if p[2] == nil then
			local text = string.format("Conflict session %s", crypt.hexencode(session))
			skynet.error(text)
			error(text)
		end
		p = nil
	end

	if p == nil then
		p = { fd }
		u.response[session] = p
		local ok, result = pcall(conf.request_handler, u.username, message)
		-- the handler may have yielded: the socket may be gone by now
		result = result or ""
		if ok then
			result = result .. string.pack(">BI4", 1, session)
		else
			skynet.error(result)
			result = string.pack(">BI4", 0, session)
		end
		p[2] = string.pack(">s2", result)
		p[3] = u.version
		p[4] = u.index
	else
		-- a resend after reconnecting: answer on the new fd
		p[1] = fd
		p[3] = u.version
		p[4] = u.index
		if p[2] == nil then
			-- still running: its answer will go to the new fd
			return
		end
	end
	u.index = u.index + 1
	fd = p[1]
	if connection[fd] then
		socketdriver.send(fd, p[2])
	end
	p[1] = nil
	msg_retire(u, conf.expired_number or 128)
end

function server.start(conf)
	local handler = {}
	local CMD = {
		login = assert(conf.login_handler),
		logout = assert(conf.logout_handler),
		kick = assert(conf.kick_handler),
	}
	assert(conf.request_handler)

	function handler.command(cmd, _, ...)
		local f = assert(CMD[cmd])
		return f(...)
	end

	function handler.open(_, gateconf)
		local servername = assert(gateconf.servername)
		return conf.register_handler(servername)
	end

	function handler.connect(fd, addr)
		handshake[fd] = addr
		gateserver.openclient(fd)
	end

	function handler.disconnect(fd)
		handshake[fd] = nil
		local c = connection[fd]
		if c then
			c.fd = nil
			connection[fd] = nil
			if conf.disconnect_handler then
				conf.disconnect_handler(c.username)
			end
		end
	end

	handler.error = handler.disconnect

	function handler.message(fd, msg, sz)
		local addr = handshake[fd]
		if addr then
			handshake[fd] = nil
			msg_auth(fd, addr, msg, sz)
			return
		end
		local message = netpack.tostring(msg, sz)
		local ok, err = pcall(msg_request, conf, fd, message)
		if not ok then
			skynet.error(string.format("Invalid package %s : %s", err, message))
			if connection[fd] then
				gateserver.closeclient(fd)
			end
		end
	end

	return gateserver.start(handler)
end

return server
