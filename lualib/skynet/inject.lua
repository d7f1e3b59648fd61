-- skynet.inject: run a piece of Lua code inside a live service (debug RUN).
-- The code sees the service's globals; print() output is collected and
-- returned instead of going to stdout.
return function(skynet, source, filename, args, internal)
	local output = {}
	local function print(...)
		local n = select("#", ...)
		local parts = {}
		for i = 1, n do
			parts[i] = tostring((select(i, ...)))
		end
		output[#output + 1] = table.concat(parts, "\t")
	end
	local env = setmetatable({ print = print, skynet = skynet, internal = internal }, { __index = _ENV })
	local f, err = load(source, "@" .. tostring(filename), "t", env)
	if not f then
		return false, { err }
	end
	local ok, e = xpcall(f, debug.traceback, table.unpack(args, 1, args.n))
	if not ok then
		output[#output + 1] = tostring(e)
	end
	return ok, output
end
