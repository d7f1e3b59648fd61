-- sharetabled: the loaded tables of skynet.sharetable, one immutable tree
-- (skynet.sharedata.core) per file name. A query hands out a pointer carrying
-- one reference; reloading a name makes a new tree and drops this service's
-- reference to the old one, which lives on while some reader still holds it.
local skynet = require "skynet"
local core = require "skynet.sharedata.core"

local files = {} -- filename -> box

local function run(f, err, ...)
	if not f then
		error("sharetable: " .. err, 0)
	end
	local t = f(...)
	if type(t) ~= "table" then
		error("sharetable: the chunk returned " .. type(t) .. ", not a table", 0)
	end
	return t
end

local function install(filename, t)
	local box = core.new(t)
	local old = files[filename]
	files[filename] = box
	if old then
		core.release(old)
	end
end

local function sandbox()
	return setmetatable({}, { __index = _ENV })
end

local CMD = {}

function CMD.loadfile(filename, ...)
	local f, err = loadfile(filename, "bt", sandbox())
	install(filename, run(f, err, ...))
end

function CMD.loadstring(filename, source, ...)
	assert(type(source) == "string", "sharetable.loadstring needs the source text")
	local f, err = load(source, "=" .. tostring(filename), "bt", sandbox())
	install(filename, run(f, err, ...))
end

function CMD.loadtable(filename, t)
	assert(type(t) == "table", "sharetable.loadtable needs a table")
	install(filename, t)
end

function CMD.query(filename)
	local box = files[filename]
	if box then
		return core.share(box)
	end
end

function CMD.queryall(filenames)
	local r = {}
	if filenames == nil then
		for name, box in pairs(files) do
			r[name] = core.share(box)
		end
	else
		for _, name in ipairs(filenames) do
			local box = files[name]
			if box then
				r[name] = core.share(box)
			end
		end
	end
	return r
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		local f = CMD[cmd]
		if f == nil then
			error("sharetabled: unknown command " .. tostring(cmd))
		end
		skynet.retpack(f(...))
	end)
	skynet.info_func(function()
		local info = {}
		for name, box in pairs(files) do
			info[name] = { size = core.size(box) }
		end
		return info
	end)
end)
