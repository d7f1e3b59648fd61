-- test_socketdrop: a service killed with socket data still queued for it. The
-- data buffers must be freed with the queue (LeakSanitizer checks this in the
-- ASan suite), and the node must carry on.
-- timeout: 30
local skynet = require "skynet"
local socket = require "skynet.socket"
local T = require "testlib"

local PORT

T.case("killing a service with unread socket data", function()
	PORT = T.free_port()
	-- t_peer has no socket protocol: data it reaches before the kill is unknown
	T.expect_error("Unknown session : 0 from 0")
	local accepted
	local lid = assert(socket.listen("127.0.0.1", PORT))
	socket.start(lid, function(fd) accepted = fd end)
	local cid = assert(socket.open("127.0.0.1", PORT))
	for _ = 1, 100 do
		if accepted then break end
		skynet.sleep(1)
	end
	T.ok(accepted, "accepted")
	local p = skynet.newservice("t_peer")
	skynet.call(p, "lua", "adopt", accepted)
	skynet.send(p, "lua", "busy", 0.3)
	skynet.sleep(2)
	for i = 1, 20 do
		socket.write(cid, string.rep("x", 1000) .. i)
		skynet.sleep(1)
	end
	T.ok(skynet.call(".launcher", "lua", "LIST")[skynet.address(p)], "peer still busy")
	skynet.kill(p)
	skynet.sleep(40)
	T.raises("invalid address", skynet.call, p, "lua", "echo", 1)
	socket.close(cid)
	socket.close(lid)
end)

T.run()
