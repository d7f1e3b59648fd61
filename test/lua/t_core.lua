-- t_core: the service the core tests (test_core_*) drive: long computations,
-- loops that only a signal ends, allocation until memory runs out.
local skynet = require "skynet"

local command = {}

function command.echo(...)
	return ...
end

-- A legitimate long computation: holds its worker for a wall-clock time.
function command.busy(seconds)
	local deadline = skynet.hpc() + seconds * 1e9
	local n = 0
	while skynet.hpc() < deadline do
		n = n + 1
	end
	return n > 0
end

function command.endless()
	return skynet.stat "endless", skynet.endless()
end

function command.loop()
	local i = 0
	while true do
		i = i + 1
	end
end

-- Catches every error, the break included: only a break that stays armed
-- until the message returns ends it.
function command.pcall_loop()
	local function f()
		local t = {}
		for i = 1, 100 do
			t[i] = i
		end
	end
	while true do
		pcall(f)
	end
end

-- A loop in C: no Lua instruction runs, no hook can break it (backtracking
-- pattern, exponential in the subject's length).
function command.c_loop()
	return string.find(string.rep("a", 60), ".-.-.-.-.-.-.-.-.-.-.-.-b")
end

-- Allocates until the allocator (or ulimit -v) refuses, then holds the
-- memory for hold seconds (the monitor reports the long message meanwhile: a
-- thread allocating with memory exhausted), then raises the memory error.
function command.hog(hold)
	local t = {}
	local ok, err = pcall(function()
		local i = 0
		while true do
			i = i + 1
			t[i] = string.rep("x", 1 << 20) .. i
		end
	end)
	assert(not ok)
	local deadline = skynet.hpc() + (hold or 0) * 1e9
	while skynet.hpc() < deadline do
	end
	t = nil
	error(err)
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		skynet.retpack(command[cmd](...))
	end)
end)
