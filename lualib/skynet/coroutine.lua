-- skynet.coroutine: coroutines that may call skynet.call/sleep/wait inside.
-- A skynet suspension inside such a coroutine is passed up through the
-- coroutine that resumed it (so the scheduler sees the service's own thread)
-- and passed back down when the answer arrives; only skynet.coroutine.yield
-- returns to the resumer.
--   thread(co): for a skynet coroutine, the service thread at the root of the
--   chain that resumed it, and false; for any other coroutine, itself and true.
local coroutine = coroutine
local co_resume, co_yield, co_status = coroutine.resume, coroutine.yield, coroutine.status
local co_running, co_close = coroutine.running, coroutine.close
local select = select

local M = {}
-- coroutine -> true (a skynet coroutine), false (suspended by the framework
-- inside it: not resumable by the user), nil (not ours, or finished)
local ours = setmetatable({}, { __mode = "k" })
-- coroutine -> the service thread at the root of its resume chain
local caller = setmetatable({}, { __mode = "kv" })

M.isyieldable = coroutine.isyieldable
M.running = coroutine.running

function M.create(f)
	local co = coroutine.create(f)
	ours[co] = true
	return co
end

local function unlock(co, ...)
	ours[co] = true
	return ...
end

-- The coroutine blocked in the framework: yield its request up, and hand
-- the answer back down when it comes.
local function pass_up(co, ...)
	ours[co] = false
	return unlock(co, co_resume(co, co_yield(...)))
end

local function pass(co, ok, ...)
	if not ok then
		return false, ...
	end
	if co_status(co) == "dead" then
		ours[co] = nil
		return true, ...
	end
	if (...) == "USER" then
		return true, select(2, ...)
	end
	return pass(co, pass_up(co, ...))
end

function M.resume(co, ...)
	local state = ours[co]
	if not state then
		if state == false then
			return false, "cannot resume a skynet coroutine suspend by skynet framework"
		end
		if co_status(co) == "dead" then
			return co_resume(co, ...) -- false, "cannot resume dead coroutine"
		end
		return false, "cannot resume none skynet coroutine"
	end
	local from = co_running()
	caller[co] = caller[from] or from
	return pass(co, co_resume(co, ...))
end

function M.yield(...)
	return co_yield("USER", ...)
end

function M.status(co)
	local status = co_status(co)
	if status == "suspended" and ours[co] == false then
		return "blocked"
	end
	return status
end

function M.thread(co)
	co = co or co_running()
	if ours[co] ~= nil then
		return caller[co], false
	end
	return co, true
end

function M.wrap(f)
	local co = M.create(f)
	return function(...)
		local r = table.pack(M.resume(co, ...))
		if not r[1] then
			error(r[2], 2)
		end
		return table.unpack(r, 2, r.n)
	end
end

function M.close(co)
	ours[co] = nil
	return co_close(co)
end

return M
