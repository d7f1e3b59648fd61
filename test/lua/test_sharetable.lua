-- test_sharetable: skynet.sharetable against the real sharetabled: 100
-- reader services keep the version they queried until sharetable.update moves
-- it (held sub-tables too), loadfile/loadstring/loadtable, query/queryall,
-- old versions freed when their readers go, and the errors.
-- timeout: 90
local skynet = require "skynet"
local sharetable = require "skynet.sharetable"
local core = require "skynet.sharedata.core"
local T = require "testlib"

local READERS = 100
local readers = {}

local function source(n)
	return string.format("local n = ... return { version = n, sub = { tag = 'v' .. n }, list = { %s } }",
		string.rep("0,", n))
end

local function check_all(want)
	for i, r in ipairs(readers) do
		local v, tag, len = skynet.call(r, "lua", "read")
		T.eq(string.format("%s/%s/%s", v, tag, len), want, "reader " .. i)
	end
end

T.case("100 readers keep their version until update moves it", function()
	local base = core.live()
	sharetable.loadtable("cfg", { version = 1, sub = { tag = "v1" }, list = { 0 } })
	for i = 1, READERS do
		readers[i] = skynet.newservice("t_streader", "cfg")
	end
	check_all("1/v1/1")
	T.eq(core.live(), base + 1, "one tree shared by all")
	sharetable.loadstring("cfg", source(2), 2)
	check_all("1/v1/1") -- a query is a snapshot
	for _, r in ipairs(readers) do
		skynet.call(r, "lua", "update")
	end
	check_all("2/v2/2")
	T.eq(core.live(), base + 1, "the first version is freed once every reader moved")
	sharetable.loadstring("cfg", source(3), 3)
	for _, r in ipairs(readers) do
		skynet.call(r, "lua", "update")
	end
	check_all("3/v3/3")
	for _, r in ipairs(readers) do
		skynet.kill(r)
	end
	readers = {}
	T.wait_until(function() return core.live() == base + 1 end, 200, "readers' references to go")
end)

T.case("loadfile: the file name is the table's name", function()
	local path = skynet.getenv("test_tmp") .. "/sharetable_cfg.lua"
	local f = assert(io.open(path, "w"))
	f:write(source(4))
	f:close()
	sharetable.loadfile(path, 4)
	local t = sharetable.query(path)
	T.eq(t.version, 4)
	T.eq(t.sub.tag, "v4")
	T.eq(#t.list, 4)
end)

T.case("query and queryall", function()
	sharetable.loadtable("one", { message = "hello one", x = 1, 1 })
	sharetable.loadtable("two", { message = "hello two", x = 2, 2 })
	T.eq(sharetable.query("nothing"), nil)
	local list = sharetable.queryall { "one", "two", "nothing" }
	T.eq(list.one.message, "hello one")
	T.eq(list.two[1], 2)
	T.eq(list.nothing, nil)
	local all = sharetable.queryall()
	T.ok(all.one and all.two and all.cfg, "queryall() returns every loaded name")
	local t = sharetable.query("one")
	local n = 0
	for k, v in pairs(t) do
		n = n + 1
	end
	T.eq(n, 3, "pairs")
	T.eq(#t, 1)
	T.raises("read-only", function() t.x = 2 end)
end)

T.case("update in the caller moves every table of that name", function()
	sharetable.loadtable("u", { a = { b = 1 } })
	local t1 = sharetable.query("u")
	local t2 = sharetable.query("u")
	local a = t1.a
	sharetable.loadtable("u", { a = { b = 2 } })
	T.eq(a.b, 1, "snapshot until update")
	sharetable.update("u", "not_loaded_name")
	T.eq(a.b, 2)
	T.eq(t2.a.b, 2)
end)

T.case("errors", function()
	T.expect_error("sharetable")
	T.raises("not a table", sharetable.loadstring, "bad", "return 1")
	T.raises("sharetable", sharetable.loadstring, "bad", "this is not lua")
	T.raises("sharetable", sharetable.loadfile, "/nonexistent/file.lua")
	T.raises("assertion failed", sharetable.loadtable, "bad", "x")
	T.eq(sharetable.query("bad"), nil, "nothing installed")
end)

T.run()
