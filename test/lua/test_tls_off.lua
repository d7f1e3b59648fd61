-- Without `enablessl = true` TLS is off, as in skynet: ltls.c refuses to
-- load with skynet's message, and https:// / wss:// raise it; plain HTTP is
-- unaffected.
local skynet = require "skynet"
local socket = require "skynet.socket"
local T = require "testlib"
local httpc = require "http.httpc"
local websocket = require "http.websocket"

T.case("ltls.c needs enablessl", function()
	T.raises("ltls need init, Put enablessl = true in you config file.", require, "ltls.c")
end)

T.case("https and wss raise the same", function()
	local lid, _, port = socket.listen("127.0.0.1", 0)
	socket.start(lid, function(id) socket.close(id) end)
	T.raises("ltls need init", httpc.get, "https://127.0.0.1:" .. port, "/")
	T.raises("ltls need init", websocket.connect, "wss://127.0.0.1:" .. port .. "/")
	socket.close(lid)
end)

T.run()
