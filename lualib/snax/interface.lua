-- snax.interface: loads a snax service file and numbers its methods.
-- interface(name, G, loader) runs the file found on the `snax` config path
-- with G as its globals and returns (funcs, pattern): funcs is a list of
-- { id, group, name, f } where group is "system" (ids 1..4: init, exit,
-- hotfix, profile), "accept" or "response" (ids from 5, in the order the file
-- defines them). Both ends of a snax service load the same file, so the ids
-- agree without any message. loader(path, name, G) -> f, pattern replaces the
-- file lookup (snaxd's `snax_loader`, hotfix's source patch).
local skynet = require "skynet"

local SYSTEM = { "init", "exit", "hotfix", "profile" }

local function interface_find(path, name, G)
	local errors = {}
	for pat in string.gmatch(path, "[^;]+") do
		local filename = string.gsub(pat, "?", name)
		local f, err = loadfile(filename, "bt", G)
		if f then
			return f, pat
		end
		errors[#errors + 1] = err
	end
	error(table.concat(errors, "\n"))
end

-- A write-only table: each `group.NAME = f` appends one method to funcs.
local function interface_group(funcs, group)
	local seen = {}
	return setmetatable({}, {
		__newindex = function(_, name, f)
			if type(name) ~= "string" then
				error(string.format("%s method only support string", group))
			end
			if type(f) ~= "function" then
				error(string.format("%s.%s must be function", group, name))
			end
			if seen[name] then
				error(string.format("%s.%s duplicate definition", group, name))
			end
			seen[name] = true
			funcs[#funcs + 1] = { #funcs + 1, group, name, f }
		end,
	})
end

return function(name, G, loader)
	assert(getmetatable(G) == nil)
	assert(G.init == nil)
	assert(G.exit == nil)
	assert(G.accept == nil)
	assert(G.response == nil)

	local funcs = {}
	local system_id = {}
	for id, sname in ipairs(SYSTEM) do
		system_id[sname] = id
		funcs[id] = { id, "system", sname }
	end

	-- While the file runs, its new globals are held apart: a system name
	-- (init, exit...) becomes that method, anything else lands in G after.
	local pending = {}
	local env = setmetatable({
		accept = interface_group(funcs, "accept"),
		response = interface_group(funcs, "response"),
	}, { __index = pending })

	local function define(_, key, value)
		local id = system_id[key]
		if id == nil then
			pending[key] = value
			return
		end
		if type(value) ~= "function" then
			error(string.format("%s must be a function", key))
		end
		funcs[id][4] = value
	end

	local path = assert(skynet.getenv "snax", "please set snax in config file")
	local main, pattern = (loader or interface_find)(path, name, G)
	if main == nil then
		error(pattern) -- a loader in load()'s style: nil, message
	end

	setmetatable(G, { __index = env, __newindex = define })
	local ok, err = xpcall(main, debug.traceback)
	setmetatable(G, nil)
	assert(ok, err)

	for k, v in pairs(pending) do
		G[k] = v
	end
	return funcs, pattern
end
