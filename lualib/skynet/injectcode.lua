-- skynet.injectcode: runs Lua source as if it were written inside a live
-- function: injectcode(source, co, level, ext_funcs) compiles source as the
-- body of a function whose upvalues are the locals and upvalues of the
-- function running at `level` of coroutine co (default: the current one;
-- level 0 is injectcode's caller), plus the names in ext_funcs. Upvalues are
-- shared (assigning one changes the live variable), locals are copied in and,
-- if the code ran without error, copied back; the frame's varargs are the
-- code's `...`. Returns true + the code's results, or false + the error.

-- Frames between a helper below and injectcode's caller when co is running:
-- helper (1), injectcode (2), caller (3).
local HELPER_DEPTH = 3

local function injectcode_level(co, level)
	if co == coroutine.running() then
		return level + HELPER_DEPTH
	end
	return level
end

local TEMPLATE = "local %s\nreturn function(...)\n%s\nend, function()\nreturn {%s}\nend"

-- Compiles the code with the frame's names bound; returns func, update
-- (update() -> { [local index] = value } after a run), varargs table.
local function injectcode_prepare(co, source, level, ext_funcs)
	level = injectcode_level(co, level)
	local info = debug.getinfo(co, level, "f")
	if info == nil or info.func == nil then
		return nil, "Invalid level"
	end
	local f = info.func
	local names, locals, local_value, upvalue_index = {}, {}, {}, {}
	if ext_funcs then
		for name in pairs(ext_funcs) do
			names[#names + 1] = name
		end
	end
	local i = 1
	while true do
		local name, value = debug.getlocal(co, level, i)
		if name == nil then
			break
		end
		if name:byte() ~= 40 then -- "(": a temporary, not a variable
			names[#names + 1] = name
			locals[#locals + 1] = string.format("[%d]=%s,", i, name)
			local_value[name] = { value }
		end
		i = i + 1
	end
	i = 1
	while true do
		local name = debug.getupvalue(f, i)
		if name == nil then
			break
		end
		upvalue_index[name] = i
		names[#names + 1] = name
		i = i + 1
	end
	if #names == 0 then
		names[1] = "_"
	end
	local text = string.format(TEMPLATE, table.concat(names, ","), source, table.concat(locals))
	local chunk, err = load(text, "=(debug)")
	if chunk == nil then
		return nil, err
	end
	local func, update = chunk()
	i = 1
	while true do
		local name = debug.getupvalue(func, i)
		if name == nil then
			break
		end
		if ext_funcs and ext_funcs[name] ~= nil then
			debug.setupvalue(func, i, ext_funcs[name])
		end
		local lv = local_value[name]
		if lv then
			debug.setupvalue(func, i, lv[1])
		end
		local ui = upvalue_index[name]
		if ui then
			debug.upvaluejoin(func, i, f, ui)
		end
		i = i + 1
	end
	local varargs = { n = 0 }
	i = 1
	while true do
		local name, value = debug.getlocal(co, level, -i)
		if name == nil then
			break
		end
		varargs[i] = value
		varargs.n = i
		i = i + 1
	end
	return func, update, varargs
end

local function injectcode_run(co, level, func, update, varargs)
	level = injectcode_level(co, level)
	local rets = table.pack(pcall(func, table.unpack(varargs, 1, varargs.n)))
	if not rets[1] then
		return false, rets[2]
	end
	for index, value in pairs(update()) do
		debug.setlocal(co, level, index, value)
	end
	return table.unpack(rets, 1, rets.n)
end

return function(source, co, level, ext_funcs)
	co = co or coroutine.running()
	level = level or 0
	local func, update, varargs = injectcode_prepare(co, source, level, ext_funcs)
	if func == nil then
		return false, update
	end
	local rets = table.pack(injectcode_run(co, level, func, update, varargs))
	return table.unpack(rets, 1, rets.n)
end
