-- test_commands: the text commands of skynet_command as Lua reaches them
-- through skynet.core, and what the logger shows of them.
-- timeout: 60
-- config: logpath = ${TMP}
local skynet = require "skynet"
local c = require "skynet.core"
local memory = require "skynet.memory"
local T = require "testlib"

local function log_text()
	local f = assert(io.open(skynet.getenv "logger"))
	local text = f:read "a"
	f:close()
	return text
end

local function wait_log(pattern)
	for _ = 1, 100 do
		if string.find(log_text(), pattern, 1, true) then
			return true
		end
		skynet.sleep(2)
	end
	return false
end

T.case("REG, QUERY, NAME", function()
	local self = c.command("REG")
	T.eq(self, skynet.address(skynet.self()))
	T.eq(c.command("REG", ".cmdtest"), "cmdtest")
	T.eq(c.command("QUERY", ".cmdtest"), self)
	T.eq(c.command("QUERY", ".nobody_has_this"), nil)
	local p = skynet.newservice("t_peer")
	T.ok(c.command("NAME", ".cmdpeer " .. skynet.address(p)))
	T.eq(c.addresscommand("QUERY", ".cmdpeer"), p)
	T.eq(c.command("NAME", ".cmdpeer " .. skynet.address(p)), nil, "a name is bound once")
	skynet.kill(p)
	skynet.sleep(1)
	T.eq(c.command("QUERY", ".cmdpeer"), nil, "names go with their service")
end)

T.case("LAUNCH, KILL, EXIT and MONITOR", function()
	local exits = {}
	skynet.register_protocol {
		name = "client",
		id = skynet.PTYPE_CLIENT,
		unpack = function() end,
		dispatch = function(_, source) exits[#exits + 1] = source end,
	}
	c.command("MONITOR", skynet.address(skynet.self()))
	T.eq(c.command("MONITOR"), skynet.address(skynet.self()))
	local p = skynet.newservice("t_peer")
	skynet.kill(p)
	local q = skynet.newservice("t_peer")
	skynet.send(q, "lua", "exit")
	skynet.sleep(5)
	c.command("MONITOR", ":00000000")
	T.eq(#exits, 2, "two exits reported")
	T.eq(exits[1], p)
	T.eq(exits[2], q)
	T.eq(c.command("LAUNCH", "no_such_c_module"), nil)
	T.ok(wait_log("no_such_c_module"), "failed launch logged")
end)

T.case("GETENV, SETENV, STARTTIME", function()
	T.eq(c.command("GETENV", "no_such_key_at_all"), nil)
	c.command("SETENV", "cmd_key hello world")
	T.eq(c.command("GETENV", "cmd_key"), "hello world")
	local st = c.intcommand("STARTTIME")
	T.ok(math.abs(st - os.time()) < 120, "start time is now-ish")
end)

T.case("TIMEOUT delivers a response", function()
	local t0 = skynet.now()
	skynet.sleep(3)
	T.ok(skynet.now() - t0 >= 3)
	T.eq(c.command("TIMEOUT", "not a number"), nil)
end)

T.case("STAT", function()
	T.ok(c.intcommand("STAT", "message") > 0, "message count")
	T.eq(c.intcommand("STAT", "mqlen"), 0)
	T.eq(c.intcommand("STAT", "endless"), 0)
	T.ok(c.intcommand("STAT", "cpu") >= 0)
	T.eq(c.command("STAT", "nonsense"), nil)
end)

T.case("LOGON and LOGOFF write a service's messages", function()
	local p = skynet.newservice("t_peer")
	c.command("LOGON", skynet.address(p))
	skynet.call(p, "lua", "echo", "logged message")
	c.command("LOGOFF", skynet.address(p))
	skynet.call(p, "lua", "echo", "not logged")
	local path = string.format("%s/%08x.log", skynet.getenv "logpath", p)
	local f = assert(io.open(path), "log file " .. path)
	local text = f:read "a"
	f:close()
	T.ok(string.find(text, "open time", 1, true), "header")
	T.ok(string.find(text, "close time", 1, true), "footer")
	local _, lines = string.gsub(text, "\n", "")
	T.eq(lines, 3, "open, one message, close")
	skynet.kill(p)
end)

T.case("SIGNAL reaches the service", function()
	local p = skynet.newservice("t_peer")
	c.command("SIGNAL", skynet.address(p) .. " 1")
	T.ok(wait_log("recv a signal 1"), "snlua logged the signal")
	skynet.kill(p)
end)

T.case("overload is reported once with the queue length", function()
	local p = skynet.newservice("t_peer")
	local gate = skynet.getenv("test_tmp") .. "/overload.go"
	os.remove(gate)
	skynet.send(p, "lua", "busy_until", gate, 20)
	skynet.sleep(5)
	for i = 1, 1500 do
		skynet.send(p, "lua", "record", i)
	end
	-- all 1500 are queued behind the busy message: let the peer go on
	assert(io.open(gate, "w")):close()
	T.eq(#skynet.call(p, "lua", "received"), 1500)
	-- the logger is a service too: give it time to write the line
	T.ok(wait_log("error: May overload, message queue length = 1025"), "overload line logged")
	skynet.sleep(10)
	local text = log_text()
	local n = select(2, string.gsub(text, "error: May overload, message queue length = 1025", ""))
	T.eq(n, 1, "one overload line at the threshold")
	skynet.kill(p)
end)

T.case("unknown command", function()
	T.eq(c.command("NO_SUCH_COMMAND"), nil)
	T.ok(wait_log("unknown command NO_SUCH_COMMAND"))
end)

T.case("jemalloc is the process allocator", function()
	if memory.allocator() ~= "jemalloc" then
		T.skip("the sanitizer build uses the system allocator")
	end
	T.ok(memory.total() > 0, "jemalloc statistics")
end)

T.run()
