-- test_console: service/debug_console.lua driven over real loopback TCP (and
-- HTTP) from this service: every command with good and bad arguments, the
-- "<CMD OK>"/"<CMD Error>" framing, inject, signal on a looping service.
-- timeout: 90
-- config: logpath = ${TMP}
-- config: snax = ${ROOT}/test/lua/?.lua
-- expect_error: signal 0
-- expect_error: t_console_nosuch
-- expect_error: injected failure
-- expect_error: unknown debug command
-- expect_error: t_console_target: unknown command nosuch
local skynet = require "skynet"
local socket = require "skynet.socket"
local T = require "testlib"

local console -- the debug_console service
local port -- the console's bound port
local target -- a t_console_target service
local conn -- the main console connection
local TMP = skynet.getenv "test_tmp"

local function connect()
	local fd = assert(socket.open("127.0.0.1", port))
	T.eq(socket.readline(fd, "\n"), "Welcome to skynet console", "welcome line")
	return fd
end

-- Sends one line; returns the reply lines before the marker, and the marker.
local function run(line, fd)
	fd = fd or conn
	socket.write(fd, line .. "\n")
	local out = {}
	while true do
		local l = socket.readline(fd, "\n")
		if not l then
			error("console closed the connection during '" .. line .. "'")
		end
		if l == "<CMD OK>" or l == "<CMD Error>" then
			return out, l
		end
		out[#out + 1] = l
	end
end

local function ok(line)
	local out, mark = run(line)
	T.eq(mark, "<CMD OK>", "'" .. line .. "' (" .. table.concat(out, " | ") .. ")")
	return out
end

-- An error reply whose text contains `want` (plain).
local function fails(line, want)
	local out, mark = run(line)
	T.eq(mark, "<CMD Error>", "'" .. line .. "' (" .. table.concat(out, " | ") .. ")")
	local text = table.concat(out, "\n")
	if want then
		T.ok(text:find(want, 1, true), "'" .. line .. "': error '" .. text .. "' lacks '" .. want .. "'")
	end
	return text
end

-- The value printed for key (the text after the first tab), or nil.
local function field(out, key)
	for _, l in ipairs(out) do
		local k, v = l:match("^([^\t]*)\t(.*)$")
		if k == key then
			return v
		end
	end
end

local function addr(h)
	return skynet.address(h)
end

-- A reply that is either OK or the clear error a missing part of the node
-- gives (skynet.memory functions, debug commands, snax land separately).
local function ok_or_missing(line, missing)
	local out, mark = run(line)
	if mark == "<CMD Error>" then
		local text = table.concat(out, "\n")
		T.ok(text:find(missing, 1, true), "'" .. line .. "': unexpected error '" .. text .. "'")
		return nil, text
	end
	return out
end

-- An HTTP request: the whole answer up to the close.
local function http(request)
	local fd = assert(socket.open("127.0.0.1", port))
	socket.write(fd, request)
	local text = socket.readall(fd)
	socket.close(fd)
	return text
end

local function write_file(name, text)
	local path = TMP .. "/" .. name
	local f = assert(io.open(path, "w"))
	f:write(text)
	f:close()
	return path
end

T.case("welcome, help lists every command in sorted order", function()
	local out = ok("help")
	local names = {}
	for i, l in ipairs(out) do
		local k = l:match("^(%S+)\t.+$")
		T.ok(k, "help line " .. i .. " is 'name<TAB>text': " .. l)
		names[#names + 1] = k
		if i > 1 then
			T.ok(names[i - 1] < k, "help sorted")
		end
	end
	local have = {}
	for _, k in ipairs(names) do
		have[k] = true
	end
	for w in ([[help list stat info exit kill mem cmem jmem gc start log snax service task uniqtask
		killtask inject logon logoff debug signal ping call trace netstat profactive dumpheap dbgcmd
		getenv setenv clearcache shrtbl]]):gmatch("%S+") do
		T.ok(have[w], "help has " .. w)
	end
end)

T.case("unknown command and blank lines keep the connection", function()
	local out, mark = run("nosuchcommand 1 2")
	T.eq(mark, "<CMD Error>", "unknown")
	T.eq(out[1], "Invalid command, type help for command list", "unknown text")
	socket.write(conn, "\n   \r\n")
	T.eq(select(2, run("\0\1\2garbage\255")), "<CMD Error>", "binary garbage")
	T.eq(select(2, run("ping " .. addr(target))), "<CMD OK>", "still serving after garbage")
	-- CRLF line ends (telnet) work
	socket.write(conn, "getenv test_tmp\r\n")
	local l1 = socket.readline(conn, "\n")
	T.eq(l1, "test_tmp\t" .. TMP, "getenv over CRLF")
	T.eq(socket.readline(conn, "\n"), "<CMD OK>", "CRLF marker")
end)

T.case("list, service", function()
	local out = ok("list")
	T.eq(field(out, addr(target)), "snlua t_console_target", "target listed")
	T.ok(field(out, addr(skynet.self())), "this test listed")
	for _, l in ipairs(out) do
		T.ok(l:match("^:%x%x%x%x%x%x%x%x\tsnlua "), "list line format: " .. l)
	end
	local uniq = skynet.uniqueservice("t_console_target", "unique")
	out = ok("service")
	T.eq(field(out, "t_console_target"), addr(uniq), "unique service listed")
end)

T.case("stat, mem, gc with and without a timeout", function()
	local out = ok("stat")
	local s = field(out, addr(target))
	T.ok(s and s:match("^cpu:[%d.e-]+\tmessage:%d+\tmqlen:%d+\ttask:%d+$"), "stat line: " .. tostring(s))
	T.ok(field(ok("stat 100"), addr(target)), "stat 100")
	fails("stat soon", "timeout must be a number")
	s = field(ok("mem"), addr(target))
	T.ok(s and s:match("^[%d.]+ K.* %(snlua t_console_target%)$"), "mem line: " .. tostring(s))
	fails("mem x", "timeout")
	s = field(ok("gc"), addr(target))
	T.ok(s and s:match("%(snlua t_console_target%)$"), "gc line: " .. tostring(s))
	fails("gc -", "timeout")
end)

T.case("info, ping, dbgcmd and bad addresses", function()
	T.eq(field(ok("info " .. addr(target)), "hello"), "world", "info_func table")
	-- the same handle without ':' (hex, this harbor) and by local name
	local bare = string.format("%x", target & 0xffffff)
	T.eq(field(ok("info " .. bare), "hello"), "world", "info by bare hex")
	skynet.name(".console_target", target)
	T.eq(field(ok("info .console_target"), "hello"), "world", "info by .name")
	fails("info", "address expected")
	fails("info zz", "Need an address")
	fails("info 1.5", "Need an address")
	fails("info .nobody", "Not a valid name")
	fails("info :00ffffff")
	local out = ok("ping " .. addr(target))
	T.ok(#out == 1 and math.tointeger(tonumber(out[1])), "ping prints centiseconds: " .. tostring(out[1]))
	fails("ping", "address expected")
	T.ok(tonumber(ok("dbgcmd " .. addr(target) .. " MEM")[1]), "dbgcmd MEM prints a number")
	fails("dbgcmd " .. addr(target) .. " NOSUCHDBG", "NOSUCHDBG")
	fails("dbgcmd " .. addr(target), "debug command expected")
end)

T.case("call with Lua arguments", function()
	local out = ok("call " .. addr(target) .. ' "echo", 1, "two", true')
	T.eq(field(out, "1"), "1", "ret 1")
	T.eq(field(out, "2"), "two", "ret 2")
	T.eq(field(out, "3"), "true", "ret 3")
	T.eq(field(out, "n"), "3", "ret n")
	fails("call " .. addr(target), "need arguments")
	fails("call " .. addr(target) .. " (((", "Invalid arguments")
	fails("call " .. addr(target) .. ' "nosuch"', "unknown command nosuch")
	fails("call " .. addr(target) .. " os.exit(1)", "os") -- no globals in arguments
	fails("call", "address expected")
end)

T.case("task, uniqtask, killtask", function()
	local out = ok("task " .. addr(target))
	-- one suspended task: "session<TAB>traceback" (the traceback spans lines)
	T.ok(out[1]:match("^[^\t]*%d+\tstack traceback:$"), "task line: " .. tostring(out[1]))
	T.ok(table.concat(out, "\n"):find("sleep", 1, true), "task traceback shows the sleep")
	local n = 0
	for _, l in ipairs(out) do
		n = n + (l:match("^[^\t]*%d+\tstack traceback:") and 1 or 0)
	end
	T.eq(n, 1, "one suspended task")
	out = ok("uniqtask " .. addr(target))
	T.ok(#out >= 1, "uniqtask prints")
	fails("task", "address expected")
	-- the task's name as task prints it: skynet's "thread: 0x... session: N"
	-- (killtask takes the 0x... part) or a bare session number
	local key = ok("task " .. addr(target))[1]:match("^([^\t]+)")
	local name = key:match("0x%x+") or key
	local kt = ok_or_missing("killtask " .. addr(target) .. " " .. name, "KILLTASK")
	if kt then
		local left = table.concat(ok("task " .. addr(target)), "\n")
		T.ok(not left:find(name, 1, true), "killtask ended the task: " .. left)
	end
	fails("killtask " .. addr(target), "task name expected")
end)

T.case("start, log, kill, exit", function()
	local out = ok("start t_console_target second")
	T.eq(#out, 1, "one line")
	local a, name = out[1]:match("^(:%x+)\t(.*)$")
	T.eq(name, "t_console_target", "start line")
	T.eq(field(ok("list"), a), "snlua t_console_target second", "started service listed")
	T.eq(ok("start t_console_nosuch")[1], "Failed", "failed launch is reported, as skynet")
	fails("start", "service name expected")

	out = ok("kill " .. a)
	T.eq(field(out, a), "snlua t_console_target second", "kill reply")
	skynet.sleep(10)
	T.eq(field(ok("list"), a), nil, "killed service gone")
	fails("kill", "address expected")
	fails("kill xyz", "Need an address")

	out = ok("start t_console_target third")
	a = out[1]:match("^(:%x+)")
	T.eq(#ok("exit " .. a), 0, "exit prints nothing")
	skynet.sleep(10)
	T.eq(field(ok("list"), a), nil, "exited service gone")
	fails("exit", "address expected")

	out = ok("log t_console_target logged")
	a = out[1]:match("^(:%x+)\tt_console_target$")
	T.ok(a, "log reply: " .. tostring(out[1]))
	skynet.call(a, "lua", "greet")
	ok("logoff " .. a)
	local f = io.open(string.format("%s/%08x.log", TMP, tonumber(a:sub(2), 16)))
	T.ok(f, "log launched a service with its message log")
	f:close()
	ok("kill " .. a)
	T.eq(ok("log t_console_nosuch")[1], "Failed", "log of a missing service")
end)

T.case("logon, logoff", function()
	ok("logon " .. addr(target))
	skynet.call(target, "lua", "greet")
	ok("logoff " .. addr(target))
	local f = io.open(string.format("%s/%08x.log", TMP, target))
	T.ok(f, "logon wrote the message log")
	T.ok(#f:read("a") > 0, "message log has the message")
	f:close()
	fails("logon", "address expected")
	fails("logoff q", "Need an address")
end)

T.case("inject changes a live service's behaviour", function()
	T.eq(field(ok("call " .. addr(target) .. ' "greet"'), "1"), "hello", "before")
	local patch = write_file("console_patch.lua", [[
local word = ...
local skynet = require "skynet"
local dispatch = skynet.dispatch("lua")
local i = 1
while true do
	local name, value = debug.getupvalue(dispatch, i)
	if name == nil then break end
	if name == "CMD" then
		value.greet = function() return "bonjour " .. word end
		print("patched", word)
	end
	i = i + 1
end
]])
	local out = ok("inject " .. addr(target) .. " " .. patch .. " world")
	T.eq(out[1], "patched\tworld", "inject output")
	T.eq(skynet.call(target, "lua", "greet"), "bonjour world", "behaviour changed")
	T.eq(field(ok("call " .. addr(target) .. ' "greet"'), "1"), "bonjour world", "after, through call")
	local bad = write_file("console_bad.lua", 'print("before") error("injected failure")')
	fails("inject " .. addr(target) .. " " .. bad, "injected failure")
	local syntax = write_file("console_syntax.lua", "this is not lua")
	fails("inject " .. addr(target) .. " " .. syntax, "console_syntax.lua")
	fails("inject " .. addr(target) .. " " .. TMP .. "/nosuch.lua", "Can't open")
	fails("inject " .. addr(target), "file name expected")
	fails("inject", "address expected")
	T.eq(skynet.call(target, "lua", "greet"), "bonjour world", "service alive after failed injects")
end)

T.case("signal breaks a service in an endless loop; stat shows it stuck", function()
	local spinner = skynet.newservice("t_console_target", "spinner")
	local t0 = skynet.now()
	skynet.send(spinner, "lua", "spin")
	skynet.sleep(20)
	local s = field(ok("stat 50"), addr(spinner))
	T.ok(s and not s:match("^cpu:"), "stat shows the looping service not answering: " .. tostring(s))
	fails("signal " .. addr(spinner) .. " nine", "signal must be an integer")
	ok("signal " .. addr(spinner))
	T.eq(#ok("ping " .. addr(spinner)), 1, "looping service answers again")
	-- the monitor would only step in after 5 s
	T.ok(skynet.now() - t0 < 450, "broken by signal, not by the monitor (" .. (skynet.now() - t0) .. " cs)")
	T.eq(skynet.call(spinner, "lua", "greet"), "hello", "the service lives on")
	ok("signal " .. addr(spinner) .. " 1")
	fails("signal", "address expected")
	skynet.kill(spinner)
end)

T.case("trace", function()
	ok_or_missing("trace " .. addr(target) .. " on", "TRACELOG")
	ok_or_missing("trace " .. addr(target) .. " lua off", "TRACELOG")
	fails("trace", "address expected")
end)

T.case("getenv, setenv", function()
	T.eq(field(ok("getenv test_tmp"), "test_tmp"), TMP, "getenv")
	T.eq(field(ok("getenv console_nosuch"), "console_nosuch"), "nil", "missing key")
	fails("getenv", "name expected")
	ok("setenv console_key v1")
	T.eq(skynet.getenv "console_key", "v1", "setenv visible to services")
	T.eq(field(ok("getenv console_key"), "console_key"), "v1", "getenv after setenv")
	fails("setenv console_key v2", "setenv exist key")
	fails("setenv console_key2", "value expected")
	fails("setenv", "name expected")
end)

T.case("memory commands: jmem, cmem, shrtbl, profactive, dumpheap", function()
	local out = ok("jmem")
	T.ok(#out >= 1, "jmem prints")
	for _, l in ipairs(out) do
		T.ok(l:match("^%S+\t +%d+ +[%d.]+ Mb$"), "jmem line: " .. l)
	end
	out = ok_or_missing("cmem", "skynet.memory.")
	if out then
		T.ok(field(out, "total") and field(out, "block"), "cmem total and block")
	end
	ok_or_missing("shrtbl", "skynet.memory.ssinfo")
	out = ok_or_missing("profactive", "skynet.memory.profactive")
	if out then
		T.ok(out[1]:match("^heap profilling is "), "profactive text")
	end
	ok_or_missing("dumpheap", "skynet.memory.dumpheap")
end)

T.case("netstat, clearcache, snax", function()
	local out = ok("netstat")
	T.ok(#out >= 1, "netstat lists the console's sockets")
	for _, l in ipairs(out) do
		T.ok(l:match("^%d+\t"), "netstat line: " .. l)
	end
	T.eq(#ok("clearcache"), 0, "clearcache")
	local out = ok("snax t_snax_ping from_console")
	local a, name = tostring(out[1]):match("^(:%x+)\t(.*)$")
	T.eq(name, "t_snax_ping", "snax reply: " .. tostring(out[1]))
	T.eq(field(ok("list"), a), "snlua snaxd t_snax_ping", "snax service listed")
	ok("kill " .. a)
	T.eq(ok("snax t_console_nosuch")[1], "Failed", "a failing snax launch, as skynet")
	fails("snax", "service name expected")
end)

local function debug_session(fd)
	socket.write(fd, "debug " .. addr(target) .. "\n")
	T.ok(socket.readline(fd, "\n"):match("^Attach to " .. addr(target)), "attach line")
	local prompt = "(" .. addr(target) .. ")> "
	local result
	skynet.fork(function()
		result = skynet.call(target, "lua", "echo", 5)
	end)
	local where = socket.readline(fd, prompt)
	T.ok(where:match("t_console_target%.lua:%d+\n$"), "stopped at the dispatch's first line: " .. where)
	local function say(line)
		socket.write(fd, line .. "\n")
		return socket.readline(fd, prompt)
	end
	T.eq(say("p cmd"), "echo\n", "a local")
	T.eq(say("greeting"), "nil\n", "not a local of this frame")
	T.ok(say("bt"):find("t_console_target.lua", 1, true), "bt")
	T.eq(say("cmd = 'greet'"), "", "assign a local")
	T.eq(say("p type(CMD.greet)"), "function\n", "an upvalue")
	T.ok(say("x = = 1"):find("unexpected symbol", 1, true), "a syntax error is an answer")
	T.ok(say("n"):match("t_console_target%.lua:%d+\n$"), "next")
	T.eq(result, nil, "the call waits while the service is stopped")
	socket.write(fd, "c\n")
	T.eq(socket.readline(fd, "\n"), "continue", "continue")
	T.eq(socket.readline(fd, "\n"), "<CMD OK>", "debug ends with the marker")
	T.wait_until(function() return result end, 300, "the stopped call")
	T.eq(result, skynet.call(target, "lua", "greet"), "the changed local changed what the message did")
	T.eq(skynet.call(target, "lua", "echo", 6), 6, "the service runs on, no longer stopped")
	-- the console connection goes away during a session: the service lets go
	socket.write(fd, "debug " .. addr(target) .. "\n")
	socket.readline(fd, "\n")
	socket.close(fd)
	skynet.sleep(5)
	T.eq(skynet.call(target, "lua", "echo", 7), 7, "no debugger left after the console closed")
end

T.case("debug: stop a live service at its next message, inspect and change a local", function()
	local fd = connect()
	-- a failing check must not leave the service stopped: closing the
	-- connection lets it go
	local ok, err = pcall(debug_session, fd)
	if not ok then
		socket.close(fd)
		error(err, 0)
	end
	fails("debug", "address expected")
	fails("debug :00ffffff", "Debugger attach failed")
	fails("debug " .. addr(console), "can't debug itself")
	local text = http("GET /debug/" .. addr(target) .. " HTTP/1.1\r\n\r\n")
	T.ok(text:find("not HTTP", 1, true), "no debug over HTTP: " .. text)
end)

T.case("HTTP GET and POST on the same port", function()
	local text = http("GET /getenv/test_tmp HTTP/1.1\r\nHost: x\r\nUser-Agent: test\r\n\r\n")
	T.eq(text, "Welcome to skynet console\ntest_tmp\t" .. TMP .. "\n<CMD OK>\n", "GET answer")
	text = http("GET /list HTTP/1.0\r\n\r\n")
	T.ok(text:find("\n" .. addr(target) .. "\tsnlua t_console_target\n", 1, true), "GET /list")
	T.ok(text:match("<CMD OK>\n$"), "GET /list marker")
	text = http("GET /call/" .. addr(target) .. '/%22echo%22,%2042?x=1 HTTP/1.1\r\n\r\n')
	T.ok(text:find("\n1\t42\n", 1, true), "GET with escapes and a query: " .. text)
	text = http("GET /nosuch HTTP/1.1\r\n\r\n")
	T.ok(text:match("Invalid command, type help for command list\n<CMD Error>\n$"), "GET unknown")
	text = http("GET /info/zz HTTP/1.1\r\n\r\n")
	T.ok(text:match("Need an address\n<CMD Error>\n$"), "GET bad arg: " .. text)
	local body = "ping " .. addr(target)
	text = http("POST / HTTP/1.1\r\nContent-Length: " .. #body .. "\r\n\r\n" .. body)
	T.ok(text:match("^Welcome to skynet console\n%d+\n<CMD OK>\n$"), "POST: " .. text)
	text = http("GET /" .. string.rep("x", 100) .. " HTTP/1.1\r\n" .. string.rep("H: v\r\n", 2000) .. "\r\n")
	T.eq(text, "Welcome to skynet console\n", "an over-long request head is dropped")
end)

T.case("several connections at once; the console survives a client going away", function()
	local a, b = connect(), connect()
	socket.write(a, "ping " .. addr(target) .. "\n")
	socket.close(a)
	T.eq(select(2, run("help", b)), "<CMD OK>", "second connection")
	socket.close(b)
	T.eq(select(2, run("help")), "<CMD OK>", "first connection")
end)

T.run(function()
	target = skynet.newservice("t_console_target")
	console = skynet.newservice("debug_console", "127.0.0.1", 0)
	local info = skynet.call(console, "debug", "INFO")
	port = info.port
	T.eq(info.address, "127.0.0.1", "bound to loopback")
	T.ok(port > 0, "bound port")
	conn = connect()
	skynet.error("TEST console on port " .. port)
end)
