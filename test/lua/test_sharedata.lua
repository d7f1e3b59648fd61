-- test_sharedata: skynet.sharedata against the real sharedatad: 100 reader
-- services see an update on their next access without a copy of the table,
-- old versions are freed when their readers move on or exit (or are gone
-- before the answer), deepcopy, the
-- value sources (table, code, @file), and the errors.
-- timeout: 90
local skynet = require "skynet"
local sharedata = require "skynet.sharedata"
local core = require "skynet.sharedata.core"
local T = require "testlib"

local READERS = 100

local function version(n)
	local list = {}
	for i = 1, n do
		list[i] = i * 10
	end
	return { version = n, sub = { tag = "v" .. n }, list = list, big = string.rep("x", 10000) }
end

local readers = {}

local function read_all()
	local got = {}
	for i, r in ipairs(readers) do
		local v, tag, n, last = skynet.call(r, "lua", "read")
		got[i] = string.format("%s/%s/%s/%s", v, tag, n, last)
	end
	return got
end

local function all_equal(got, want)
	for i, g in ipairs(got) do
		T.eq(g, want, "reader " .. i)
	end
end

T.case("100 readers see the table and then its update on their next access", function()
	local base = core.live()
	sharedata.new("cfg", version(1))
	T.eq(core.live(), base + 1, "one tree for the node")
	local before = collectgarbage "count"
	for i = 1, READERS do
		readers[i] = skynet.newservice("t_sdreader", "cfg")
	end
	all_equal(read_all(), "1/v1/1/10")
	T.eq(core.live(), base + 1, "readers share the one tree")
	sharedata.update("cfg", version(2))
	all_equal(read_all(), "2/v2/2/20")
	-- every reader moved on, so the first version is gone
	T.wait_until(function() return core.live() == base + 1 end, 200, "the old version to be freed")
	sharedata.update("cfg", version(3))
	for _, r in ipairs(readers) do
		skynet.call(r, "lua", "flush")
	end
	T.eq(core.live(), base + 1, "flush lets the old version go")
	all_equal(read_all(), "3/v3/3/30")
	T.ok(collectgarbage "count" - before < 200, "the caller holds no copies")
end)

T.case("readers exiting release their reference; delete frees the tree", function()
	T.expect_error("cfg doesn't exist")
	local base = core.live()
	sharedata.update("cfg", version(4))
	-- the readers still hold version 3 until their next access
	T.eq(core.live(), base + 1, "old version held by readers")
	for _, r in ipairs(readers) do
		skynet.kill(r)
	end
	readers = {}
	T.wait_until(function() return core.live() == base end, 200, "readers' references to go")
	sharedata.delete("cfg")
	T.eq(core.live(), base - 1, "deleted")
	T.raises("doesn't exist", sharedata.query, "cfg")
end)

T.case("a query whose reader is gone drops the reference it carried", function()
	sharedata.new("gone", { v = 1 })
	local base = core.live()
	local dead = skynet.newservice("t_console_hello", "sharedata")
	skynet.kill(dead)
	-- the request looks like it came from the dead service: the answer has
	-- nowhere to go, so its reference must be released by sharedatad
	local sd = skynet.uniqueservice("sharedatad")
	skynet.redirect(sd, dead, "lua", 1, skynet.pack("query", "gone"))
	sharedata.delete("gone")
	T.wait_until(function() return core.live() == base - 1 end, 200, "the deleted tree to be freed")
end)

