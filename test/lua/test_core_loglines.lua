-- test_core_loglines: the log lines operators grep for carry skynet's wording
-- after skynet's "dd/mm/yy hh:mm:ss.cc [:handle] " prefix.
-- timeout: 60
local skynet = require "skynet"
local T = require "testlib"

local function log_text()
	local f = assert(io.open(skynet.getenv "logger"))
	local text = f:read "a"
	f:close()
	return text
end

-- The log line of service handle whose text is exactly text.
local function wait_line(handle, text)
	local line = string.format(" [:%08x] %s\n", handle, text)
	for _ = 1, 100 do
		if string.find(log_text(), line, 1, true) then
			return true
		end
		skynet.sleep(2)
	end
	return false
end

T.case("LAUNCH snlua NAME ARGS", function()
	local p = skynet.newservice("t_peer", "idle", "x")
	T.ok(wait_line(p, "LAUNCH snlua t_peer idle x"), "the launch line")
	skynet.kill(p)
end)

T.case("Set memory limit to %.2f M", function()
	local p = skynet.newservice("t_peer", "memlimit", 4 * 1024 * 1024)
	T.ok(wait_line(p, "Set memory limit to 4.00 M"), "the memory limit line")
	skynet.kill(p)
end)

T.case("Memory warning %.2f M past 32 M", function()
	local p = skynet.newservice("t_peer")
	skynet.call(p, "lua", "alloc", 40000) -- 40,000 strings of 1 KiB
	local text = log_text()
	local pattern = string.format(" %%[:%08x%%] Memory warning 3%%d%%.%%d%%d M\n", p)
	T.ok(string.find(text, pattern), "the memory warning line")
	skynet.kill(p)
end)

T.case("KILL self", function()
	local p = skynet.newservice("t_peer")
	skynet.send(p, "lua", "exit")
	T.ok(wait_line(p, "KILL self"), "the exit line")
end)

T.run()
