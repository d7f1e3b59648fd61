-- test_fidelity_request: skynet.request():select(timeout) as skynet's: each
-- answer yields req, resp (a table.pack of the results, or false for a
-- failed call), a request that could not be sent yields req alone, first;
-- after a timeout the loop ends with reqs.timeout == true; select hands back
-- the request as the loop's to-be-closed value, so a break drops the rest.
-- timeout: 30
-- expect_error: t_peer.lua:[0-9]+: on purpose
local skynet = require "skynet"
local T = require "testlib"

local peer

T.case("answers, failures and unsendable requests", function()
	local reqs = skynet.request()
	reqs:add { peer, "lua", "echo", 1, "one" }
	reqs:add { peer, "lua", "later", 3, 2 }
	reqs:add { peer, "lua", "fail", "on purpose" }
	reqs { 0x00ffffff, "lua", "echo", "nobody" } -- a handle nobody has
	local results, order = {}, {}
	for req, resp in reqs:select() do
		local key = tostring(req[4])
		order[#order + 1] = key
		results[key] = resp
	end
	T.eq(order[1], "nobody", "the unsendable request comes first")
	T.eq(#order, 4)
	T.eq(results.nobody, nil, "an unsendable request yields no resp")
	T.eq(reqs.timeout, nil, "no timeout")
	T.eq(results["1"].n, 2)
	T.eq(results["1"][1], 1)
	T.eq(results["1"][2], "one")
	T.eq(results["3"].n, 1)
	T.eq(results["3"][1], 2)
	T.eq(results["on purpose"], false, "a failed call yields false")
end)

T.case("a timeout ends the loop and sets reqs.timeout", function()
	local reqs = skynet.request { peer, "lua", "later", 200, "slow" }
	reqs:add { peer, "lua", "echo", "quick" }
	local t0 = skynet.now()
	local got = {}
	for req, resp in reqs:select(20) do
		got[#got + 1] = resp[1]
	end
	T.ok(skynet.now() - t0 < 150, "select returned at its timeout")
	T.eq(#got, 1)
	T.eq(got[1], "quick")
	T.eq(reqs.timeout, true, "reqs.timeout")
end)

T.case("select returns the request as the loop's closing value", function()
	local reqs = skynet.request()
	for i = 1, 3 do
		reqs:add { peer, "lua", "later", i, i }
	end
	local f, s, ctl, closing = reqs:select()
	T.eq(closing, reqs, "the fourth value closes the loop")
	T.eq(s, nil)
	T.eq(ctl, nil)
	local n = 0
	for _, resp in f, s, ctl, closing do
		n = n + 1
		break
	end
	T.eq(n, 1)
	-- the other answers arrive later and are dropped without any error
	skynet.sleep(10)
	T.eq(skynet.task(), 0, "nothing left waiting")
end)

T.run(function()
	peer = skynet.newservice("t_peer")
end)
