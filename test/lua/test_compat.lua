-- test_compat: skynet's pre-1.0 module names (lualib/compat10/, on the
-- lua_path the way skynet's own configs add it) give the very module table of
-- their skynet.* names, for every module that exists here.
-- config: lua_path = $ROOT/lualib/?.lua;$ROOT/lualib/compat10/?.lua;$ROOT/lualib/?/init.lua;$ROOT/test/lua/?.lua
local skynet = require "skynet"
local T = require "testlib"

local NAMES = {
	cluster = "skynet.cluster", crypt = "skynet.crypt", datacenter = "skynet.datacenter",
	debugchannel = "skynet.debugchannel", dns = "skynet.dns", memory = "skynet.memory",
	mongo = "skynet.db.mongo", mqueue = "skynet.mqueue", multicast = "skynet.multicast",
	mysql = "skynet.db.mysql", netpack = "skynet.netpack", profile = "skynet.profile",
	redis = "skynet.db.redis", sharedata = "skynet.sharedata", sharemap = "skynet.sharemap",
	snax = "skynet.snax", socket = "skynet.socket", socketchannel = "skynet.socketchannel",
	socketdriver = "skynet.socketdriver", stm = "skynet.stm",
}

local function exists(modname)
	for _, searcher in ipairs(package.searchers) do
		if type(searcher(modname)) == "function" then
			return true
		end
	end
	return false
end

T.case("every compat10 name is shipped", function()
	for name in pairs(NAMES) do
		T.ok(package.searchpath(name, package.path), "lualib/compat10/" .. name .. ".lua")
	end
end)

T.case("a compat10 name is the same table as its skynet module", function()
	local checked = 0
	for name, target in pairs(NAMES) do
		if exists(target) then
			T.ok(rawequal(require(name), require(target)), name .. " is " .. target)
			checked = checked + 1
		end
	end
	skynet.error(string.format("compat10: %d names resolve to existing modules", checked))
	T.ok(checked >= 8, "core modules present: " .. checked)
end)

T.run()
