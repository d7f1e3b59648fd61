-- skynet.coroutine: coroutines that may call skynet.call/sleep/wait inside.
-- A skynet suspension inside such a coroutine is passed up through the
-- coroutine that resumed it (so the scheduler sees the service's own thread)
-- and passed back down when the answer arrives; only skynet.coroutine.yield
-- returns to the resumer.
local coroutine = coroutine
local co_resume, co_yield, co_status = coroutine.resume, coroutine.yield, coroutine.status

local M = {}
local ours = setmetatable({}, { __mode = "k" })    -- coroutine -> its creator
local blocked = setmetatable({}, { __mode = "k" }) -- suspended inside skynet

function M.create(f)
	local co = coroutine.create(f)
	ours[co] = coroutine.running()
	return co
end

local function pass(co, ok, cmd, ...)
	if not ok then
		return false, cmd
	end
	if co_status(co) == "dead" then
		return true, cmd, ...
	end
	if cmd == "USER" then
		return true, ...
	end
	blocked[co] = true
	local answer = table.pack(co_yield(cmd, ...))
	blocked[co] = nil
	return pass(co, co_resume(co, table.unpack(answer, 1, answer.n)))
end

function M.resume(co, ...)
	if ours[co] == nil then
		error("skynet.coroutine.resume: not a skynet coroutine (use skynet.coroutine.create)", 2)
	end
	return pass(co, co_resume(co, ...))
end

function M.yield(...)
	return co_yield("USER", ...)
end

function M.status(co)
	local status = co_status(co)
	if status == "suspended" and blocked[co] then
		return "blocked"
	end
	return status
end

function M.running()
	return coroutine.running()
end

function M.isyieldable()
	return coroutine.isyieldable()
end

-- The service thread a skynet coroutine was created from.
function M.thread(co)
	co = co or coroutine.running()
	return ours[co], ours[co] ~= nil
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

M.close = coroutine.close

return M
