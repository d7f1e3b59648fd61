-- snax.hotfix: replaces methods of a live snax service with those of a patch
-- (Lua source in the snax file format). A patch function's upvalue that is
-- still nil after the patch's main chunk ran (a bare `local i`), and its
-- _ENV, are joined by name to the upvalue of the same name that the
-- service's current methods share, so state such as counters survives the
-- patch. The patch's own `hotfix(...)` function, if any, runs last with the
-- arguments and its results are returned. Returns pcall's results.
local interface = require "snax.interface"

-- The patch runs with this empty table as its globals: its _ENV upvalues are
-- recognised by identity and joined to the service's real environment.
local patch_env = {}

local function hotfix_envid(f)
	local i = 1
	while true do
		local name = debug.getupvalue(f, i)
		if name == nil then
			return nil
		end
		if name == "_ENV" then
			return debug.upvalueid(f, i)
		end
		i = i + 1
	end
end

-- Every upvalue reachable from f (through functions sharing f's _ENV, i.e.
-- defined in the same file) by name; two different variables of one name
-- make the patch ambiguous.
local function hotfix_collect(f, uv, env)
	local i = 1
	while true do
		local name, value = debug.getupvalue(f, i)
		if name == nil then
			return
		end
		local id = debug.upvalueid(f, i)
		local known = uv[name]
		if known then
			assert(known.id == id, string.format("ambiguity local value %s", name))
		else
			uv[name] = { func = f, index = i, id = id }
			if type(value) == "function" and hotfix_envid(value) == env then
				hotfix_collect(value, uv, env)
			end
		end
		i = i + 1
	end
end

local function hotfix_upvalues(funcs)
	local uv = {}
	for _, desc in pairs(funcs) do
		local f = desc[4]
		if f then
			hotfix_collect(f, uv, hotfix_envid(f))
		end
	end
	return uv
end

local function hotfix_find(funcs, group, name)
	for _, desc in pairs(funcs) do
		if desc[2] == group and desc[3] == name then
			return desc
		end
	end
end

local function hotfix_replace(funcs, uv, group, name, f)
	local desc = assert(hotfix_find(funcs, group, name), string.format("Patch mismatch %s.%s", group, name))
	local i = 1
	while true do
		local uvname, value = debug.getupvalue(f, i)
		if uvname == nil then
			break
		end
		if value == nil or value == patch_env then
			local old = uv[uvname]
			if old then
				debug.upvaluejoin(f, i, old.func, old.index)
			end
		end
		i = i + 1
	end
	desc[4] = f
end

local function hotfix_apply(funcs, source, ...)
	local function from_source(_, name)
		return load(source, "=patch", "bt", patch_env), name
	end
	local patch = interface("patch", patch_env, from_source)
	-- Collected before anything is replaced: the names refer to the old code.
	local uv = hotfix_upvalues(funcs)
	for _, desc in ipairs(patch) do
		local f = desc[4]
		if f then
			hotfix_replace(funcs, uv, desc[2], desc[3], f)
		end
	end
	-- whatever globals the patch defined stay in patch_env, not the service
	for k in pairs(patch_env) do
		patch_env[k] = nil
	end
	local hf = hotfix_find(patch, "system", "hotfix")
	if hf and hf[4] then
		return hf[4](...)
	end
end

return function(funcs, source, ...)
	return pcall(hotfix_apply, funcs, source, ...)
end
