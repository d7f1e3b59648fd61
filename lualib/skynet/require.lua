-- skynet.require: skynet's two-step module loading. Requiring a module from
-- a coroutine (a message handler, a fork) runs the module's main chunk, then
-- the functions it registered with skynet.init, before require returns; a
-- second coroutine requiring the same module meanwhile waits for that load
-- instead of failing. Required from the service's main chunk, a module's
-- skynet.init functions run just before the start function, as skynet.lua
-- already does. lualib/loader.lua sends `require` from coroutines here; this
-- file is loaded on the first such require, so services that never do that
-- pay nothing.
local skynet = require "skynet"

local M = {}

local loaded = package.loaded
local context = {} -- coroutine -> skynet.init functions of the module it loads
local loading = {} -- module name -> { owner = co, waiting coroutines... }

-- Lua's own require algorithm over package.searchers: a module's loader and
-- the extra value handed to it, or an error listing every place tried.
local function require_find(name)
	local tried = {}
	for _, searcher in ipairs(package.searchers) do
		local f, extra = searcher(name)
		if type(f) == "function" then
			return f, extra
		end
		if type(f) == "string" then
			tried[#tried + 1] = f
		end
	end
	error(string.format("module '%s' not found:%s", name, table.concat(tried)), 3)
end

local function require_wait(name, queue, co)
	if queue.owner == co then
		error(string.format("loop or previous error loading module '%s'", name), 3)
	end
	queue[#queue + 1] = co
	skynet.wait(co)
	local m = loaded[name]
	if m == nil then
		error(string.format("require %s failed", name), 3)
	end
	return m
end

function M.require(name)
	local m = loaded[name]
	if m ~= nil then
		return m
	end
	local co, main = coroutine.running()
	if main then
		-- skynet.lua defers this module's init functions to the start
		local modfunc, extra = require_find(name)
		local r = modfunc(name, extra)
		if r ~= nil then
			loaded[name] = r
		elseif loaded[name] == nil then
			loaded[name] = true
		end
		return loaded[name], extra
	end
	local queue = loading[name]
	if queue then
		return require_wait(name, queue, co)
	end
	local modfunc, extra = require_find(name)
	queue = { owner = co }
	loading[name] = queue

	local outer = context[co]
	local inits = {}
	context[co] = inits
	local function run()
		local r = modfunc(name, extra)
		-- the module's own init functions run before anyone sees it
		for _, f in ipairs(inits) do
			f()
		end
		if r == nil then
			r = loaded[name]
			if r == nil then
				r = true
			end
		end
		loaded[name] = r
	end
	local ok, err = xpcall(run, debug.traceback)
	context[co] = outer
	loading[name] = nil
	for i = 1, #queue do
		skynet.wakeup(queue[i])
	end
	if not ok then
		error(err, 0)
	end
	return loaded[name], extra
end

-- skynet.init(f): inside a coroutine's require, f joins that module's init
-- list; elsewhere skynet.lua's own rule holds (before start: deferred).
do
	local base_init = skynet.init
	function M.init(f, name)
		local inits = context[coroutine.running()]
		if inits == nil then
			return base_init(f, name)
		end
		assert(type(f) == "function", "skynet.init needs a function")
		inits[#inits + 1] = f
	end
	skynet.init = M.init
end

return M
