-- sharedatad: owns the current version of every skynet.sharedata table (a box
-- of skynet.sharedata.core). query hands out a pointer carrying one
-- reference; an update links the old version to the new one, so readers move
-- on by themselves; a version is freed when its last reader lets it go.
local skynet = require "skynet"
local core = require "skynet.sharedata.core"

local pool = {} -- name -> box

local function load_value(name, v, ...)
	local tv = type(v)
	if tv == "table" then
		return v
	elseif tv == "nil" then
		return {}
	elseif tv ~= "string" then
		error("sharedata: unknown data type " .. tv)
	end
	local env = setmetatable({}, { __index = _ENV })
	local f, err
	if v:sub(1, 1) == "@" then
		f, err = loadfile(v:sub(2), "bt", env)
	else
		f, err = load(v, "=" .. name, "bt", env)
	end
	if not f then
		error("sharedata: " .. err)
	end
	local ret = f(...)
	setmetatable(env, nil)
	if type(ret) == "table" then
		return ret
	end
	return env
end

local CMD = {}

function CMD.new(name, v, ...)
	if pool[name] then
		error("sharedata: " .. tostring(name) .. " already exists")
	end
	pool[name] = core.new(load_value(name, v, ...))
end

function CMD.update(name, v, ...)
	local new = core.new(load_value(name, v, ...))
	local old = pool[name]
	pool[name] = new
	if old then
		core.link(old, new)
		core.release(old)
	end
end

function CMD.delete(name)
	local old = pool[name]
	if old == nil then
		error("sharedata: " .. tostring(name) .. " doesn't exist")
	end
	pool[name] = nil
	core.link(old, nil)
	core.release(old)
end

function CMD.query(name)
	local box = pool[name]
	if box == nil then
		error("sharedata: " .. tostring(name) .. " doesn't exist")
	end
	return core.share(box)
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		local f = CMD[cmd]
		if f == nil then
			error("sharedatad: unknown command " .. tostring(cmd))
		end
		local ptr = f(...)
		if not skynet.retpack(ptr) and cmd == "query" then
			-- The reader is gone: nobody adopts the reference it was given.
			core.release(core.adopt(ptr))
		end
	end)
	skynet.info_func(function()
		local info = { live = core.live() }
		for name, box in pairs(pool) do
			info[name] = core.size(box)
		end
		return info
	end)
end)
