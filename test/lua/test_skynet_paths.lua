-- test_skynet_paths: a node with skynet's usual lua_cpath (only luaclib/, as
-- skynet's examples/config.path has it) still finds what skynet ships there:
-- lpeg (for sprotoparser), sproto, md5, bson, the skynet.* C modules.
-- config: lua_cpath = $OUT/luaclib/?.so
local skynet = require "skynet"
local T = require "testlib"

T.case("lua_cpath is luaclib/ only", function()
	T.eq(package.cpath, os.getenv("OUT") .. "/luaclib/?.so", "package.cpath")
end)

T.case("lpeg and sprotoparser load from luaclib/", function()
	local lpeg = require "lpeg"
	T.ok(lpeg.match(lpeg.P "sky", "skynet"), "lpeg matches")
	local parser = require "sprotoparser"
	local bin = parser.parse [[
.Person {
	name 0 : string
}
]]
	T.ok(type(bin) == "string" and #bin > 0, "schema compiled")
	local sproto = require "sproto"
	local sp = sproto.new(bin)
	T.eq(sp:decode("Person", sp:encode("Person", { name = "alice" })).name, "alice")
end)

T.case("the other C modules skynet ships load from luaclib/", function()
	for _, name in ipairs { "md5", "bson", "skynet.crypt", "skynet.socketdriver", "skynet.netpack", "skynet.memory", "skynet.profile" } do
		T.ok(pcall(require, name), name)
	end
end)

T.run()
