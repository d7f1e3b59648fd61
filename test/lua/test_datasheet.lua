-- test_datasheet: skynet.datasheet and datasheet.builder with real reader
-- services: a sheet built from a table or a compiled string, updates seen on
-- the next access (held sub-tables too), old versions freed, errors.
-- timeout: 60
local skynet = require "skynet"
local builder = require "skynet.datasheet.builder"
local datasheet = require "skynet.datasheet"
local core = require "skynet.sharedata.core"
local T = require "testlib"

local readers = {}

local function check(want)
	for i, r in ipairs(readers) do
		local v, price, n = skynet.call(r, "lua")
		T.eq(string.format("%s/%s/%s", v, price, n), want, "reader " .. i)
	end
end

T.case("readers see a sheet and its updates on their next access", function()
	local base = core.live()
	builder.new("items", { version = 1, item = { price = 10 }, list = { 1 } })
	for i = 1, 20 do
		readers[i] = skynet.newservice("t_dsreader", "items")
	end
	check("1/10/1")
	builder.update("items", builder.compile { version = 2, item = { price = 20 }, list = { 1, 2 } })
	check("2/20/2")
	T.wait_until(function() return core.live() == base + 1 end, 200, "the old version to be freed")
	local local_view = datasheet.query("items")
	T.eq(local_view.item.price, 20)
	builder.update("items", { version = 3, item = { price = 30 }, list = {} })
	T.eq(local_view.item.price, 30, "the builder's own reader too")
	check("3/30/0")
	for _, r in ipairs(readers) do
		skynet.kill(r)
	end
end)

T.case("a compiled sheet builds the same data", function()
	local blob = builder.compile { a = { 1, 2, 3 }, b = "x" }
	T.eq(type(blob), "string")
	builder.new("compiled", blob)
	local s = datasheet.query("compiled")
	T.eq(#s.a, 3)
	T.eq(s.b, "x")
end)

T.case("errors", function()
	T.expect_error("create data first")
	T.raises("create data first", datasheet.query, "never_built")
	T.raises("already exists", builder.new, "compiled", {})
	T.raises("was not created", builder.update, "other", {})
	T.raises("not a compiled sheet", builder.new, "bad", "not a blob")
end)

T.run()
