-- test_sproto: sproto.core / sproto / sprotoparser / sprotoloader in a live
-- node. The expected bytes are written out by hand from the sproto format
-- description (the README's worked examples and its 0-packing rules), so an
-- encoder that drifts from the wire format fails here, not in a client.
-- timeout: 120
local skynet = require "skynet"
local sproto = require "sproto"
local core = require "sproto.core"
local parser = require "sprotoparser"
local loader = require "sprotoloader"
local T = require "testlib"

local function unhex(s)
	s = s:gsub("%s+", "")
	return (s:gsub("..", function(h) return string.char(tonumber(h, 16)) end))
end

local function hex(s)
	return (s:gsub(".", function(c) return string.format("%02X ", c:byte()) end))
end

local function same_bytes(got, want, what)
	if got ~= want then
		error(string.format("%s:\n expected %s\n got      %s", what, hex(want), hex(got)), 2)
	end
end

-- the README's example schema, with the later double / fixed-point fields
local readme = sproto.parse [[
.Person {
	name 0 : string
	age 1 : integer
	marital 2 : boolean
	children 3 : *Person
}
.Data {
	numbers 0 : *integer
	bools 1 : *boolean
	number 2 : integer
	bignumber 3 : integer
	double 4 : double
	doubles 5 : *double
	fpn 6 : integer(2)
}
]]

local all = sproto.parse [[
# every type sproto knows
.Item {
	id 0 : integer
	name 1 : string
}
.Pair {
	k 0 : string
	v 1 : integer
}
.All {
	i 0 : integer
	b 1 : boolean
	s 2 : string
	bin 3 : binary
	d 4 : double
	dec 5 : integer(3)
	item 6 : Item
	ints 7 : *integer
	bools 8 : *boolean
	strs 9 : *string
	doubles 10 : *double
	items 11 : *Item
	byid 12 : *Item(id)
	dict 13 : *Pair()
	decs 14 : *integer(2)
	far 40 : integer
	.Inner {
		x 0 : integer
	}
	inner 41 : Inner
}
]]

---------------------------------------------------------------- README bytes

T.case("README example 1: a struct with string, small integer, boolean", function()
	local bin = readme:encode("Person", { name = "Alice", age = 13, marital = false })
	same_bytes(bin, unhex "03 00 00 00 1C 00 02 00 05 00 00 00 41 6C 69 63 65", "example 1")
	local t = readme:decode("Person", bin)
	T.eq(t.name, "Alice")
	T.eq(t.age, 13)
	T.eq(t.marital, false)
end)

T.case("README example 2: skipped tag and a struct array", function()
	local bin = readme:encode("Person", { name = "Bob", age = 40,
		children = { { name = "Alice", age = 13 }, { name = "Carol", age = 5 } } })
	same_bytes(bin, unhex [[
		04 00 00 00 52 00 01 00 00 00
		03 00 00 00 42 6F 62
		26 00 00 00
		0F 00 00 00 02 00 00 00 1C 00 05 00 00 00 41 6C 69 63 65
		0F 00 00 00 02 00 00 00 0C 00 05 00 00 00 43 61 72 6F 6C]], "example 2")
	local t = readme:decode("Person", bin)
	T.eq(#t.children, 2)
	T.eq(t.children[2].name, "Carol")
	T.eq(t.children[2].age, 5)
end)

T.case("README examples 3-6: integer arrays (32/64-bit), booleans, big integers", function()
	same_bytes(readme:encode("Data", { numbers = { 1, 2, 3, 4, 5 } }), unhex [[
		01 00 00 00 15 00 00 00 04
		01 00 00 00 02 00 00 00 03 00 00 00 04 00 00 00 05 00 00 00]], "example 3")
	same_bytes(readme:encode("Data", { numbers = { (1 << 32) + 1, (1 << 32) + 2, (1 << 32) + 3 } }), unhex [[
		01 00 00 00 19 00 00 00 08
		01 00 00 00 01 00 00 00 02 00 00 00 01 00 00 00 03 00 00 00 01 00 00 00]], "example 4")
	same_bytes(readme:encode("Data", { bools = { false, true, false } }),
		unhex "02 00 01 00 00 00 03 00 00 00 00 01 00", "example 5")
	local bin = readme:encode("Data", { number = 100000, bignumber = -10000000000 })
	same_bytes(bin, unhex [[
		03 00 03 00 00 00 00 00
		04 00 00 00 A0 86 01 00
		08 00 00 00 00 1C F4 AB FD FF FF FF]], "example 6")
	local t = readme:decode("Data", bin)
	T.eq(t.number, 100000)
	T.eq(t.bignumber, -10000000000)
end)

T.case("doubles and fixed point, bytes derived from IEEE 754 and the skip rule", function()
	-- 0.01171875 = 3/256 = 0x3F88000000000000; 23 = 0x4037..., 4 = 0x4010...
	local bin = readme:encode("Data", { double = 0.01171875, doubles = { 0.01171875, 23, 4 } })
	same_bytes(bin, unhex [[
		03 00 07 00 00 00 00 00
		08 00 00 00 00 00 00 00 00 00 88 3F
		19 00 00 00 08 00 00 00 00 00 00 88 3F 00 00 00 00 00 00 37 40 00 00 00 00 00 00 10 40]], "example 7")
	-- fpn = 1.82 is the integer 182, inline: (182 + 1) * 2 = 0x016E after skipping 6 tags
	same_bytes(readme:encode("Data", { fpn = 1.82 }), unhex "02 00 0B 00 6E 01", "example 8")
	local t = readme:decode("Data", bin)
	T.eq(t.double, 0.01171875)
	T.eq(t.doubles[2], 23.0)
	T.eq(math.type(t.doubles[3]), "float")
	T.eq(readme:decode("Data", unhex "02 00 0B 00 6E 01").fpn, 1.82)
end)

T.case("integer boundaries: inline up to 0x7ffe, then 32-bit, then 64-bit data", function()
	local function enc(v)
		return readme:encode("Data", { number = v })
	end
	same_bytes(enc(0), unhex "02 00 03 00 02 00", "0 inline")
	same_bytes(enc(0x7ffe), unhex "02 00 03 00 FE FF", "0x7ffe inline")
	same_bytes(enc(0x7fff), unhex "02 00 03 00 00 00 04 00 00 00 FF 7F 00 00", "0x7fff as data")
	same_bytes(enc(-1), unhex "02 00 03 00 00 00 04 00 00 00 FF FF FF FF", "-1 as int32")
	same_bytes(enc(0x7fffffff), unhex "02 00 03 00 00 00 04 00 00 00 FF FF FF 7F", "int32 max")
	same_bytes(enc(0x80000000), unhex "02 00 03 00 00 00 08 00 00 00 00 00 00 80 00 00 00 00", "2^31 as int64")
	same_bytes(enc(math.mininteger), unhex "02 00 03 00 00 00 08 00 00 00 00 00 00 00 00 00 00 80", "int64 min")
	for _, v in ipairs { 0, 1, 0x7ffe, 0x7fff, -1, -0x80000000, 0x7fffffff, 0x80000000, math.maxinteger, math.mininteger } do
		T.eq(readme:decode("Data", enc(v)).number, v, "round trip " .. v)
	end
	-- a mixed array widens every element to 8 bytes
	same_bytes(readme:encode("Data", { numbers = { -1, 1 << 32 } }), unhex [[
		01 00 00 00 11 00 00 00 08 FF FF FF FF FF FF FF FF 00 00 00 00 01 00 00 00]], "widened array")
end)

---------------------------------------------------------------- round trips

T.case("round trip of every type, nested types, arrays and maps", function()
	local v = {
		i = -123456789012, b = true, s = "", bin = "\0\1\2\255", d = -1.5e300, dec = -1.234,
		item = { id = 7, name = "seven" },
		ints = { 1, -2, 3 }, bools = { true, false }, strs = { "a", "", "\0" },
		doubles = { 0.5, -0.25 }, items = { { id = 1 }, { name = "two" } },
		byid = { [10] = { id = 10, name = "ten" }, [20] = { id = 20, name = "twenty" } },
		dict = { apple = 1, pear = -2 }, decs = { 1.25, -0.5 },
		far = 99999, inner = { x = 5 },
	}
	local bin = all:encode("All", v)
	local t, used = all:decode("All", bin)
	T.eq(used, #bin, "bytes used")
	for _, k in ipairs { "i", "b", "s", "bin", "d", "far" } do
		T.eq(t[k], v[k], k)
	end
	T.near(t.dec, -1.234, 1e-9, "decimal")
	T.eq(t.item.name, "seven")
	T.eq(t.ints[2], -2)
	T.eq(t.bools[2], false)
	T.eq(t.strs[3], "\0")
	T.eq(t.doubles[2], -0.25)
	T.eq(t.items[1].id, 1)
	T.eq(t.items[2].name, "two")
	T.eq(t.byid[20].name, "twenty")
	T.eq(t.byid[10].id, 10)
	T.eq(t.dict.apple, 1)
	T.eq(t.dict.pear, -2)
	T.eq(t.decs[1], 1.25)
	T.eq(t.decs[2], -0.5)
	T.eq(t.inner.x, 5)
	-- an empty array is kept as an empty table; a missing one stays nil
	local e = all:decode("All", all:encode("All", { ints = {}, items = {} }))
	T.eq(type(e.ints), "table")
	T.eq(#e.ints, 0)
	T.eq(#e.items, 0)
	T.eq(e.strs, nil)
	same_bytes(all:encode("All", { ints = {} }), unhex "02 00 0D 00 00 00 00 00 00 00", "empty array")
	-- a two-field map: one entry, bytes by hand (element = Pair { k = "x", v = 3 })
	same_bytes(all:encode("All", { dict = { x = 3 } }), unhex [[
		02 00 19 00 00 00
		0F 00 00 00 0B 00 00 00 02 00 00 00 08 00 01 00 00 00 78]], "map bytes")
end)

T.case("decoder skips unknown tags, returns bytes used, fills a given table", function()
	local old = sproto.parse ".P { a 0 : integer }"
	local bin = all:encode("All", { i = 5, s = "dropped", item = { id = 1 }, far = 70000 })
	T.eq(old:decode("P", bin).a, 5)
	local into = { keep = 1 }
	local t, used = core.decode(all.__cobj and core.querytype(all.__cobj, "All"), bin .. "trailing", into)
	T.eq(t, into, "decoded into the given table")
	T.eq(t.keep, 1)
	T.eq(t.far, 70000)
	T.eq(used, #bin)
end)

T.case("a message given as (pointer, size), as a client protocol unpack hands it over", function()
	local ptr, sz = skynet.pack("some", 1, "bytes", { 2 })
	local copy = skynet.tostring(ptr, sz)
	same_bytes(sproto.pack(ptr, sz), sproto.pack(copy), "pack reads the pointer")
	skynet.trash(ptr, sz)
	local st = core.querytype(readme.__cobj, "Person")
	local bin = readme:encode("Person", { name = "Alice", age = 13 })
	local into = {}
	local t, used = core.decode(st, bin, #bin, into) -- the last argument, when a table, is filled
	T.eq(t, into)
	T.eq(t.name, "Alice")
	T.eq(used, #bin)
end)

T.case("default, exist_type, exist_proto, request/response encode and decode", function()
	local sp = sproto.parse [[
		.package { type 0 : integer  session 1 : integer }
		.Pos { x 0 : integer  y 1 : integer(1) }
		move 3 {
			request { pos 0 : Pos  path 1 : *Pos  name 2 : string  run 3 : boolean  w 4 : double }
			response { ok 0 : boolean }
		}
		quit 4 {}
		ack 5 { request Pos  response nil }
	]]
	local d = sp:default("move", "REQUEST")
	T.eq(d.__type, "move.request")
	T.eq(d.pos.__type, "Pos")
	T.eq(type(d.path), "table")
	T.eq(d.name, "")
	T.eq(d.run, false)
	T.eq(math.type(sp:default("Pos").y), "float")
	T.eq(sp:default("move", "RESPONSE").ok, false)
	T.eq(sp:default("quit", "REQUEST"), nil)
	T.ok(sp:exist_type("Pos") and sp:exist_type("move.request"), "exist_type")
	T.ok(not sp:exist_type("Nope"), "no such type")
	T.ok(sp:exist_proto("move") and sp:exist_proto(4) and not sp:exist_proto("fly"), "exist_proto")
	local req, tag = sp:request_encode("move", { pos = { x = 1, y = 2.5 }, name = "n" })
	T.eq(tag, 3)
	local args, name = sp:request_decode("move", req)
	T.eq(name, "move")
	T.eq(args.pos.y, 2.5)
	T.eq(select(2, sp:request_encode("quit")), 4)
	T.eq(sp:response_decode("move", sp:response_encode("move", { ok = true })).ok, true)
	T.eq(sp:response_encode("ack", {}), "")
	T.raises("type Nope not found", sp.encode, sp, "Nope", {})
	T.raises("fly not found", sp.request_encode, sp, "fly", {})
	same_bytes(sp:pencode("Pos", { x = 1 }), sproto.pack(sp:encode("Pos", { x = 1 })), "pencode")
	T.eq(sp:pdecode("Pos", sp:pencode("Pos", { x = 300 })).x, 300)
end)

T.case("encode errors name the field", function()
	T.raises(".i is not an integer", all.encode, all, "All", { i = "x" })
	T.raises(".i is not an integer", all.encode, all, "All", { i = 1.5 })
	T.raises(".b is not a boolean", all.encode, all, "All", { b = 1 })
	T.raises(".s is not a string", all.encode, all, "All", { s = {} })
	T.raises(".item is not a table", all.encode, all, "All", { item = 1 })
	T.raises(".ints is not a table", all.encode, all, "All", { ints = 1 })
	T.raises(".ints[2] is not an integer", all.encode, all, "All", { ints = { 1, "z" } })
	T.raises(".byid is not a table", all.encode, all, "All", { byid = { 1 } })
	local deep = {}
	local cur = deep
	local sp = sproto.parse ".N { n 0 : N }"
	for _ = 1, 100 do
		cur.n = {}
		cur = cur.n
	end
	T.raises("too deep", sp.encode, sp, "N", deep)
	T.raises("object is too large", sp.encode, all, "All", { s = string.rep("x", 0x1000001) })
end)

---------------------------------------------------------------- 0-packing

T.case("0-pack vectors from the packing rules", function()
	local pack, unpack = sproto.pack, sproto.unpack
	-- README: two words, tag bytes 0x51 and 0x31
	same_bytes(pack(unhex "08 00 00 00 03 00 02 00 19 00 00 00 AA 01 00 00"), unhex "51 08 03 02 31 19 AA 01", "readme 1")
	-- README: 30 x 0x8a is padded to 4 words; a full word opens a raw run the
	-- padded 6-non-zero word joins: ff, 3 (= 4 words - 1), 32 bytes
	same_bytes(pack(string.rep("\x8a", 30)), "\xff\x03" .. string.rep("\x8a", 30) .. "\0\0", "readme 2")
	same_bytes(pack(""), "", "empty")
	same_bytes(pack("\0"), "\0", "one zero byte = one empty word")
	same_bytes(pack(string.rep("\0", 16)), "\0\0", "zero words")
	-- 7 non-zero bytes outside a run are tagged, not copied
	same_bytes(pack(unhex "01 02 03 04 05 06 07 00"), unhex "7F 01 02 03 04 05 06 07", "seven")
	-- a run is joined by a 7-non-zero word but ended by a 5-non-zero one
	same_bytes(pack(unhex "11 11 11 11 11 11 11 11  22 22 22 22 22 22 22 00  33 33 33 33 33 00 00 00"),
		unhex "FF 01 11 11 11 11 11 11 11 11 22 22 22 22 22 22 22 00  1F 33 33 33 33 33", "run then tagged")
	-- a run holds at most 256 words: 257 full words = a 256-run and a 1-run
	local full = string.rep("\x01", 257 * 8)
	same_bytes(pack(full), "\xff\xff" .. string.rep("\x01", 256 * 8) .. "\xff\x00" .. string.rep("\x01", 8), "run limit")
	-- unpack restores the words (padded to 8 bytes)
	same_bytes(unpack(unhex "51 08 03 02 31 19 AA 01"), unhex "08 00 00 00 03 00 02 00 19 00 00 00 AA 01 00 00", "unpack")
	same_bytes(unpack(pack(full)), full, "unpack runs")
	same_bytes(unpack(pack("abc")), "abc\0\0\0\0\0", "padding")
	T.raises("Invalid unpack stream", unpack, "\xff")
	T.raises("Invalid unpack stream", unpack, "\xff\x01" .. string.rep("a", 15))
	T.raises("Invalid unpack stream", unpack, "\x03\x01")
	for n = 0, 300, 7 do
		local s = {}
		for i = 1, n do
			s[i] = string.char((i * 37) % 3 == 0 and 0 or (i % 251) + 1)
		end
		s = table.concat(s)
		local u = unpack(pack(s))
		T.eq(u:sub(1, n), s, "round trip " .. n)
		T.eq(#u, (n + 7) // 8 * 8, "unpacked length")
	end
end)

---------------------------------------------------------------- parser

T.case("parser bundle bytes for a one-field type, derived from the meta schema", function()
	-- field record: 4 words (name in data, buildin integer = 02 00, skip tag 2,
	-- tag 0 = 02 00), then the name "x"; type record: name "A", fields array
	local field = unhex "04 00 00 00 02 00 01 00 02 00 01 00 00 00 78"
	local function bytes(s) return string.pack("<s4", s) end
	local ty = unhex "02 00 00 00 00 00" .. bytes "A" .. bytes(bytes(field))
	same_bytes(parser.parse ".A { x 0 : integer }", unhex "01 00 00 00" .. bytes(bytes(ty)), "bundle")
	-- protocol record: name, tag 1 = 04 00, request type 0 = 02 00
	local proto = unhex "03 00 00 00 04 00 02 00" .. bytes "p"
	same_bytes(parser.parse ".A { x 0 : integer } p 1 { request A }",
		unhex "02 00 00 00 00 00" .. bytes(bytes(ty)) .. bytes(bytes(proto)), "bundle with protocol")
	same_bytes(parser.parse "# nothing\n", "\0\0", "empty schema")
end)

T.case("parser errors carry the line", function()
	local function perr(text)
		local ok, err = pcall(parser.parse, text, "t.sproto")
		T.ok(not ok, "expected an error for: " .. text)
		return err
	end
	T.eq(perr ".A {\n  a 0 : integer\n  b : string\n}", "syntax error at [t.sproto] line (3)")
	T.eq(perr "\n\n.A { a 0 integer }", "syntax error at [t.sproto] line (3)")
	T.eq(perr ".A {\n a 0 : integer\n}\n}", "syntax error at [t.sproto] line (4)")
	T.ok(perr ".A {\n a 0 : integer\n a 1 : string\n}":find("redefine a in type A at [t.sproto] line (3)", 1, true))
	T.ok(perr ".A { a 0 : integer b 0 : string }":find("redefine tag 0 in type A", 1, true))
	T.ok(perr ".A { a 0 : B }":find("Undefined type B in type A", 1, true))
	T.ok(perr ".A { a 0 : integer }\n.A { b 0 : integer }":find("redefined A", 1, true))
	T.ok(perr "a 1 {}\nb 1 {}":find("redefined protocol tag 1 at b", 1, true))
	T.ok(perr "a 1 { request X }":find("Undefined request type X in protocol a", 1, true))
	T.ok(perr ".P { a 0 : integer }\n.A { m 0 : *P() }":find("must only have two fields", 1, true))
	T.ok(perr ".P { a 0 : integer }\n.A { m 0 : *P(zz) }":find("Invalid map index", 1, true))
	T.ok(perr ".A { a 0 : string(2) }":find("Invalid decimal", 1, true))
	T.ok(perr ".A { a 99999 : integer }":find("too large", 1, true))
	-- nested names resolve from the inside out; a bad bundle is refused by the core
	T.ok(sproto.parse ".A { .B { x 0 : integer } b 0 : B  c 1 : A.B }":exist_type("A.B"), "nested")
	local nilp, why = core.newproto("\1\0\0\0\9\0\0\0")
	T.eq(nilp, nil)
	T.ok(why:find("invalid sproto schema", 1, true), "reason given")
end)

---------------------------------------------------------------- fuzz

-- deterministic random bytes (the test must behave the same on every run)
local seed = tonumber(skynet.getenv "sproto_fuzz_seed") or 20260101
local FUZZ_N = tonumber(skynet.getenv "sproto_fuzz_n") or 20000
local function rnd(n)
	seed = (seed * 1103515245 + 12345) & 0x7fffffff
	return seed % n
end

local function mutate(s)
	local b = { s:byte(1, -1) }
	for _ = 1, 1 + rnd(4) do
		local op = rnd(3)
		local at = rnd(#b + 1) + 1
		if op == 0 and #b > 0 then
			b[math.min(at, #b)] = rnd(256)
		elseif op == 1 then
			table.insert(b, math.min(at, #b + 1), rnd(256))
		elseif #b > 0 then
			table.remove(b, math.min(at, #b))
		end
	end
	return string.char(table.unpack(b))
end

T.case("fuzz: random and mutated input gives errors, never a crash", function()
	local samples = {
		all:encode("All", { i = -5, s = "hello", item = { id = 1, name = "a" }, ints = { 1, 2 },
			byid = { [3] = { id = 3 } }, dict = { k = 1 }, doubles = { 1.5 }, strs = { "x" }, far = 1 }),
		readme:encode("Person", { name = "Bob", age = 40, children = { { name = "A" } } }),
	}
	local ok_n, err_n = 0, 0
	local types = { "All", "Item", "Pair", "All.Inner" }
	for i = 1, FUZZ_N do
		local input
		if i % 3 == 0 then
			local len = rnd(64)
			local b = {}
			for j = 1, len do
				b[j] = rnd(256)
			end
			input = string.char(table.unpack(b))
		else
			input = mutate(samples[rnd(#samples) + 1])
		end
		local ok, err = pcall(all.decode, all, types[rnd(#types) + 1], input)
		if ok then
			ok_n = ok_n + 1
		else
			err_n = err_n + 1
			T.ok(type(err) == "string" and (err:find("decode error", 1, true) or err:find("index is NaN", 1, true)),
				"unexpected error: " .. tostring(err))
		end
		local okp = pcall(sproto.unpack, input)
		if okp then
			pcall(all.decode, all, "All", sproto.unpack(input))
		end
	end
	T.ok(ok_n > 0 and err_n > 0, string.format("both outcomes seen (%d ok, %d errors)", ok_n, err_n))
	-- mutated schema bundles: refused or accepted, never a crash
	local bundle = parser.parse [[
		.package { type 0 : integer session 1 : integer }
		.P { a 0 : integer  b 1 : *P(a)  m 2 : *Q() }
		.Q { k 0 : string  v 1 : double }
		p 1 { request P response Q } q 2 { response nil }
	]]
	local accepted = 0
	for _ = 1, FUZZ_N // 6 do
		local cobj = core.newproto(mutate(bundle))
		if cobj then
			accepted = accepted + 1
			-- a damaged schema that still loads must still encode/decode safely
			for _, tname in ipairs { "P", "Q", "package" } do
				local st = core.querytype(cobj, tname)
				if st then
					local ok, bin = pcall(core.encode, st, { a = 1, b = { { a = 2 } }, m = { x = 1.5 }, k = "s", v = 2 })
					pcall(core.decode, st, ok and mutate(bin) or mutate(samples[1]))
				end
			end
			core.deleteproto(cobj)
		end
	end
	skynet.error(string.format("fuzz: %d decoded, %d refused; %d of %d mutated bundles accepted", ok_n, err_n, accepted, FUZZ_N // 6))
end)

---------------------------------------------------------------- services

local rpc_schema = [[
.package { type 0 : integer  session 1 : integer  ud 2 : string }
.Pos { x 0 : integer  y 1 : integer }
get 1 { request { key 0 : string } response { value 0 : string  pos 1 : Pos } }
set 2 { request { key 0 : string  value 1 : string } }
ping 3 { response nil }
push 4 { request { text 0 : string } }
]]

T.case("sprotoloader: one schema registered here is loaded by another service", function()
	local path = skynet.getenv("test_tmp") .. "/rpc.sproto"
	local f = assert(io.open(path, "w"))
	f:write(rpc_schema)
	f:close()
	loader.register(path, 1)
	loader.save(parser.parse ".Only { n 0 : integer }", 2)
	local peer = skynet.newservice("t_sprotopeer")
	local bin = skynet.call(peer, "lua", "encode", 2, "Only", { n = 77 })
	same_bytes(bin, unhex "01 00 9C 00", "encoded by the peer from slot 2")
	T.eq(skynet.call(peer, "lua", "exist", 1, "Pos"), true)
	T.eq(skynet.call(peer, "lua", "exist", 2, "Pos"), false)
	-- one schema in two slots, then replaced in one: it stays usable in the
	-- other, and is freed exactly once at exit (ASan checks the exit)
	local twice = core.newproto(parser.parse ".Twice { t 0 : integer }")
	core.saveproto(twice, 3)
	core.saveproto(twice, 4)
	loader.save(parser.parse ".Other { o 0 : integer }", 3)
	T.eq(skynet.call(peer, "lua", "exist", 4, "Twice"), true)
	T.eq(skynet.call(peer, "lua", "exist", 3, "Other"), true)
	T.raises("nil sproto at index 7", loader.load, 7)
	T.raises("Invalid global slot index 16", loader.load, 16)
	skynet.call(peer, "lua", "exit")
end)

T.case("host/attach RPC with sessions between two services", function()
	local sp = loader.load(1)
	local host = sp:host "package"
	local request = host:attach(sp)
	local peer = skynet.newservice("t_sprotopeer")
	skynet.call(peer, "lua", "serve", 1)
	-- two requests in flight, answered out of order by session
	local m1 = request("get", { key = "a" }, 1, "ud1")
	local m2 = request("get", { key = "b" }, 2)
	local r2 = skynet.call(peer, "lua", "rpc", m2)
	local r1 = skynet.call(peer, "lua", "rpc", m1)
	local kind, session, resp, ud = host:dispatch(r2)
	T.eq(kind, "RESPONSE")
	T.eq(session, 2)
	T.eq(resp.value, "value of b")
	T.eq(resp.pos.x, 2)
	T.eq(ud, nil)
	kind, session, resp, ud = host:dispatch(r1)
	T.eq(session, 1)
	T.eq(resp.value, "value of a")
	T.eq(ud, "echo ud1")
	T.raises("Unknown session", host.dispatch, host, r1)
	-- no session: no response; `response nil`: an empty reply
	T.eq(skynet.call(peer, "lua", "rpc", request("set", { key = "k", value = "v" })), "")
	kind, session, resp = host:dispatch(skynet.call(peer, "lua", "rpc", request("get", { key = "k" }, 3)))
	T.eq(session, 3)
	T.eq(resp.value, "v", "the value set without a session")
	kind, session, resp = host:dispatch(skynet.call(peer, "lua", "rpc", request("ping", nil, 4)))
	T.eq(kind, "RESPONSE")
	T.eq(session, 4)
	T.eq(resp, nil)
	-- the server side pushes a request to us
	kind, session, resp = host:dispatch(skynet.call(peer, "lua", "push", "hello"))
	T.eq(kind, "REQUEST")
	T.eq(session, "push")
	T.eq(resp.text, "hello")
	skynet.call(peer, "lua", "exit")
end)

T.run()
