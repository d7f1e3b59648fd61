-- skynet.remotedebug: the debugged side of the console's `debug` command.
-- start(fd, handle) runs inside the service (through debug RUN): it wraps the
-- dispatch function of every protocol but "debug"; the next message stops at
-- its first line. While stopped the service blocks in the line hook, reads
-- commands from the debugchannel the console fills, and writes its answers
-- straight to the console's socket (fd). Commands:
--   s | step      run to the next line (into calls)
--   n | next      run to the next line of this function (over calls)
--   c | cont      leave the debugger; the service runs on
--   bt            traceback of the stopped coroutine
--   p EXPR | EXPR | statement   evaluated with the frame's locals and
--                 upvalues in scope (assignments change them)
-- A message that ends while stepping leaves the debugger armed: the next one
-- stops again, until `c` or until the console goes away.
local skynet = require "skynet"
local driver = require "skynet.socketdriver"
local debugchannel = require "skynet.debugchannel"

local M = {}
local attached = false
local THIS = debug.getinfo(1, "S").source

local function frame_level(func)
	-- the innermost frame running func, as seen by our caller
	local level = 2
	while true do
		local info = debug.getinfo(level, "f")
		if info == nil then
			return nil
		end
		if info.func == func then
			return level - 1
		end
		level = level + 1
	end
end

local function stack_depth()
	local n = 2
	while debug.getinfo(n, "l") do
		n = n + 1
	end
	return n
end

-- The value of local `name` in the stopped frame: found, value, index.
-- `level` is the frame's level as seen by the caller of this function.
local function get_local(level, name)
	local found, value
	local i = 1
	while true do
		local k, v = debug.getlocal(level + 1, i)
		if k == nil then
			break
		end
		if k == name then
			found, value = i, v
		end
		i = i + 1
	end
	return found, value
end

local function upvalue_index(func, name)
	local i = 1
	while true do
		local k = debug.getupvalue(func, i)
		if k == nil then
			return nil
		end
		if k == name then
			return i
		end
		i = i + 1
	end
end

-- An environment where the stopped frame's locals and upvalues are names
-- (locals first); other names are the function's globals.
local function frame_env(func)
	local globals = _G
	local env_up = upvalue_index(func, "_ENV")
	if env_up then
		globals = select(2, debug.getupvalue(func, env_up))
	end
	return setmetatable({}, {
		__index = function(_, name)
			local level = frame_level(func)
			if level then
				local i, v = get_local(level, name)
				if i then
					return v
				end
			end
			local u = upvalue_index(func, name)
			if u then
				return select(2, debug.getupvalue(func, u))
			end
			return globals[name]
		end,
		__newindex = function(_, name, value)
			local level = frame_level(func)
			if level then
				local i = get_local(level, name)
				if i then
					debug.setlocal(level, i, value)
					return
				end
			end
			local u = upvalue_index(func, name)
			if u then
				debug.setupvalue(func, u, value)
				return
			end
			globals[name] = value
		end,
	})
end

local function pack_text(...)
	local n = select("#", ...)
	local parts = {}
	for i = 1, n do
		parts[i] = tostring((select(i, ...)))
	end
	return table.concat(parts, "\t")
end

function M.start(fd, handle)
	assert(math.tointeger(fd), "remotedebug: socket id expected")
	assert(not attached, "a debugger is already attached to this service")
	local ch = debugchannel.connect(handle)
	attached = true
	local prompt = string.format("(%s)> ", skynet.address(skynet.self()))
	local function out(text)
		driver.send(fd, text)
	end

	local originals = {} -- protocol name -> its dispatch before we wrapped it
	local busy -- the coroutine being debugged, if any
	local mode, stop_depth
	local hook

	local function detach()
		if not attached then
			return
		end
		attached = false
		for name, f in pairs(originals) do
			skynet.dispatch(name, f)
		end
		ch:close()
		ch:release()
	end

	-- the next command line; false when the console has gone
	local function read_command(co)
		while true do
			local line = ch:read(0.1)
			-- the monitor's endless-loop signal replaces a hook while we
			-- wait: ours goes back on
			debug.sethook(co, hook, "l")
			if line ~= nil then
				return line
			end
		end
	end

	local function stop(co, func)
		local info = debug.getinfo(3, "Sl")
		out(string.format("%s:%d\n", info.short_src, info.currentline or 0))
		while true do
			out(prompt)
			local line = read_command(co)
			if line == false then
				detach()
				mode = nil
				debug.sethook(co)
				return
			end
			line = line:gsub("^%s+", ""):gsub("%s+$", "")
			if line == "c" or line == "cont" then
				out("continue\n")
				detach()
				mode = nil
				debug.sethook(co)
				return
			elseif line == "s" or line == "step" then
				mode = "step"
				return
			elseif line == "n" or line == "next" then
				mode = "next"
				stop_depth = stack_depth() - 3 -- frames from the stopped one out
				return
			elseif line == "bt" then
				-- from the stopped frame out (1 = stop, 2 = the hook)
				local bt = debug.traceback(nil, 3):gsub("\n[^\n]*remotedebug%.lua[^\n]*", "")
				out(bt .. "\n")
			elseif line ~= "" then
				local expr = line:match("^p%s+(.*)$") or line
				local env = frame_env(func)
				local f = load("return " .. expr, "=(debug)", "t", env) or load(expr, "=(debug)", "t", env)
				if f == nil then
					local _, err = load(expr, "=(debug)", "t", env)
					out(tostring(err) .. "\n")
				else
					local r = table.pack(pcall(f))
					if r[1] then
						if r.n > 1 then
							out(pack_text(table.unpack(r, 2, r.n)) .. "\n")
						end
					else
						out(tostring(r[2]) .. "\n")
					end
				end
			end
		end
	end

	hook = function(_, line)
		local info = debug.getinfo(2, "Sf")
		if info.source == THIS or info.what == "C" then
			return
		end
		if mode == "next" and stack_depth() - 2 > stop_depth then
			return
		end
		local co = coroutine.running()
		stop(co, info.func, line)
	end

	local function run(orig, ...)
		local co = coroutine.running()
		busy = co
		mode = "step"
		debug.sethook(co, hook, "l")
		local r = table.pack(pcall(orig, ...))
		debug.sethook(co)
		busy = nil
		if not r[1] then
			error(r[2], 0)
		end
		return table.unpack(r, 2, r.n)
	end

	local function wrap(name, orig)
		return function(...)
			if not attached then
				return orig(...)
			end
			if ch:closed() or ch:peers() < 2 then
				detach() -- the console went away before the next message
				return orig(...)
			end
			if busy then
				return orig(...) -- one debugged coroutine at a time
			end
			return run(orig, ...)
		end
	end

	for name, p in pairs(skynet._proto or {}) do
		if type(name) == "string" and name ~= "debug" and p.dispatch then
			originals[name] = p.dispatch
		end
	end
	if next(originals) == nil then
		originals.lua = skynet.dispatch("lua")
	end
	for name, orig in pairs(originals) do
		skynet.dispatch(name, wrap(name, orig))
	end
end

return M
