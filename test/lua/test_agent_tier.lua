-- test_agent_tier: what a gate agent's per-packet path costs. skynet.ignoreret
-- (called for every client packet, whose session is the fd) lives in the core
-- of skynet.lua: loading the lazy tier skynet/ext.lua for it alone cost each
-- agent about 15 KiB (the `connect_rss_kib` benchmark).
-- timeout: 30
local skynet = require "skynet"
local T = require "testlib"

skynet.register_protocol { name = "client", id = skynet.PTYPE_CLIENT, pack = function(s) return s end }

T.case("a client packet with ignoreret does not load skynet.ext", function()
	local sink = skynet.newservice("t_clientsink")
	local got, loaded = skynet.call(sink, "lua", "probe")
	T.eq(got, nil, "no packet yet")
	T.eq(loaded, false, "an idle service has not loaded the lazy tier")
	skynet.redirect(sink, 0, "client", 12345, "hello")
	got, loaded = skynet.call(sink, "lua", "probe")
	T.eq(got, "hello", "packet taken")
	T.eq(loaded, false, "ignoreret is in the core")
	skynet.kill(sink)
end)

T.run()
