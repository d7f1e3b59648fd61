-- test_fidelity_main: the runtime's service/ folder comes first in every
-- skynet config's luaservice, so it must not ship a service under a name a
-- game uses: a game's `main` (the default `start`) is found in the game's
-- own folder, not shadowed by ours.
local skynet = require "skynet"
local T = require "testlib"

T.case("the default start service `main` resolves to the game's file", function()
	local path = skynet.getenv "luaservice"
	local found = package.searchpath("main", path)
	T.ok(found, "no main.lua on luaservice")
	T.ok(string.find(found, "/examples/main.lua", 1, true), "main resolves to " .. tostring(found))
end)

T.case("the runtime's service folder holds no game-named service", function()
	local first = string.match(skynet.getenv "luaservice", "^([^;]*)")
	for _, name in ipairs { "main", "agent", "watchdog", "game", "login", "client" } do
		local file = string.gsub(first, "%?", name)
		local f = io.open(file)
		if f then
			f:close()
		end
		T.ok(f == nil, "the runtime ships " .. file)
	end
end)

T.run()
