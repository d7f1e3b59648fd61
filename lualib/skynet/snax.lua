-- skynet.snax: the client side of snax services (service/snaxd.lua). A snax
-- service is a file on the `snax` config path defining `accept.NAME` (a send,
-- no answer: obj.post.NAME(...)), `response.NAME` (a call: obj.req.NAME(...))
-- and optionally init/exit/hotfix. Messages travel as PTYPE_SNAX (11) with the
-- method's id first; ids come from loading the same file here
-- (snax.interface), with the globals of the module named by the
-- `snax_interface_g` config key, or an empty table.
local skynet = require "skynet"
local snax_interface = require "snax.interface"

local snax = {}
local typeclass = {}

local G
do
	local gname = skynet.getenv "snax_interface_g"
	G = gname and require(gname) or { require = function() end }
end

skynet.register_protocol {
	name = "snax",
	id = skynet.PTYPE_SNAX,
	pack = skynet.pack,
	unpack = skynet.unpack,
}

local skynet_send = skynet.send
local skynet_call = skynet.call

local function snax_method_table(kind, t, handle)
	local group = kind == "post" and "accept" or "response"
	local what = kind == "post" and "post" or "request"
	return setmetatable({}, {
		__index = function(methods, name)
			local id = t[group][name]
			if not id then
				error(string.format("%s %s:%s no exist", what, t.name, name))
			end
			local f
			if kind == "post" then
				f = function(...)
					skynet_send(handle, "snax", id, ...)
				end
			else
				f = function(...)
					return skynet_call(handle, "snax", id, ...)
				end
			end
			-- made once per method and object: later uses skip this lookup
			methods[name] = f
			return f
		end,
	})
end

local object_meta = {
	__tostring = function(obj)
		return string.format("[%s:%x]", obj.type, obj.handle)
	end,
}

-- One object per handle while someone holds it.
local handle_cache = setmetatable({}, { __mode = "kv" })

local function snax_result(ok, ...)
	if not ok then
		error(...)
	end
	return ...
end

-- snax.interface(name): { name, accept = {NAME=id}, response = {...},
-- system = {init=1, exit=2, hotfix=3, profile=4} }, loaded once per service.
function snax.interface(name)
	local t = typeclass[name]
	if t then
		return t
	end
	t = { name = name, accept = {}, response = {}, system = {} }
	for _, desc in ipairs(snax_interface(name, G)) do
		local id, group, mname = desc[1], desc[2], desc[3]
		t[group][mname] = id
	end
	typeclass[name] = t
	return t
end

-- A new snaxd running NAME, its init(...) done; returns the handle.
function snax.rawnewservice(name, ...)
	local t = snax.interface(name)
	local handle = skynet.newservice("snaxd", name)
	assert(handle_cache[handle] == nil)
	if t.system.init then
		skynet_call(handle, "snax", t.system.init, ...)
	end
	return handle
end

function snax.bind(handle, type)
	local obj = handle_cache[handle]
	if obj then
		assert(obj.type == type)
		return obj
	end
	local t = snax.interface(type)
	obj = setmetatable({
		post = snax_method_table("post", t, handle),
		req = snax_method_table("req", t, handle),
		type = type,
		handle = handle,
	}, object_meta)
	handle_cache[handle] = obj
	return obj
end

function snax.newservice(name, ...)
	return snax.bind(snax.rawnewservice(name, ...), name)
end

local function snax_service_mgr(cmd, name, ...)
	local handle = assert(skynet_call(".service", "lua", cmd, "snaxd", name, ...))
	return snax.bind(handle, name)
end

function snax.uniqueservice(name, ...)
	return snax_service_mgr("LAUNCH", name, ...)
end

function snax.globalservice(name, ...)
	return snax_service_mgr("GLAUNCH", name, ...)
end

function snax.queryservice(name)
	return snax_service_mgr("QUERY", name)
end

function snax.queryglobal(name)
	return snax_service_mgr("GQUERY", name)
end

-- Runs the service's exit(...) and ends it; returns when it is done.
function snax.kill(obj, ...)
	local t = snax.interface(obj.type)
	skynet_call(obj.handle, "snax", t.system.exit, ...)
end

function snax.self()
	return snax.bind(skynet.self(), SERVICE_NAME)
end

function snax.exit(...)
	snax.kill(snax.self(), ...)
end

-- Patches obj's methods from source (see snax.hotfix); returns what the
-- patch's hotfix(...) returned, or raises the patch's error.
function snax.hotfix(obj, source, ...)
	local t = snax.interface(obj.type)
	return snax_result(skynet_call(obj.handle, "snax", t.system.hotfix, source, ...))
end

function snax.printf(fmt, ...)
	skynet.error(string.format(fmt, ...))
end

-- { METHOD = { count, time } } of the service's handled messages.
function snax.profile_info(obj)
	local t = snax.interface(obj.type)
	return skynet_call(obj.handle, "snax", t.system.profile)
end

return snax
