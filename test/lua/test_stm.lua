-- test_stm: skynet.stm across real services: readers see each new version
-- once, decode it with their own function, see nothing new once the writer
-- is gone; bad arguments raise.
local skynet = require "skynet"
local stm = require "skynet.stm"
local T = require "testlib"

local readers = {}
local obj

T.case("readers see a version once, then each update", function()
	obj = stm.new(skynet.pack(1, "a"))
	for i = 1, 10 do
		readers[i] = skynet.newservice("t_stmreader")
		skynet.call(readers[i], "lua", "init", stm.copy(obj))
	end
	for _, r in ipairs(readers) do
		local ok, n, s = skynet.call(r, "lua", "read")
		T.eq(ok, true)
		T.eq(n, 1)
		T.eq(s, "a")
		T.eq(skynet.call(r, "lua", "read"), false, "no change, no read")
	end
	obj(skynet.pack(2))
	obj(skynet.pack(3, { x = 1 }))
	for _, r in ipairs(readers) do
		local ok, n, t = skynet.call(r, "lua", "read")
		T.eq(ok, true)
		T.eq(n, 3, "the newest version")
		T.eq(t.x, 1)
	end
end)

T.case("string messages and a decoder with its own argument", function()
	obj("raw bytes")
	for _, r in ipairs(readers) do
		local ok, s = skynet.call(r, "lua", "readraw")
		T.eq(ok, true)
		T.eq(s, "got:raw bytes")
	end
	local own = stm.newcopy(stm.copy(obj))
	local ok, s = own(function(msg, sz) return skynet.tostring(msg, sz) end)
	T.eq(s, "raw bytes")
	T.eq(own(skynet.unpack), false)
end)

T.case("once the writer is gone, readers see no new version", function()
	obj = nil
	collectgarbage()
	collectgarbage()
	for _, r in ipairs(readers) do
		T.eq(skynet.call(r, "lua", "read"), false)
		skynet.call(r, "lua", "drop")
		skynet.kill(r)
	end
end)

T.case("bad arguments", function()
	T.raises("bad argument", stm.new, {})
	T.raises("bad argument", stm.newcopy, "x")
	local w = stm.new("x")
	local r = stm.newcopy(stm.copy(w))
	T.raises("bad argument", r, 1)
	T.raises("bad argument", w, {})
end)

T.run()
