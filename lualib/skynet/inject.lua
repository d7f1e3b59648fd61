-- skynet.inject: run a piece of Lua code inside a live service (debug RUN).
-- The code sees the service's globals plus print (its output is collected
-- and returned instead of going to stdout), skynet, internal (the
-- scheduler's tables), and, as in skynet, _U and _P: _U holds every table
-- among the upvalues of the given functions (the dispatcher, and the
-- functions they reach), _P[protocol name] the tables among the upvalues of
-- that protocol's dispatch function, so a live patch can reach them.

-- Adds the tables among func's upvalues (and, through functions, theirs) to u.
local function collect_upvalues(u, func, seen)
	local i = 1
	while true do
		local name, value = debug.getupvalue(func, i)
		if name == nil then
			return
		end
		local t = type(value)
		if t == "table" then
			if u[name] == nil then
				u[name] = value
			end
		elseif t == "function" and not seen[value] then
			seen[value] = true
			collect_upvalues(u, value, seen)
		end
		i = i + 1
	end
end

return function(skynet, source, filename, args, internal, ...)
	local output = {}
	local function print(...)
		local n = select("#", ...)
		local parts = {}
		for i = 1, n do
			parts[i] = tostring((select(i, ...)))
		end
		output[#output + 1] = table.concat(parts, "\t")
	end
	local u, seen = {}, {}
	for i = 1, select("#", ...) do
		local f = select(i, ...)
		if type(f) == "function" then
			collect_upvalues(u, f, seen)
		end
	end
	local p = {}
	local proto = u.proto
	if type(proto) == "table" then
		for _, class in pairs(proto) do
			local name, dispatch = class.name, class.dispatch
			if type(name) == "string" and type(dispatch) == "function" and p[name] == nil then
				local pp = {}
				p[name] = pp
				collect_upvalues(pp, dispatch, seen)
			end
		end
	end
	local env = setmetatable({ print = print, skynet = skynet, internal = internal, _U = u, _P = p },
		{ __index = _ENV })
	local f, err = load(source, filename and ("@" .. tostring(filename)) or "=(load)", "t", env)
	if not f then
		return false, { err }
	end
	local ok, e = xpcall(f, debug.traceback, table.unpack(args, 1, args.n))
	if not ok then
		output[#output + 1] = tostring(e)
	end
	return ok, output
end
