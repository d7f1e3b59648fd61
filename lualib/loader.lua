-- loader.lua: the first Lua code a service runs (config key `lualoader`).
-- It receives the launch arguments ("name arg1 arg2 ..."), finds the service
-- file through LUA_SERVICE, sets up package paths, runs `preload`, then the
-- service file with the remaining arguments.
local args = {}
for word in string.gmatch(..., "%S+") do
	args[#args + 1] = word
end

SERVICE_NAME = args[1]
if not SERVICE_NAME then
	error("no service name given to snlua")
end

package.path = LUA_PATH
package.cpath = LUA_CPATH

local codecache = require "skynet.codecache"
local profile = require "skynet.profile"
coroutine.resume = profile.resume
coroutine.wrap = profile.wrap

local main, pattern
local tried = {}
for pat in string.gmatch(LUA_SERVICE, "([^;]+);*") do
	local filename = string.gsub(pat, "?", SERVICE_NAME)
	local f, msg = codecache.loadfile(filename)
	if f then
		pattern = pat
		main = f
		break
	end
	-- A file that exists but does not compile is the real error: report it.
	if not string.find(msg, "cannot open", 1, true) then
		error(msg)
	end
	tried[#tried + 1] = "\n\tno file '" .. filename .. "'"
end
if not main then
	error("service '" .. SERVICE_NAME .. "' not found:" .. table.concat(tried))
end

LUA_SERVICE, LUA_PATH, LUA_CPATH = nil, nil, nil

-- A service in its own folder (service/NAME/init.lua style) may require its
-- siblings: put that folder in front of package.path.
local service_path = string.match(pattern, "(.*/)[^/?]+$")
if service_path then
	service_path = string.gsub(service_path, "?", SERVICE_NAME)
	if service_path ~= "./" and not string.find(pattern, "/?.lua", 1, true) then
		package.path = service_path .. "?.lua;" .. package.path
	end
	SERVICE_PATH = service_path
else
	-- "dir/?.lua": the folder the service file was found in, as skynet sets it
	SERVICE_PATH = string.match(pattern, "(.*/).+$")
end

if LUA_PRELOAD then
	local f = assert(codecache.loadfile(LUA_PRELOAD))
	f(table.unpack(args))
	LUA_PRELOAD = nil
end

-- skynet.require: a require from a coroutine goes through
-- lualib/skynet/require.lua (loaded then), so a module's skynet.init functions
-- may block and run before require returns (the rule is in snlua_cache.c's
-- hook_require: a C closure, so an idle service pays no Lua heap for it).
require = codecache.hook_require(require)

main(select(2, table.unpack(args)))
