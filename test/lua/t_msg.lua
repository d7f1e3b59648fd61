-- t_msg: a message server on snax.msgserver for test_loginserver (as
-- skynet's examples/gated.lua, with requests answered here instead of by an
-- agent): "fail" raises, anything else is echoed back.
local msgserver = require "snax.msgserver"
local skynet = require "skynet"
local datacenter = require "skynet.datacenter"

local servername
local internal_id = 0
local users = {} -- uid -> { username, subid }

local server = {}

function server.login_handler(uid, secret)
	if users[uid] then
		error(string.format("%s is already login", uid))
	end
	internal_id = internal_id + 1
	local subid = internal_id
	local username = msgserver.username(uid, subid, servername)
	users[uid] = { username = username, subid = subid }
	msgserver.login(username, secret)
	return subid
end

function server.logout_handler(uid)
	local u = users[uid]
	if u then
		users[uid] = nil
		msgserver.logout(u.username)
	end
end

function server.kick_handler(uid)
	server.logout_handler(uid)
end

function server.disconnect_handler(username)
	datacenter.set("t_msg", "afk", username)
end

function server.request_handler(username, msg)
	if msg == "fail" then
		error("t_msg_fail_marker")
	end
	if msg == "slow" then
		skynet.sleep(20)
		return "slow done"
	end
	if msg == "who" then
		local uid, subid, srv = msgserver.userid(username)
		return string.format("%s/%s/%s", uid, subid, srv)
	end
	return "echo:" .. msg
end

function server.register_handler(name)
	servername = name
	skynet.call(".login", "lua", "register_gate", servername, skynet.self())
end

msgserver.start(server)
