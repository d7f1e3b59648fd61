-- t_sprotoserver: a start service for test/net/sproto.sh. It listens on a
-- free loopback port (logged as "sproto server ready port N") and speaks
-- sproto RPC over 2-byte big-endian length-prefixed packets: `ping` is
-- answered (text upper-cased, n + 1, ok = true), `bye` closes the link.
local skynet = require "skynet"
local socket = require "skynet.socket"
local sproto = require "sproto"

local sp = sproto.parse [[
.package {
	type 0 : integer
	session 1 : integer
}
ping 1 {
	request { text 0 : string  n 1 : integer }
	response { text 0 : string  n 1 : integer  ok 2 : boolean }
}
bye 2 {}
]]

local function serve(id)
	local host = sp:host "package"
	while true do
		local head = socket.read(id, 2)
		if not head then
			break
		end
		local msg = socket.read(id, string.unpack(">I2", head))
		if not msg then
			break
		end
		local kind, name, args, respond = host:dispatch(msg)
		assert(kind == "REQUEST")
		if name == "bye" then
			skynet.error("sproto client said bye")
			break
		end
		local reply = respond({ text = args.text:upper(), n = args.n + 1, ok = true })
		socket.write(id, string.pack(">s2", reply))
	end
	socket.close(id)
end

skynet.start(function()
	local lid = socket.listen("127.0.0.1", 0)
	local _, _, port = socket.start(lid, function(id)
		skynet.fork(function()
			socket.start(id)
			serve(id)
		end)
	end)
	skynet.error("sproto server ready port " .. port)
end)
