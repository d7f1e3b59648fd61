-- test_fidelity_multiconf: a config written for several nodes (skynet's own
-- example sets harbor, address, master and standalone) still boots while the
-- harbor services are not part of the runtime: alone, with global names and
-- DATACENTER, and a log line saying the master is ignored.
-- config: address = 127.0.0.1:2526
-- config: master = 127.0.0.1:2013
-- config: standalone = 0.0.0.0:2013
local skynet = require "skynet"
require "skynet.manager"
local datacenter = require "skynet.datacenter"
local T = require "testlib"

T.case("the node boots alone and says so", function()
	local f = assert(io.open(skynet.getenv "logger"))
	local text = f:read "a"
	f:close()
	T.ok(string.find(text, "bootstrap: no cslave service, master 127.0.0.1:2013 ignored: running as a single node",
		1, true), "no bootstrap line")
end)

T.case("global names and DATACENTER work", function()
	skynet.newservice("t_named", "register", "FN_MULTI")
	T.eq(skynet.call("FN_MULTI", "lua", "ping"), "pong")
	datacenter.set("multi", 1)
	T.eq(datacenter.get "multi", 1)
end)

T.run()
