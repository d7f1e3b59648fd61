-- snaxd: the host of one snax service (launched as `snaxd NAME`). It loads
-- NAME from the `snax` path into its own globals (snax.interface), then
-- answers PTYPE_SNAX messages: system init (once, first), exit (runs exit(...)
-- and ends the service), hotfix and profile; accept methods get no answer,
-- response methods answer with their results. Each method's count and time
-- are kept for snax.profile_info and the debug INFO command.
local skynet = require "skynet"
local snax_interface = require "snax.interface"
local profile = require "skynet.profile"
local snax = require "skynet.snax"

local snax_name = tostring(...)
local loader
do
	local loaderpath = skynet.getenv "snax_loader"
	loader = loaderpath and assert(dofile(loaderpath))
end
local func, pattern = snax_interface(snax_name, _ENV, loader)

-- A snax service may keep its modules in a folder named after it.
local snax_path = pattern:sub(1, pattern:find("?", 1, true) - 1) .. snax_name .. "/"
package.path = snax_path .. "?.lua;" .. package.path

SERVICE_NAME = snax_name
SERVICE_PATH = snax_path

local profile_table = {}

local function snaxd_count(name, ti)
	local t = profile_table[name]
	if t == nil then
		t = { count = 0, time = 0 }
		profile_table[name] = t
	end
	t.count = t.count + 1
	t.time = t.time + ti
end

local function snaxd_answer(f, ...)
	return skynet.ret(skynet.pack(f(...)))
end

local function snaxd_run(method, ...)
	local ok, err
	profile.start()
	if method[2] == "accept" then
		ok, err = xpcall(method[4], debug.traceback, ...)
	else
		ok, err = xpcall(snaxd_answer, debug.traceback, method[4], ...)
	end
	snaxd_count(method[3], profile.stop())
	-- raised again so the dispatcher logs it and a caller gets its error
	assert(ok, err)
end

local function nothing() end

skynet.start(function()
	local init = false
	local function dispatch(_, _, id, ...)
		local method = func[id]
		if method == nil then
			error(string.format("snax %s: unknown method id %s", snax_name, tostring(id)))
		end
		if method[2] ~= "system" then
			assert(init, "Init first")
			return snaxd_run(method, ...)
		end
		local command = method[3]
		if command == "hotfix" then
			local hotfix = require "snax.hotfix"
			skynet.ret(skynet.pack(hotfix(func, ...)))
		elseif command == "profile" then
			skynet.ret(skynet.pack(profile_table))
		elseif command == "init" then
			assert(not init, "Already init")
			;(method[4] or nothing)(...)
			skynet.ret()
			skynet.info_func(function()
				return profile_table
			end)
			init = true
		else
			assert(init, "Never init")
			assert(command == "exit")
			;(method[4] or nothing)(...)
			skynet.ret()
			init = false
			skynet.exit()
		end
	end
	skynet.dispatch("snax", dispatch)

	-- For snax services reached through cluster (lua protocol messages).
	function snax.enablecluster()
		skynet.dispatch("lua", dispatch)
	end
end)
