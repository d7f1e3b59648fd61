-- t_scserver: a small TCP server for the socketchannel tests.
-- Two listeners on free ports (lua call "ports" returns them):
--   line (order mode): "AUTH <token>" -> "OK"/"DENIED"; then "ECHO x" -> "x",
--     "SLOW cs x" -> "x" after cs centiseconds (later lines wait: in order),
--     "HANG" -> never answers, "DROP" -> closes the connection. Unauthenticated
--     requests get "NOAUTH" once a token is required.
--   binary (session mode): request >I4 session + s2 command; reply >I4 session,
--     B ok, s2 data; each request runs in its own coroutine: "delay:cs:x" answers
--     x after cs, "fail:x" answers ok=0, "hang" never answers, "drop" closes.
-- lua "kick" closes every connection; "stats" returns counters.
local skynet = require "skynet"
local socket = require "skynet.socket"

local conns = {}
local stats = { accepted = 0, auths = 0 }
local token

local function line_conn(id)
	local authed = token == nil
	while true do
		local line = socket.readline(id)
		if not line then
			break
		end
		local cmd, arg = line:match("^(%u+) ?(.*)$")
		if cmd == "AUTH" then
			authed = arg == token
			stats.auths = stats.auths + 1
			socket.write(id, (authed and "OK" or "DENIED") .. "\n")
		elseif not authed then
			socket.write(id, "NOAUTH\n")
		elseif cmd == "ECHO" then
			socket.write(id, arg .. "\n")
		elseif cmd == "SLOW" then
			local cs, x = arg:match("^(%d+) (.*)$")
			skynet.sleep(tonumber(cs))
			socket.write(id, x .. "\n")
		elseif cmd == "HANG" then
			-- no answer
		elseif cmd == "DROP" then
			break
		else
			socket.write(id, "ERR\n")
		end
	end
	conns[id] = nil
	socket.close(id)
end

local function binary_conn(id)
	while true do
		local head = socket.read(id, 6)
		if not head then
			break
		end
		local session, len = string.unpack(">I4I2", head)
		local cmd = socket.read(id, len)
		if not cmd then
			break
		end
		if cmd == "drop" then
			break
		end
		skynet.fork(function()
			local ok, data = 1, cmd
			local cs, x = cmd:match("^delay:(%d+):(.*)$")
			if cs then
				skynet.sleep(tonumber(cs))
				data = x
			elseif cmd:match("^fail:") then
				ok, data = 0, cmd:sub(6)
			elseif cmd == "hang" then
				return
			end
			socket.write(id, string.pack(">I4Bs2", session, ok, data))
		end)
	end
	conns[id] = nil
	socket.close(id)
end

local function listen(handler)
	local lid = socket.listen("127.0.0.1", 0)
	local _, _, port = socket.start(lid, function(id)
		stats.accepted = stats.accepted + 1
		conns[id] = true
		skynet.fork(function()
			if socket.start(id) then
				handler(id)
			end
		end)
	end)
	return port
end

skynet.start(function()
	local line_port = listen(line_conn)
	local binary_port = listen(binary_conn)
	skynet.dispatch("lua", function(_, _, cmd, arg)
		if cmd == "ports" then
			skynet.ret(skynet.pack(line_port, binary_port))
		elseif cmd == "token" then
			token = arg
			skynet.ret(skynet.pack(true))
		elseif cmd == "kick" then
			for id in pairs(conns) do
				socket.close_fd(id)
				conns[id] = nil
			end
			skynet.ret(skynet.pack(true))
		elseif cmd == "stats" then
			skynet.ret(skynet.pack(stats))
		end
	end)
end)