T.case("proxy reads: pairs, ipairs, #, nested, numbers, booleans, identity", function()
	sharedata.new("p", { 1, 2, 3, x = { y = { z = true } }, f = 1.5, [2.5] = "half", [true] = "yes", s = "str" })
	local t = sharedata.query("p")
	T.eq(#t, 3)
	local sum = 0
	for i, v in ipairs(t) do
		sum = sum + i * v
	end
	T.eq(sum, 14, "ipairs")
	local keys = 0
	for k, v in pairs(t) do
		keys = keys + 1
	end
	T.eq(keys, 8, "pairs")
	T.eq(t.x.y.z, true)
	T.eq(t.x, t.x, "a sub-table keeps its identity")
	T.eq(t.f, 1.5)
	T.eq(t[2.5], "half")
	T.eq(t[true], "yes")
	T.eq(t[2.0], 2, "float key normalized")
	T.eq(t.missing, nil)
	T.eq(table.concat(t, ","), "1,2,3")
	T.raises("read-only", function() t.s = 1 end)
	T.eq(sharedata.query("p"), t, "query is cached")
	sharedata.delete("p")
end)

T.case("an update moves held sub-tables; a vanished key raises", function()
	sharedata.new("u", { a = { b = 1 }, keep = { v = 1 } })
	local t = sharedata.query("u")
	local a, keep = t.a, t.keep
	T.eq(a.b, 1)
	sharedata.update("u", { keep = { v = 2 } })
	T.eq(keep.v, 2, "held sub-table sees the new version")
	T.eq(t.keep, keep, "same proxy after the update")
	T.raises("The key [a] doesn't exist after update", function() return a.b end)
	sharedata.delete("u")
	T.eq(keep.v, 2, "a deleted table stays readable for its holders")
end)

T.case("a proxy serializes like its table (skynet.packstring)", function()
	sharedata.new("foobar", { a = 1, b = { "hello", "world" } })
	local obj = sharedata.query("foobar")
	local copy = skynet.unpack(skynet.packstring(obj))
	T.eq(copy.a, 1)
	T.eq(copy.b[2], "world")
	local b = obj.b
	sharedata.update("foobar", { a = 2 })
	T.eq(obj.a, 2)
	T.raises("doesn't exist after update", function() return { b[1], b[2] } end)
	sharedata.update("foobar", { a = 3, b = { "change" } })
	T.eq(obj.b[1], "change")
	sharedata.delete("foobar")
end)

T.case("deepcopy returns plain tables", function()
	sharedata.new("d", { a = { b = { 1, 2 } }, n = 5 })
	local c = sharedata.deepcopy("d")
	T.eq(getmetatable(c), nil)
	T.eq(c.a.b[2], 2)
	local sub = sharedata.deepcopy("d", "a", "b")
	T.eq(#sub, 2)
	T.eq(rawget(sub, 1), 1)
	T.eq(sharedata.deepcopy("d", "n"), 5)
	sharedata.delete("d")
end)

T.case("value sources: code with arguments, globals, @file, nil", function()
	sharedata.new("code", "local a, b = ... return { sum = a + b }", 2, 3)
	T.eq(sharedata.query("code").sum, 5)
	sharedata.new("globals", "x = 1 y = math.max(2, 3)")
	T.eq(sharedata.query("globals").y, 3)
	local path = skynet.getenv("test_tmp") .. "/sharedata_file.lua"
	local f = assert(io.open(path, "w"))
	f:write("return { from = 'file' }")
	f:close()
	sharedata.new("file", "@" .. path)
	T.eq(sharedata.query("file").from, "file")
	sharedata.new("empty")
	T.eq(next(sharedata.deepcopy("empty")), nil)
	sharedata.update("missing_before", { ok = true })
	T.eq(sharedata.query("missing_before").ok, true, "update creates")
	for _, n in ipairs { "code", "globals", "file", "empty", "missing_before" } do
		sharedata.delete(n)
	end
end)

T.case("errors: duplicate name, bad value type, unknown name", function()
	T.expect_error("sharedata")
	sharedata.new("dup", {})
	T.raises("already exists", sharedata.new, "dup", {})
	T.raises("unsupported value type function", sharedata.new, "bad", "return { f = print }")
	T.raises("a table can't be a key", sharedata.new, "bad", "return { [{}] = 1 }")
	T.raises("Unsupported type function", sharedata.new, "bad", { f = print })
	T.raises("doesn't exist", sharedata.delete, "nothere")
	T.raises("doesn't exist", sharedata.deepcopy, "nothere")
	sharedata.delete("dup")
end)

T.case("cycles and shared sub-tables are kept as one node", function()
	sharedata.new("cyc", "local shared = { v = 1 } local t = { a = shared, b = shared } t.self = t return t")
	local p = sharedata.query("cyc")
	T.eq(p.self.self.a.v, 1)
	local c = sharedata.deepcopy("cyc")
	T.eq(c.a, c.b, "deepcopy keeps sharing")
	T.eq(c.self, c)
	sharedata.delete("cyc")
end)

T.run()
