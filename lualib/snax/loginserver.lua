-- snax.loginserver: skynet's login server skeleton. A service file returns
-- `login(conf)`; the first instance (named ".<conf.name or login>") listens on
-- conf.host:conf.port and spreads connections over conf.instance (8) slave
-- copies of the same service, which run the handshake:
--
--   S->C base64(challenge: 8 random bytes)          lines end with "\n"
--   C->S base64(DH-exchange(client key))
--   S->C base64(DH-exchange(server key))             secret = DH-secret(both)
--   C->S base64(HMAC64(challenge, secret))           else "400 Bad Request"
--   C->S base64(DES(secret, token))
--   slave: conf.auth_handler(token) -> server, uid   else "401 Unauthorized"
--   master: conf.login_handler(server, uid, secret) -> subid
--   S->C "200 " .. base64(subid)                     else "403 Forbidden"
--
-- A uid already logging in gets "406 Not Acceptable" unless conf.multilogin.
-- Other `lua` requests to the master go to conf.command_handler(cmd, ...).
local skynet = require "skynet"
require "skynet.manager"
local socket = require "skynet.socket"
local crypt = require "skynet.crypt"

-- Raised (as this very table) when the peer went away mid-handshake: it is
-- logged once where it happens and not again as an invalid client.
local socket_error = {}

local function login_check(service, v, fd)
	if v then
		return v
	end
	skynet.error(string.format("%s failed: socket (fd = %d) closed", service, fd))
	error(socket_error)
end

local function login_write(service, fd, text)
	login_check(service, socket.write(fd, text), fd)
end

local function login_readline(fd)
	return login_check("auth", socket.readline(fd), fd)
end

-- The handshake, on a socket the slave has started; returns
-- ok, server, uid, secret (ok false: auth_handler raised server).
local function slave_handshake(auth_handler, fd)
	-- a client sending a huge line is hostile: closed past 8 KiB unread
	socket.limit(fd, 8192)
	local challenge = crypt.randomkey()
	login_write("auth", fd, crypt.base64encode(challenge) .. "\n")

	local clientkey = crypt.base64decode(login_readline(fd))
	if #clientkey ~= 8 then
		error "Invalid client key"
	end
	local serverkey = crypt.randomkey()
	login_write("auth", fd, crypt.base64encode(crypt.dhexchange(serverkey)) .. "\n")
	local secret = crypt.dhsecret(clientkey, serverkey)

	local response = login_readline(fd)
	if crypt.hmac64(challenge, secret) ~= crypt.base64decode(response) then
		login_write("auth", fd, "400 Bad Request\n")
		error "challenge failed"
	end

	local etoken = login_readline(fd)
	local token = crypt.desdecode(secret, crypt.base64decode(etoken))
	local ok, server, uid = pcall(auth_handler, token)
	return ok, server, uid, secret
end

local function slave_result(ok, err, ...)
	if ok then
		return skynet.pack(err, ...)
	end
	if err == socket_error then
		return skynet.pack(nil, "socket error")
	end
	return skynet.pack(false, err)
end

local function launch_slave(auth_handler)
	local function auth_fd(fd, addr)
		skynet.error(string.format("connect from %s (fd = %d)", addr, fd))
		socket.start(fd)
		local msg, sz = slave_result(pcall(slave_handshake, auth_handler, fd))
		-- the master answers and closes: this service lets the socket go
		socket.abandon(fd)
		return msg, sz
	end

	skynet.dispatch("lua", function(_, _, ...)
		local ok, msg, sz = pcall(auth_fd, ...)
		if ok then
			skynet.ret(msg, sz)
		else
			skynet.ret(skynet.pack(false, msg))
		end
	end)
end

local user_login = {}

local function master_accept(conf, slave, fd, addr)
	local ok, server, uid, secret = skynet.call(slave, "lua", fd, addr)
	if not ok then
		-- nil: the socket is gone, nothing to tell the client
		if ok ~= nil then
			login_write("response 401", fd, "401 Unauthorized\n")
		end
		error(server)
	end

	if not conf.multilogin then
		if user_login[uid] then
			login_write("response 406", fd, "406 Not Acceptable\n")
			error(string.format("User %s is already login", uid))
		end
		user_login[uid] = true
	end

	local lok, subid = pcall(conf.login_handler, server, uid, secret)
	user_login[uid] = nil

	if not lok then
		login_write("response 403", fd, "403 Forbidden\n")
		error(subid)
	end
	login_write("response 200", fd, "200 " .. crypt.base64encode(subid or "") .. "\n")
end

local function launch_master(conf)
	local instance = conf.instance or 8
	assert(instance > 0)
	local host = conf.host or "0.0.0.0"
	local port = assert(tonumber(conf.port))
	local slaves = {}
	local balance = 1

	skynet.dispatch("lua", function(_, _, command, ...)
		skynet.ret(skynet.pack(conf.command_handler(command, ...)))
	end)

	for i = 1, instance do
		slaves[i] = skynet.newservice(SERVICE_NAME)
	end

	local id, _, bound = socket.listen(host, port)
	-- port 0 picks a free port: conf.port tells the handlers which
	conf.port = bound or port
	skynet.error(string.format("login server listen at : %s %d", host, conf.port))
	socket.start(id, function(fd, addr)
		local s = slaves[balance]
		balance = balance % #slaves + 1
		local ok, err = pcall(master_accept, conf, s, fd, addr)
		if not ok and err ~= socket_error then
			skynet.error(string.format("invalid client (fd = %d) error = %s", fd, tostring(err)))
		end
		-- never started here, so not socket.close
		socket.close_fd(fd)
	end)
end

local function login(conf)
	local name = "." .. (conf.name or "login")
	skynet.start(function()
		if skynet.localname(name) then
			launch_slave(assert(conf.auth_handler))
		else
			conf.auth_handler = nil
			assert(conf.login_handler)
			assert(conf.command_handler)
			skynet.register(name)
			launch_master(conf)
		end
	end)
end

return login
