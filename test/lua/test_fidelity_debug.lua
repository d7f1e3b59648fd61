-- test_fidelity_debug: the tracing and debugging API skynet code uses:
-- skynet.tracecall / tracelog / traceproto (per-protocol trace), skynet.cache,
-- skynet._proto, the debug commands KILLTASK and TRACELOG,
-- skynet.debug.reg_debugcmd, and debug RUN (inject) with _U and _P.
-- timeout: 30
local skynet = require "skynet"
local T = require "testlib"

local function log_lines(pattern)
	local f = assert(io.open(skynet.getenv "logger"))
	local lines = {}
	for line in f:lines() do
		if string.find(line, pattern, 1, true) then
			lines[#lines + 1] = line
		end
	end
	f:close()
	return lines
end

local function wait_lines(pattern, n)
	for _ = 1, 100 do
		if #log_lines(pattern) >= n then
			break
		end
		skynet.sleep(1)
	end
	return log_lines(pattern)
end

T.case("tracelog writes a trace line under a tag", function()
	skynet.tracelog("fidelity-tag", "hello trace")
	local lines = wait_lines("<TRACE fidelity-tag>", 1)
	T.eq(#lines, 1)
	T.ok(string.find(lines[1], "hello trace", 1, true), lines[1])
end)

T.case("tracecall traces the request in the callee too", function()
	local peer = skynet.newservice("t_traced")
	local msg, sz = skynet.tracecall("fid-call", peer, "lua", skynet.pack("echo", 7))
	T.eq(skynet.unpack(msg, sz), 7)
	local lines = wait_lines("<TRACE fid-call>", 4)
	local text = table.concat(lines, "\n")
	for _, step in ipairs { "tracecall begin", "request", "response", "tracecall end" } do
		T.ok(string.find(text, step, 1, true), step .. " not traced:\n" .. text)
	end
end)

T.case("traceproto(lua, true) traces every request; TRACELOG turns it off", function()
	local peer = skynet.newservice("t_traced", "traced")
	T.eq(skynet.call(peer, "lua", "echo", 1), 1)
	local tag = string.format("<TRACE :%08x-", peer)
	T.ok(#wait_lines(tag, 2) >= 2, "no trace of the request")
	T.eq(skynet.call(peer, "debug", "TRACELOG", "lua", false), nil)
	T.eq(#wait_lines("Turn trace log false for lua", 1), 1)
	local before = #log_lines(tag)
	T.eq(skynet.call(peer, "lua", "echo", 2), 2)
	-- a traced caller's tag is dropped too while forced off
	skynet.tracecall("fid-off", peer, "lua", skynet.pack("echo", 3))
	skynet.sleep(5)
	T.eq(#log_lines(tag), before, "traced while forced off")
	local off = table.concat(log_lines("<TRACE fid-off>"), "\n")
	T.ok(not string.find(off, "request", 1, true), off)
end)

T.case("KILLTASK kills a suspended task by its thread name", function()
	local peer = skynet.newservice("t_traced")
	local err
	skynet.fork(function()
		local ok, e = pcall(skynet.call, peer, "lua", "block")
		err = ok and "returned" or e
	end)
	skynet.sleep(5)
	local tasks = skynet.call(peer, "debug", "TASK")
	local name
	for key in pairs(tasks) do
		name = name or string.match(key, "^(thread: 0x%x+) session: %d+$")
	end
	T.ok(name, "TASK keys are 'thread: ... session: N'")
	T.eq(skynet.call(peer, "debug", "KILLTASK", name), nil)
	for _ = 1, 100 do
		if err then
			break
		end
		skynet.sleep(1)
	end
	T.ok(err and err ~= "returned", "the killed request's caller got no error")
	T.eq(#wait_lines("Kill " .. name, 1), 1)
	T.eq(skynet.call(peer, "debug", "KILLTASK", "thread: 0x0"), "Not found")
end)

T.case("skynet.debug.reg_debugcmd adds a debug command", function()
	local peer = skynet.newservice("t_traced")
	T.eq(skynet.call(peer, "debug", "HELLO", "there"), "hello there")
	T.eq(require("skynet.debug").reg_debugcmd, require("skynet.debug").reg_debugcmd)
end)

T.case("debug RUN sees _U and _P, the upvalues of the dispatch functions", function()
	local peer = skynet.newservice("t_traced")
	local ok, out = skynet.call(peer, "debug", "RUN", [[
		print(type(_U.proto), _U.proto.lua.id)
		_P.lua.command.patched = function() skynet.retpack("patched in") end
	]], "patch")
	T.ok(ok, out)
	T.eq(out, "table\t10")
	T.eq(skynet.call(peer, "lua", "patched"), "patched in", "the patch did not reach the dispatch table")
end)

T.case("skynet.cache and skynet._proto", function()
	T.eq(type(skynet.cache.clear), "function")
	T.eq(skynet.cache.mode(), "ON")
	skynet.cache.mode("OFF")
	T.eq(skynet.cache.mode(), "OFF")
	package.loaded["t_preload"] = nil
	skynet.cache.mode("ON")
	T.eq(skynet.cache.mode(), "ON")
	T.raises("cache mode", skynet.cache.mode, "SOMETIMES")
	T.eq(skynet._proto.lua.id, skynet.PTYPE_LUA)
	T.eq(skynet._proto[skynet.PTYPE_LUA], skynet._proto.lua)
end)

T.run()
