-- test_multicast: skynet.multicast against the real multicastd: 1,000
-- subscriber services each get every message once, in order, from one
-- package per message (freed after the last delivery); unsubscribe, delete,
-- channel ids with the harbor byte, and the errors.
-- timeout: 120
local skynet = require "skynet"
local multicast = require "skynet.multicast"
local mc = require "skynet.multicast.core"
local T = require "testlib"

local SUBS = 1000
local subs = {}
local ch

local function counts(from, to)
	local total = 0
	for i = from or 1, to or #subs do
		total = total + skynet.call(subs[i], "lua", "got")
	end
	return total
end

T.case("channel ids carry the harbor byte", function()
	local a = multicast.new()
	local b = multicast.new()
	T.eq(a.channel, skynet.harbor(skynet.self()), "the node's first channel is its harbor id, as skynet's")
	T.eq(b.channel, a.channel + 256, "then each 256 on")
	T.ok(a.channel ~= b.channel, "distinct ids")
	T.eq(mc.nextid(0x7fffff01), 0x101, "ids wrap keeping the low byte")
	T.eq(tostring(a), string.format("[Multicast:%x]", a.channel))
	a:delete()
	b:delete()
end)

T.case("1,000 subscribers each get every message once, in order", function()
	ch = multicast.new()
	for i = 1, SUBS do
		subs[i] = skynet.newservice("t_mcsub", tostring(ch.channel))
	end
	local want = ""
	for n = 1, 10 do
		ch:publish(n, string.rep("p", 1000))
		T.ok(mc.live() <= n, "one package per message, not one per subscriber")
		want = want .. n .. ","
	end
	T.wait_until(function() return counts() == SUBS * 10 end, 3000, "every delivery")
	for i, s in ipairs(subs) do
		local n, order, dup = skynet.call(s, "lua", "got")
		T.eq(n, 10, "subscriber " .. i)
		T.eq(order, want, "order at subscriber " .. i)
		T.eq(dup, false, "duplicate at subscriber " .. i)
	end
	T.wait_until(function() return mc.live() == 0 end, 200, "packages to be freed")
end)

T.case("unsubscribed services get nothing more; resubscribing works", function()
	for i = 1, SUBS / 2 do
		skynet.call(subs[i], "lua", "unsubscribe")
	end
	ch:publish(11)
	T.wait_until(function() return counts(SUBS / 2 + 1) == (SUBS / 2) * 11 end, 3000, "deliveries to the rest")
	T.eq(counts(1, SUBS / 2), (SUBS / 2) * 10, "no delivery after unsubscribe")
	skynet.call(subs[1], "lua", "subscribe")
	ch:publish(12)
	T.wait_until(function() return skynet.call(subs[1], "lua", "got") == 11 end, 500, "resubscribed delivery")
	T.wait_until(function() return mc.live() == 0 end, 200, "packages to be freed")
end)

T.case("a subscriber that exits is skipped and its packages freed", function()
	for i = 1, SUBS do
		skynet.kill(subs[i])
	end
	subs = {}
	ch:publish(13)
	T.wait_until(function() return mc.live() == 0 end, 200, "package freed without subscribers")
end)

T.case("a subscriber killed with deliveries still queued releases them", function()
	local c = multicast.new()
	local sub = skynet.newservice("t_mcsub", c.channel)
	c:publish(0)
	T.wait_until(function() return skynet.call(sub, "lua", "got") == 1 end, 500, "the first delivery")
	T.wait_until(function() return mc.live() == 0 end, 200, "the first package freed")
	skynet.send(sub, "lua", "busy", 0.5)
	for i = 1, 5 do
		c:publish(i)
	end
	T.wait_until(function() return mc.live() == 5 end, 200, "five packages queued at the busy subscriber")
	skynet.kill(sub)
	T.wait_until(function() return mc.live() == 0 end, 300, "the queued deliveries released with the dead queue")
	c:delete()
end)

T.case("delete: publishing to a deleted channel raises; the package is freed", function()
	T.expect_error("unknown channel")
	local c = ch.channel
	ch:delete()
	T.eq(ch.channel, nil)
	local again = multicast.new { channel = c }
	T.raises("unknown channel", again.publish, again, 1)
	T.raises("unknown channel", again.subscribe, again)
	T.eq(mc.live(), 0, "package of the refused publish freed")
end)

T.case("a channel of a harbor that is not there raises; nothing leaks", function()
	T.expect_error("no multicastd on harbor")
	local other = (skynet.harbor(skynet.self()) + 1) % 256 + 256 * 5
	local r = multicast.new { channel = other }
	T.raises("no multicastd on harbor", r.subscribe, r)
	T.raises("no multicastd on harbor", r.publish, r, "x")
	T.eq(mc.live(), 0)
end)

T.case("in-service subscriber with its own pack/unpack", function()
	local got = {}
	local c = multicast.new {
		pack = function(s) return s end,
		unpack = function(msg, sz) return skynet.tostring(msg, sz) end,
		dispatch = function(self, source, s)
			got[#got + 1] = s
			T.eq(source, skynet.self())
		end,
	}
	c:subscribe()
	c:subscribe() -- twice is once
	c:publish("hello")
	T.wait_until(function() return #got == 1 end, 200, "own delivery")
	T.eq(got[1], "hello")
	c:unsubscribe()
	c:publish("nobody")
	skynet.sleep(5)
	T.eq(#got, 1)
	c:delete()
	T.eq(mc.live(), 0)
end)

T.run()
