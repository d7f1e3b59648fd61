-- test_bson: the bson C module against byte strings written out by hand from
-- the BSON specification (bsonspec.org's two examples and one element of
-- every type skynet's mongo driver uses), decode round trips, skynet's special
-- value API (bson.type and friends), and mutated input (errors, no crash).
-- timeout: 60
local bson = require "bson"
local T = require "testlib"

local function hex(s)
	return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

local function eqbytes(got, want, what)
	if got ~= want then
		error(string.format("%s: bytes differ\n got  %s\n want %s", what, hex(got), hex(want)), 2)
	end
end

-- a one-element document: int32 length, element, 0
local function doc1(element)
	return string.pack("<i4", #element + 5) .. element .. "\0"
end

T.case("bsonspec.org examples byte-identical", function()
	eqbytes(tostring(bson.encode { hello = "world" }),
		"\x16\x00\x00\x00\x02hello\x00\x06\x00\x00\x00world\x00\x00", "hello world")
	eqbytes(tostring(bson.encode { BSON = { "awesome", 5.05, 1986 } }),
		"\x31\x00\x00\x00\x04BSON\x00\x26\x00\x00\x00\x020\x00\x08\x00\x00\x00awesome\x00"
		.. "\x011\x00\x33\x33\x33\x33\x33\x33\x14\x40\x102\x00\xc2\x07\x00\x00\x00\x00", "BSON array")
	local d = bson.decode(bson.encode { BSON = { "awesome", 5.05, 1986 } })
	T.eq(d.BSON[1], "awesome")
	T.eq(d.BSON[2], 5.05)
	T.eq(math.type(d.BSON[3]), "integer")
	T.eq(#bson.encode { hello = "world" }, 22, "# of a bson object")
end)

T.case("every type skynet's driver uses, byte-identical", function()
	local oid = bson.objectid "0102030405060708090a0b0c"
	local cases = {
		{ "double", 1.5, "\x01k\x00" .. string.pack("<d", 1.5) },
		{ "string", "ab", "\x02k\x00\x03\x00\x00\x00ab\x00" },
		{ "document", { a = 1 }, "\x03k\x00\x0c\x00\x00\x00\x10a\x00\x01\x00\x00\x00\x00" },
		{ "empty table is a document", {}, "\x03k\x00\x05\x00\x00\x00\x00" },
		{ "array", { true }, "\x04k\x00\x09\x00\x00\x00\x080\x00\x01\x00" },
		{ "binary", bson.binary "xyz", "\x05k\x00\x03\x00\x00\x00\x00xyz" },
		{ "objectid", oid, "\x07k\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c" },
		{ "false", false, "\x08k\x00\x00" },
		{ "date (seconds in, ms on the wire)", bson.date(1000), "\x09k\x00" .. string.pack("<i8", 1000000) },
		{ "null", bson.null, "\x0ak\x00" },
		{ "regex", bson.regex("^a", "i"), "\x0bk\x00^a\x00i\x00" },
		{ "int32", -2, "\x10k\x00\xfe\xff\xff\xff" },
		{ "timestamp", bson.timestamp(7, 3), "\x11k\x00\x03\x00\x00\x00\x07\x00\x00\x00" },
		{ "int64 (large integer)", 1 << 40, "\x12k\x00" .. string.pack("<i8", 1 << 40) },
		{ "int64 (bson.int64)", bson.int64(5), "\x12k\x00" .. string.pack("<i8", 5) },
		{ "minkey", bson.minkey, "\xffk\x00" },
		{ "maxkey", bson.maxkey, "\x7fk\x00" },
	}
	for _, c in ipairs(cases) do
		eqbytes(tostring(bson.encode { k = c[2] }), doc1(c[3]), c[1])
	end
end)

T.case("encode_order keeps the order; nested bson objects embed", function()
	local o = bson.encode_order("find", "coll", "limit", 2, "$db", "test")
	eqbytes(tostring(o), doc1("\x02find\x00\x05\x00\x00\x00coll\x00\x10limit\x00\x02\x00\x00\x00"
		.. "\x02$db\x00\x05\x00\x00\x00test\x00"), "ordered")
	local inner = bson.encode { a = 1 }
	local outer = bson.encode_order("documents", { inner, inner })
	local d = bson.decode(outer)
	T.eq(d.documents[2].a, 1, "embedded document")
	T.raises("Invalid ordered dict", bson.encode_order, "a")
	T.raises("need a string", bson.encode_order, {}, 2)
end)

T.case("decode round trip and bson.type", function()
	local oid = bson.objectid()
	T.eq(#oid, 14, "objectid string")
	local d = bson.decode(bson.encode {
		id = oid, when = bson.date(1700000000), bin = bson.binary("\0\1", 4), re = bson.regex "x",
		ts = bson.timestamp(10, 20), n = bson.null, big = 1 << 50, neg = -(1 << 33), f = -0.25,
		t = true, nested = { list = { 1, "two", { three = 3 } } }, [1] = "numeric key",
	})
	T.eq(d.id, oid, "objectid")
	local ty, v = bson.type(d.id)
	T.eq(ty, "objectid")
	T.eq(#v, 24, "hex objectid")
	T.eq(bson.objectid(v), oid, "objectid from hex")
	ty, v = bson.type(d.when)
	T.eq(ty, "date")
	T.eq(v, 1700000000)
	local sub
	ty, v, sub = bson.type(d.bin)
	T.eq(ty, "binary")
	T.eq(v, "\0\1")
	T.eq(sub, 4)
	local opt
	ty, v, opt = bson.type(d.re)
	T.eq(ty, "regex")
	T.eq(v, "x")
	T.eq(opt, "")
	local inc
	ty, v, inc = bson.type(d.ts)
	T.eq(ty, "timestamp")
	T.eq(v, 10)
	T.eq(inc, 20)
	T.eq(d.n, bson.null)
	T.eq(bson.type(d.n), "nil")
	T.eq(d.big, 1 << 50)
	T.eq(d.neg, -(1 << 33))
	T.eq(d.f, -0.25)
	T.eq(d.t, true)
	T.eq(d.nested.list[3].three, 3)
	T.eq(d["1"], "numeric key", "number keys become strings")
	T.eq(bson.type(bson.minkey), "minkey")
	T.eq(bson.type(bson.maxkey), "maxkey")
	T.eq(select(2, bson.type(bson.int64(-7))), -7, "int64 value")
	T.eq(select(2, bson.type("plain")), "plain")
	-- a decoded document is also reachable as a method, and from its bytes
	T.eq(bson.encode({ x = 9 }):decode().x, 9)
	T.eq(bson.decode(tostring(bson.encode { x = 8 })).x, 8)
	T.ok(bson.objectid() ~= bson.objectid(), "fresh objectids differ")
end)

T.case("__pairs and __len are honoured", function()
	local proxy = setmetatable({}, { __pairs = function() return next, { a = 1 }, nil end })
	T.eq(bson.decode(bson.encode { p = proxy }).p.a, 1, "__pairs")
	local arr = setmetatable({}, { __len = function() return 2 end, __index = function(_, i) return i * 10 end })
	local d = bson.decode(bson.encode { a = arr })
	T.eq(d.a[2], 20, "__len array")
end)

T.case("makeindex and in-place replacement (skynet's testbson)", function()
	local sub = bson.encode_order("hello", 1, "world", 2)
	local b = bson.encode { a = 1, b = true, h = bson.date(100), i = bson.timestamp(5, 1), j = bson.objectid(),
		f = 0.5, big = 1 << 40, s = "text", o = sub, p = 2 ^ 32 - 1 }
	T.raises("call makeindex first", function() b.a = 2 end)
	T.eq(b:makeindex(), b)
	b.a = 2
	b.b = false
	b.h = bson.date(200)
	b.i = bson.timestamp(9, 3)
	local oid = bson.objectid()
	b.j = oid
	b.f = 1.25
	b.big = -(1 << 41)
	local t = b:decode()
	T.eq(t.a, 2)
	T.eq(t.b, false)
	T.eq(select(2, bson.type(t.h)), 200)
	T.eq(select(2, bson.type(t.i)), 9)
	T.eq(t.j, oid)
	T.eq(t.f, 1.25)
	T.eq(t.big, -(1 << 41))
	T.eq(t.p, 2 ^ 32 - 1, "a float stays a double")
	T.eq(bson.type(t.o.hello), "number")
	T.raises("Can't replace key", function() b.s = "x" end)
	T.raises("Type mismatch", function() b.h = "plain" end)
	T.raises("32bit integer", function() b.a = 1.5 end)
end)

T.case("bad values raise clear errors", function()
	T.raises("Invalid objectid", bson.objectid, "xyz")
	T.raises("invalid value type", bson.encode, { f = print })
	T.raises("invalid key type", bson.encode, { [true] = 1 })
	T.raises("zero byte", bson.encode, { ["a\0b"] = 1 })
	local t = {}
	t.self = t
	T.raises("too deep", bson.encode, t)
	T.raises("invalid objectid", bson.encode, { x = "\0\7short" })
	T.raises("bson.decode", bson.decode, 42)
end)

T.case("mutated documents: errors, never a crash", function()
	local good = tostring(bson.encode {
		a = 1, s = "string", d = { x = { 1, 2, 3 } }, b = bson.binary "bin", r = bson.regex("p", "o"),
		o = bson.objectid(), t = bson.timestamp(1), f = 2.5, big = 1 << 40, when = bson.date(5),
	})
	local rnd = 12345
	local function rand(n)
		rnd = (rnd * 1103515245 + 12345) & 0x7fffffff
		return rnd % n
	end
	local errors, oks = 0, 0
	for i = 1, 20000 do
		local s = good
		local k = 1 + rand(4)
		for _ = 1, k do
			local pos = 1 + rand(#s)
			local op = rand(3)
			if op == 0 then
				s = s:sub(1, pos - 1) .. string.char(rand(256)) .. s:sub(pos + 1)
			elseif op == 1 then
				s = s:sub(1, pos)
			else
				s = s:sub(1, pos) .. string.char(rand(256)) .. s:sub(pos + 1)
			end
		end
		local ok, err = pcall(bson.decode, s)
		if ok then
			oks = oks + 1
		else
			errors = errors + 1
			T.ok(type(err) == "string" and err:find "bson", "error text: " .. tostring(err))
		end
		if i % 5000 == 0 then
			collectgarbage "step"
		end
	end
	T.ok(errors > 10000, "most mutations are rejected (" .. errors .. ")")
	T.ok(oks > 0, "some mutations still decode")
end)

T.run()
