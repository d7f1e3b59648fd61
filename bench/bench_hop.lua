-- bench_hop: two benchhop C services bounce one message N times (config
-- bench_n, default 2,000,000) with no Lua in the loop; figure: hops/s.
local skynet = require "skynet"
require "skynet.manager"
local B = require "benchlib"

skynet.register_protocol {
	name = "text",
	id = skynet.PTYPE_TEXT,
	pack = function(text) return text end,
	unpack = skynet.tostring,
}

B.main(function()
	local n = B.param("bench_n", 2000000)
	local a = assert(skynet.launch("benchhop"), "can't launch benchhop")
	local b = assert(skynet.launch("benchhop"), "can't launch benchhop")
	skynet.call(a, "text", string.format("%d %d", b, 10000)) -- warm up
	local reply = skynet.call(a, "text", string.format("%d %d", b, n))
	local hops, ns = reply:match("^(%d+) (%d+)$")
	hops, ns = tonumber(hops), tonumber(ns)
	assert(hops == n and ns and ns > 0, "benchhop answered: " .. reply)
	B.report("hop", hops / (ns / 1e9), "hops/s", { n = n, seconds = string.format("%.3f", ns / 1e9) })
	skynet.kill(a)
	skynet.kill(b)
end)
