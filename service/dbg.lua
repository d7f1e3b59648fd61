-- dbg: sends its arguments to .launcher as one lua command (LIST, STAT, MEM,
-- GC, KILL :addr ...), prints the answer on stdout sorted by key, one
-- "key<TAB>value" line each (a table value as sorted "k:v" pairs), and
-- exits. skynet's service of that name: `skynet.newservice("dbg", "LIST")`.
local skynet = require "skynet"

local args = table.pack(...)

local function sorted_keys(t)
	local keys = {}
	for k in pairs(t) do
		keys[#keys + 1] = k
	end
	table.sort(keys, function(a, b)
		return tostring(a) < tostring(b)
	end)
	return keys
end

local function show(value)
	if type(value) ~= "table" then
		return tostring(value)
	end
	local parts = {}
	for _, k in ipairs(sorted_keys(value)) do
		parts[#parts + 1] = string.format("%s:%s", k, tostring(value[k]))
	end
	return table.concat(parts, "\t")
end

skynet.start(function()
	local answer = skynet.call(".launcher", "lua", table.unpack(args, 1, args.n))
	if type(answer) == "table" then
		for _, k in ipairs(sorted_keys(answer)) do
			print(k, show(answer[k]))
		end
	end
	skynet.exit()
end)
