-- test_core_endless: the monitor reports a long message with skynet's line and
-- marks the service, but does not interrupt it; signal 0 (SIGNAL) breaks a
-- loop, even one that catches the break error.
-- timeout: 60
-- expect_error: signal 0
local skynet = require "skynet"
local c = require "skynet.core"
local T = require "testlib"

local function log_text()
	local f = assert(io.open(skynet.getenv "logger"))
	local text = f:read "a"
	f:close()
	return text
end

local function endless_line(service)
	return string.format("] error: A message from [ :%08x ] to [ :%08x ] maybe in an endless loop (version = ",
		skynet.self(), service)
end

-- Calls service in a fork; returns a function that waits for the result.
local function call_async(service, ...)
	local done, ok, err
	local args = table.pack(...)
	skynet.fork(function()
		ok, err = pcall(skynet.call, service, "lua", table.unpack(args, 1, args.n))
		done = true
	end)
	return function(max_seconds)
		for _ = 1, max_seconds * 10 do
			if done then
				return ok, err
			end
			skynet.sleep(10)
		end
		return nil, "still running"
	end
end

T.case("a 6 s computation finishes; reported and marked endless", function()
	local p = skynet.newservice("t_core")
	local t0 = skynet.now()
	T.eq(skynet.call(p, "lua", "busy", 6), true, "the computation returned")
	T.ok(skynet.now() - t0 >= 590, "it ran its 6 s")
	T.ok(string.find(log_text(), endless_line(p), 1, true), "skynet's endless-loop line in the log")
	local stat, endless = skynet.call(p, "lua", "endless")
	T.eq(stat, 1, "skynet.stat 'endless' right after")
	T.eq(endless, false, "skynet.endless() after stat read (and cleared) the flag")
	T.eq(skynet.call(p, "lua", "endless"), 0, "cleared once read")
	skynet.kill(p)
end)

T.case("SIGNAL breaks a loop; the service lives on", function()
	local p = skynet.newservice("t_core")
	local wait = call_async(p, "loop")
	skynet.sleep(50)
	T.eq(wait(0), nil, "the loop runs")
	c.command("SIGNAL", skynet.address(p))
	local ok, err = wait(5)
	T.eq(ok, false, "the call failed")
	T.ok(string.find(err, "signal 0", 1, true), "with the break error: " .. tostring(err))
	T.eq(skynet.call(p, "lua", "echo", "alive"), "alive", "service survives")
	T.eq(skynet.call(p, "lua", "busy", 0.2), true, "and later messages are not interrupted")
	skynet.kill(p)
end)

T.case("a loop that catches the break error is broken too", function()
	local p = skynet.newservice("t_core")
	local wait = call_async(p, "pcall_loop")
	skynet.sleep(50)
	c.command("SIGNAL", skynet.address(p) .. " 0")
	local ok, err = wait(5)
	T.eq(ok, false, "the call failed: " .. tostring(err))
	T.eq(skynet.call(p, "lua", "echo", "alive"), "alive", "service survives")
	T.eq(skynet.call(p, "lua", "busy", 0.2), true, "the next message runs to its end")
	skynet.kill(p)
end)

T.run()
