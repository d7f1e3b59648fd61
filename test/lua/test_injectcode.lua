-- test_injectcode: skynet.injectcode runs code among the locals and
-- upvalues of a live function: the caller's frame, and a suspended
-- coroutine (a sleeping fork) whose locals the code changes.
-- timeout: 30
local skynet = require "skynet"
local injectcode = require "skynet.injectcode"
local T = require "testlib"

local shared = 10

T.case("code in the caller's frame: locals copied back, upvalues shared", function()
	local function frame(...)
		local a, b = 1, "x"
		local _ = shared -- the code sees upvalues this function has
		local ok, r1, r2 = injectcode("a = a + shared; shared = shared + 1; b = b .. select('#', ...); return a, b")
		return ok, r1, r2, a, b
	end
	local ok, r1, r2, a, b = frame(7, 8)
	T.eq(ok, true)
	T.eq(r1, 11, "result")
	T.eq(r2, "x2", "varargs of the frame")
	T.eq(a, 11, "local written back")
	T.eq(b, "x2")
	T.eq(shared, 11, "upvalue changed in place")
end)

T.case("ext_funcs are visible; errors come back as false, message", function()
	local ok, v = injectcode("return helper(2)", nil, 0, { helper = function(n) return n * 21 end })
	T.eq(ok, true)
	T.eq(v, 42)
	local bad, err = injectcode("return (")
	T.eq(bad, false, "syntax error")
	T.ok(string.find(err, "(debug)", 1, true), err)
	local failed, rerr = injectcode("error('boom', 0)")
	T.eq(failed, false, "runtime error")
	T.eq(rerr, "boom")
	T.eq(injectcode("return 1", nil, 50), false, "a level past the stack")
end)

T.case("code in a suspended coroutine changes its locals", function()
	local result
	local co
	skynet.fork(function()
		co = coroutine.running()
		local count = 5
		skynet.sleep(5)
		result = count
	end)
	skynet.yield()
	T.ok(co, "the fork started")
	-- find the frame that owns `count`
	local level
	for l = 0, 20 do
		local info = debug.getinfo(co, l, "f")
		if info == nil then
			break
		end
		for i = 1, 10 do
			local name = debug.getlocal(co, l, i)
			if name == "count" then
				level = l
			end
		end
	end
	T.ok(level, "a frame with count")
	local ok, v = injectcode("count = count * 3; return count", co, level)
	T.eq(ok, true)
	T.eq(v, 15)
	T.wait_until(function() return result end, 200, "the fork to finish")
	T.eq(result, 15, "the fork saw the new value")
end)

T.run()
