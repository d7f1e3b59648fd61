-- test_fidelity_multiconf: a config written for several nodes (skynet's own
-- example sets harbor, address, master and standalone) boots as harbor 1
-- running its own master: cmaster, cslave and the harbor C service, with
-- global names and DATACENTER through them.
-- config: address = 127.0.0.1:2526
-- config: master = 127.0.0.1:2013
-- config: standalone = 0.0.0.0:2013
local skynet = require "skynet"
require "skynet.manager"
local datacenter = require "skynet.datacenter"
local T = require "testlib"

T.case("the node runs its own master and is harbor 1", function()
	local f = assert(io.open(skynet.getenv "logger"))
	local text = f:read "a"
	f:close()
	T.ok(string.find(text, "master listen socket 0.0.0.0:2013", 1, true), "no master line")
	T.ok(string.find(text, "LAUNCH harbor 1 ", 1, true), "no harbor service")
	T.ok(string.find(text, "Shakehand ready", 1, true), "no slave handshake")
	require("skynet.harbor").connectmaster()
	T.eq(skynet.self() >> 24, 1, "harbor id")
end)

T.case("global names and DATACENTER work", function()
	skynet.newservice("t_named", "register", "FN_MULTI")
	T.eq(skynet.call("FN_MULTI", "lua", "ping"), "pong")
	datacenter.set("multi", 1)
	T.eq(datacenter.get "multi", 1)
end)

T.run()
