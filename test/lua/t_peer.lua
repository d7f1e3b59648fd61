-- t_peer: the other side of the Lua tests. Launched as
--   t_peer                 a normal peer
--   t_peer startfail       raises in its start function
--   t_peer memlimit BYTES  limits its own memory before start
--   t_peer idle            does nothing (spawn/memory tests)
--   t_peer slowstart CS    sleeps CS centiseconds in its start function
local skynet = require "skynet"

local mode, arg = ...
if mode == "memlimit" then
	skynet.memlimit(tonumber(arg))
end

local received = {}
local command = {}

function command.echo(...)
	return ...
end

function command.fail(msg)
	error(msg or "boom")
end

function command.record(i)
	received[#received + 1] = i
end

function command.received()
	return received
end

function command.later(ti, value)
	local response = skynet.response()
	skynet.fork(function()
		skynet.sleep(ti)
		response(true, value)
	end)
	return command -- answered later
end

function command.sleep(ti)
	skynet.sleep(ti)
	return "slept"
end

function command.block()
	skynet.wait()
	return "unblocked?"
end

function command.alloc(n)
	local t = {}
	for i = 1, n do
		t[i] = string.rep("x", 1024) .. i
	end
	return #t
end

function command.loop()
	local i = 0
	while true do
		i = i + 1
	end
end

-- Holds the service's worker (nothing else of this service runs) for a
-- wall-clock time.
function command.busy(seconds)
	local deadline = skynet.hpc() + seconds * 1e9
	while skynet.hpc() < deadline do
	end
end

-- Holds the worker until the file at path exists (at most max_seconds): the
-- test decides when the service may go on, whatever the machine's load.
function command.busy_until(path, max_seconds)
	local deadline = skynet.hpc() + (max_seconds or 10) * 1e9
	while skynet.hpc() < deadline do
		local f = io.open(path)
		if f then
			f:close()
			return
		end
	end
end

-- Becomes the owner of socket fd (its events now queue here, unread).
function command.adopt(fd)
	require("skynet.socketdriver").start(fd)
end

function command.exit()
	skynet.exit()
end

function command.mem()
	return collectgarbage("count")
end

skynet.start(function()
	if mode == "slowstart" then
		skynet.sleep(tonumber(arg))
	end
	if mode == "startfail" then
		error("start failed on purpose")
	end
	skynet.dispatch("lua", function(session, source, cmd, ...)
		local f = assert(command[cmd], cmd)
		local r = table.pack(f(...))
		if r[1] ~= command and session ~= 0 then
			skynet.retpack(table.unpack(r, 1, r.n))
		end
	end)
end)
