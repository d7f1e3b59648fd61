-- t_luaconfig: the start service of test/boot/config_lua.sh, booted on a
-- skynet-style Lua config; checks what skynet.getenv returns for its keys.
local skynet = require "skynet"
local T = require "testlib"

local function env(key)
	return skynet.getenv(key)
end

T.case("game keys from a Lua config are strings", function()
	T.eq(env("game_greeting"), "hello, world", "local and .. concatenation")
	T.eq(env("game_max"), "100", "integer")
	T.eq(env("game_ratio"), "0.25", "float")
	T.eq(env("game_flag"), "true", "boolean true")
	T.eq(env("game_off"), "false", "boolean false")
	T.eq(env("game_home"), skynet.getenv("expect_home"), "$VAR from the environment")
end)

T.case("include and locals", function()
	T.eq(env("luaservice"), "./service/?.lua;./test/lua/?.lua", "luaservice from the included file")
	T.eq(env("from_include"), "yes", "a key set by the included file")
	T.eq(env("include"), nil, "include is not a key")
	T.eq(env("greeting"), nil, "a local is not a key")
	T.eq(env("out"), nil, "a local of the included file is not a key")
end)

T.case("node keys as skynet stores them", function()
	T.eq(env("thread"), "2", "thread")
	T.eq(env("harbor"), "0", "harbor")
	T.eq(env("profile"), "false", "profile")
	T.eq(env("daemon"), nil, "daemon = nil is unset")
	T.eq(env("start"), "t_luaconfig", "start")
end)

T.case("services load through the Lua config's paths", function()
	local addr = skynet.newservice("t_ticker")
	T.ok(addr, "newservice")
	skynet.kill(addr)
end)

T.run()
