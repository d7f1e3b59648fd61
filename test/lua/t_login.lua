-- t_login: a login server on snax.loginserver for test_loginserver (as
-- skynet's examples/logind.lua): password "password" for every user; a
-- login goes to the msgserver gate that registered the requested server.
local login = require "snax.loginserver"
local crypt = require "skynet.crypt"
local skynet = require "skynet"

local port = ...
local server_list = {}

local server = {
	host = "127.0.0.1",
	port = tonumber(port) or 0,
	multilogin = false,
	instance = 2,
}

function server.auth_handler(token)
	-- base64(user)@base64(server):base64(password)
	local user, srv, password = token:match("([^@]+)@([^:]+):(.+)")
	user = crypt.base64decode(user)
	srv = crypt.base64decode(srv)
	password = crypt.base64decode(password)
	assert(password == "password", "Invalid password")
	return srv, user
end

function server.login_handler(srv, uid, secret)
	if uid == "slow" then
		-- holds the login open so a second login of the same uid overlaps
		skynet.sleep(30)
	end
	local gate = server_list[srv]
	if not gate then
		error("Unknown server " .. tostring(srv))
	end
	return skynet.call(gate, "lua", "login", uid, secret)
end

local CMD = {}

function CMD.register_gate(srv, address)
	server_list[srv] = address
end

function CMD.port()
	return server.port
end

function server.command_handler(command, ...)
	local f = assert(CMD[command])
	return f(...)
end

login(server)
