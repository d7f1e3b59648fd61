-- debug_console: the operator's console, compatible with skynet's.
--   skynet.newservice("debug_console", [address,] port) or "address:port";
--   the address defaults to 127.0.0.1 (loopback), port 0 picks a free one.
-- Owns the listening socket and one coroutine per connection. A connection
-- speaks a line protocol: "command arg..." per line; the reply is the
-- command's output followed by "<CMD OK>" or "<CMD Error>". A table reply is
-- printed one key per line ("key<TAB>value", keys sorted), a nested table as
-- "k:v<TAB>k:v". A connection whose first line is an HTTP request
-- ("GET /cmd/arg1/arg2 HTTP/1.1", or POST with the command line as body) gets
-- the same text answer and is closed, as skynet's console does. Beyond
-- skynet: GET / (a dashboard), GET /metrics (Prometheus), GET /api/stat and
-- POST /api/cmd answer proper HTTP responses (skynet/console_web.lua).
-- Commands: COMMAND.name(args...) for plain ones, COMMANDX.name(words) for
-- those that need the raw line or the connection (words[1] is the whole line,
-- words.fd the socket, nil over HTTP, words.print the output). A command
-- raises for bad arguments; docmd turns that into the error reply, so a
-- connection is never dropped for a bad line. `debug` runs its session
-- inside the target through lualib/skynet/remotedebug.lua.
local skynet = require "skynet"
local socket = require "skynet.socket"

local HTTP_LIMIT = 8192 -- bytes of request head (and body) we read at most
local WELCOME_DELAY = 30 -- centiseconds of silence before the welcome line

local function parse_args(...)
	local n = select("#", ...)
	local a, b = ...
	if n == 2 then
		return a, tonumber(b), b
	elseif n == 1 then
		local host, port = string.match(a, "^(.+):(%d+)$")
		if host then
			return host:gsub("^%[(.*)%]$", "%1"), tonumber(port), port
		end
		return "127.0.0.1", tonumber(a), a
	end
	error("debug_console: usage: debug_console [address] port (got " .. n .. " arguments)")
end

local listen_ip, listen_port, port_text = parse_args(...)
if listen_port == nil or listen_port < 0 or listen_port > 65535 or listen_port % 1 ~= 0 then
	error("debug_console: bad port '" .. tostring(port_text) .. "'")
end

local core = require "skynet.core"
local memory = require "skynet.memory"

local COMMAND = {}
local COMMANDX = {}
local TIMEOUT = 300 -- centiseconds: how long stat/mem/gc wait for each service

----------------------------------------------------------------------------
-- Argument helpers

-- ":0100000a", "0100000a"/"a" (hex, this node's harbor) or ".localname"
local function adjust_address(address)
	if type(address) ~= "string" then
		error("address expected (:0100000a, 0100000a or .name)", 2)
	end
	local prefix = address:sub(1, 1)
	if prefix == "." then
		return assert(skynet.localname(address), "Not a valid name")
	end
	local hex = prefix == ":" and address:sub(2) or address
	assert(hex:match("^%x+$") and #hex <= 8, "Need an address")
	local handle = tonumber(hex, 16)
	if prefix ~= ":" then
		handle = handle | (skynet.self() & 0xff000000)
	end
	return handle
end

local function timeout(ti)
	if ti == nil then
		return TIMEOUT
	end
	local n = tonumber(ti)
	if n == nil then
		error("timeout must be a number (centiseconds), got '" .. ti .. "'", 2)
	end
	return n > 0 and n or nil
end

local function toboolean(x)
	return x == "true" or x == "on"
end

local function need(v, what)
	if v == nil then
		error(what .. " expected", 3)
	end
	return v
end

-- A function of skynet.memory that another part of the node may not provide
-- (yet): a clear error instead of "attempt to call a nil value".
local function memory_func(name)
	local f = memory[name]
	if f == nil then
		error("skynet.memory." .. name .. " is not available in this build", 3)
	end
	return f
end

local function debugcall(address, cmd, ...)
	return skynet.call(adjust_address(address), "debug", cmd, ...)
end

----------------------------------------------------------------------------
-- Commands

function COMMAND.help()
	return {
		help = "help : this list",
		list = "list : every Lua service the launcher knows",
		stat = "stat [timeout] : task, mqlen, cpu, message of every service",
		info = "info address ... : the service's info function (skynet.info_func)",
		exit = "exit address : ask a Lua service to exit",
		kill = "kill address : kill a service",
		mem = "mem [timeout] : Lua memory of every service",
		cmem = "cmem : C memory per service (allocator counters)",
		jmem = "jmem : jemalloc statistics",
		gc = "gc [timeout] : full garbage collection in every Lua service, then mem",
		start = "start name args... : launch a Lua service",
		log = "log name args... : launch a Lua service with its message log on",
		snax = "snax name args... : launch a snax service",
		service = "service : the unique services",
		task = "task address : the service's suspended sessions with tracebacks",
		uniqtask = "uniqtask address : task, grouped by identical traceback",
		killtask = "killtask address name : end a task listed by task",
		inject = "inject address file.lua args... : run the file inside the service",
		logon = "logon address : log the service's messages (config logpath)",
		logoff = "logoff address : stop logging the service's messages",
		debug = "debug address : stop the service at its next message and debug it (s n bt p c)",
		signal = "signal address [sig] : send a signal (0 breaks an endless loop)",
		ping = "ping address : round trip time to the service, centiseconds",
		call = "call address args... : skynet.call(address, \"lua\", args) with Lua values",
		trace = "trace address [proto] [on|off] : trace log of a protocol",
		netstat = "netstat : the node's sockets",
		profactive = "profactive [on|off] : jemalloc heap profiling on/off",
		dumpheap = "dumpheap : write a jemalloc heap profile",
		dbgcmd = "dbgcmd address cmd args... : send a debug protocol command",
		getenv = "getenv name : skynet.getenv(name)",
		setenv = "setenv name value : skynet.setenv(name, value)",
		clearcache = "clearcache : forget the compiled Lua code cache",
		shrtbl = "shrtbl : shared short string table statistics",
	}
end

function COMMAND.clearcache()
	require("skynet.codecache").clear()
end

-- skynet answers "Failed" (not an error) when a launch fails, and "Exit"
-- when the service ends during its start.
function COMMAND.start(name, ...)
	need(name, "service name")
	local ok, addr = pcall(skynet.newservice, name, ...)
	if not ok then
		return "Failed"
	end
	if addr == nil then
		return "Exit"
	end
	return { [skynet.address(addr)] = name }
end

function COMMAND.log(name, ...)
	need(name, "service name")
	local ok, addr = pcall(skynet.call, ".launcher", "lua", "LOGLAUNCH", "snlua", name, ...)
	if ok and addr then
		return { [skynet.address(addr)] = name }
	end
	return "Failed"
end

function COMMAND.snax(name, ...)
	need(name, "snax service name")
	local found, snax = pcall(require, "skynet.snax")
	if not found then
		error("snax not available (no skynet.snax library in this build)")
	end
	local ok, obj = pcall(snax.newservice, name, ...)
	if not ok then
		return "Failed"
	end
	return { [skynet.address(obj.handle)] = name }
end

function COMMAND.service()
	return skynet.call(".service", "lua", "LIST")
end

function COMMAND.list()
	return skynet.call(".launcher", "lua", "LIST")
end

function COMMAND.stat(ti)
	return skynet.call(".launcher", "lua", "STAT", timeout(ti))
end

function COMMAND.mem(ti)
	return skynet.call(".launcher", "lua", "MEM", timeout(ti))
end

function COMMAND.gc(ti)
	return skynet.call(".launcher", "lua", "GC", timeout(ti))
end

function COMMAND.kill(address)
	return skynet.call(".launcher", "lua", "KILL", adjust_address(address))
end

function COMMAND.exit(address)
	skynet.send(adjust_address(address), "debug", "EXIT")
end

function COMMAND.inject(address, filename, ...)
	address = adjust_address(address)
	need(filename, "file name")
	local f = io.open(filename, "rb")
	if f == nil then
		error("Can't open " .. filename)
	end
	local source = f:read "a"
	f:close()
	local ok, output = skynet.call(address, "debug", "RUN", source, filename, ...)
	if ok == false then
		error(output)
	end
	return output
end

function COMMAND.dbgcmd(address, cmd, ...)
	need(cmd, "debug command")
	return debugcall(address, cmd, ...)
end

function COMMAND.task(address)
	return debugcall(address, "TASK")
end

function COMMAND.uniqtask(address)
	return debugcall(address, "UNIQTASK")
end

function COMMAND.killtask(address, name)
	need(name, "task name")
	return debugcall(address, "KILLTASK", name)
end

function COMMAND.info(address, ...)
	return debugcall(address, "INFO", ...)
end

function COMMAND.logon(address)
	core.command("LOGON", skynet.address(adjust_address(address)))
end

function COMMAND.logoff(address)
	core.command("LOGOFF", skynet.address(adjust_address(address)))
end

function COMMAND.signal(address, sig)
	address = skynet.address(adjust_address(address))
	if sig == nil then
		core.command("SIGNAL", address)
		return
	end
	local n = math.tointeger(tonumber(sig))
	if n == nil then
		error("signal must be an integer, got '" .. sig .. "'")
	end
	core.command("SIGNAL", string.format("%s %d", address, n))
end

function COMMAND.ping(address)
	address = adjust_address(address)
	local t0 = skynet.now()
	skynet.call(address, "debug", "PING")
	return tostring(skynet.now() - t0)
end

function COMMAND.trace(address, proto, flag)
	address = adjust_address(address)
	if flag ~= nil then
		flag = toboolean(flag)
	elseif proto == "on" or proto == "off" then
		proto = toboolean(proto)
	end
	skynet.call(address, "debug", "TRACELOG", proto, flag)
end

-- The arguments after the address are Lua expressions, evaluated with no
-- globals: call :0100000a "cmd", 1, {x = 2}
function COMMANDX.call(words)
	local address = adjust_address(words[2])
	local args = words[1]:match("^%s*%S+%s+%S+%s+(.-)%s*$")
	if args == nil or args == "" then
		error("need arguments")
	end
	local f, err = load("return " .. args, "=(debug console)", "t", {})
	if f == nil then
		error("Invalid arguments: " .. err)
	end
	local packed = table.pack(pcall(f))
	if not packed[1] then
		error(packed[2])
	end
	return table.pack(skynet.call(address, "lua", table.unpack(packed, 2, packed.n)))
end

-- debug ADDRESS: an interactive debugger inside the service (see
-- lualib/skynet/remotedebug.lua). The service stops at its next message;
-- lines typed here go to it through a debugchannel until `c`/`cont`.
local ATTACH = [[
local fd, handle = ...
require("skynet.remotedebug").start(math.tointeger(fd), math.tointeger(handle))
]]

function COMMANDX.debug(words)
	local address = adjust_address(words[2])
	local fd = words.fd
	if fd == nil then
		error("debug needs a console connection (not HTTP)")
	end
	if address == skynet.self() then
		error("the console can't debug itself (it would stop the session it serves)")
	end
	if tonumber(skynet.getenv "thread" or "2") < 2 then
		error("debug needs thread >= 2: the debugged service holds a worker while it is stopped")
	end
	local debugchannel = require "skynet.debugchannel"
	local ch, handle = debugchannel.create()
	local ok, started, output = pcall(skynet.call, address, "debug", "RUN", ATTACH, "(debug console)", fd, handle)
	if not ok or not started then
		ch:release()
		error("Debugger attach failed: " .. tostring(ok and output or started), 0)
	end
	words.print(string.format("Attach to %s: stops at its next message; s, n, bt, p EXPR, c", skynet.address(address)))
	while true do
		local line = socket.readline(fd, "\n")
		if not line then
			break
		end
		line = line:gsub("\r$", "")
		ch:write(line)
		if line:match("^%s*c%s*$") or line:match("^%s*cont%s*$") then
			break
		end
	end
	-- the service closes its end when it lets go; if it is idle (never
	-- stopped), closing ours disarms it at its next message
	for _ = 1, 100 do
		if ch:closed() then
			break
		end
		skynet.sleep(1)
	end
	ch:close()
	ch:release()
end

function COMMAND.cmem()
	local result = {}
	for handle, bytes in pairs(memory_func("info")()) do
		result[skynet.address(handle)] = bytes
	end
	result.total = memory_func("total")()
	result.block = memory_func("block")()
	return result
end

function COMMAND.jmem()
	local result = {}
	for k, v in pairs(memory_func("jestat")()) do
		result[k] = string.format("%11d  %8.2f Mb", v, v / 1048576)
	end
	return result
end

function COMMAND.shrtbl()
	local n, total, longest, space = memory_func("ssinfo")()
	return { n = n, total = total, longest = longest, space = space }
end

function COMMAND.dumpheap()
	memory_func("dumpheap")()
end

function COMMAND.profactive(flag)
	local profactive = memory_func("profactive")
	if flag ~= nil then
		profactive(toboolean(flag))
	end
	return "heap profilling is " .. (profactive() and "active" or "deactive")
end

function COMMAND.getenv(name)
	need(name, "name")
	return { [name] = tostring(skynet.getenv(name)) }
end

function COMMAND.setenv(name, value)
	need(name, "name")
	need(value, "value")
	skynet.setenv(name, value)
end

-- netstat: byte counts as 123, 1.5K, 2M; times as the age of the last
-- read/write ("0.5s", "1:02.5s")
local function bytes(size)
	if size == nil or size == 0 then
		return nil
	elseif size < 1024 then
		return size
	elseif size < 1024 * 1024 then
		return tostring(size / 1024) .. "K"
	end
	return tostring(size / (1024 * 1024)) .. "M"
end

local function age(now, t)
	if t == nil then
		return nil
	end
	t = now - t
	if t < 6000 then
		return tostring(t / 100) .. "s"
	end
	local hour = t // 360000
	local min = (t % 360000) // 6000
	local sec = (t % 6000) / 100
	return string.format("%s%d:%.2gs", hour == 0 and "" or (hour .. ":"), min, sec)
end

function COMMAND.netstat()
	local now = skynet.now()
	local list = socket.netstat()
	for _, info in ipairs(list) do
		if math.type(info.address) == "integer" then
			info.address = skynet.address(info.address)
		end
		info.read = bytes(info.read)
		info.write = bytes(info.write)
		info.wbuffer = bytes(info.wbuffer)
		info.rtime = age(now, info.rtime)
		info.wtime = age(now, info.wtime)
	end
	return list
end

----------------------------------------------------------------------------
-- Output formatting (skynet's)

local function sorted_keys(t)
	local keys = {}
	for k in pairs(t) do
		keys[#keys + 1] = k
	end
	table.sort(keys, function(x, y) return tostring(x) < tostring(y) end)
	return keys
end

local function format_table(t)
	local parts = {}
	for i, k in ipairs(sorted_keys(t)) do
		parts[i] = tostring(k) .. ":" .. tostring(t[k])
	end
	return table.concat(parts, "\t")
end

local function print_result(print, result)
	if type(result) ~= "table" then
		print(tostring(result))
		return
	end
	for _, k in ipairs(sorted_keys(result)) do
		local v = result[k]
		if type(v) == "table" then
			print(k, format_table(v))
		else
			print(k, tostring(v))
		end
	end
end

----------------------------------------------------------------------------
-- One command line

local function split_words(line)
	local words = {}
	for w in string.gmatch(line, "%S+") do
		words[#words + 1] = w
	end
	return words
end

local function docmd(line, print, fd)
	local words = split_words(line)
	local name = words[1]
	local ok, result
	local f = COMMAND[name]
	if f then
		ok, result = pcall(f, table.unpack(words, 2))
	else
		f = COMMANDX[name]
		if f == nil then
			-- skynet prints this and then the error marker
			print("Invalid command, type help for command list")
			print("<CMD Error>")
			return
		end
		words[1] = line
		words.fd = fd
		words.print = print
		ok, result = pcall(f, words)
	end
	if not ok then
		print(tostring(result))
		print("<CMD Error>")
		return
	end
	if result ~= nil then
		print_result(print, result)
	end
	print("<CMD OK>")
end

----------------------------------------------------------------------------
-- HTTP: a request becomes one command line

local function unescape(s)
	return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

-- Reads the header lines after the request line; returns them as a table
-- (lower-case names) or nil if the head is too long or the peer went away.
local function read_head(fd)
	local head, size = {}, 0
	while true do
		local line = socket.readline(fd, "\n")
		if not line then
			return nil
		end
		size = size + #line + 1
		if size > HTTP_LIMIT then
			return nil
		end
		line = line:gsub("\r$", "")
		if line == "" then
			return head
		end
		local k, v = line:match("^([^:]+):%s*(.-)%s*$")
		if k then
			head[k:lower()] = v
		end
	end
end

-- The web side (dashboard, /metrics, /api/...) lives in skynet/console_web.lua,
-- loaded on its first request.
-- (POST / keeps carrying a command line in its body.)
local function web_path(method, path)
	if path == "/" or path == "/index.html" then
		return method == "GET"
	end
	return path == "/metrics" or path:sub(1, 5) == "/api/"
end

-- An HTTP request: a web path goes to skynet/console_web.lua; otherwise it
-- carries one command line, the path of a GET (slashes become spaces) or the
-- body of a POST, answered as plain text (skynet's way). before() runs just
-- before a plain-text answer (the welcome line). Quietly gives up on a
-- request it can't read.
local function http_request(fd, method, request_line, print, before)
	local target = request_line:match("^%u+%s+(%S+)")
	local head = read_head(fd)
	if head == nil or target == nil then
		return before()
	end
	local body
	if method == "POST" then
		local len = tonumber(head["content-length"] or "")
		if len == nil or len > HTTP_LIMIT then
			return before()
		end
		body = socket.read(fd, len)
		if not body then
			return before()
		end
	end
	target = target:gsub("^https?://[^/]*", "")
	local path, query = target:match("^([^?#]*)%??([^#]*)")
	if web_path(method, path) then
		local run = function(line, p)
			docmd(line, p)
		end
		return require("skynet.console_web").serve(fd, method, path, query, head, body, run)
	end
	before()
	if method == "POST" then
		docmd(body, print)
	else
		docmd(unescape((path:sub(2):gsub("/", " "))), print) -- no fd: `debug` needs a console
	end
end

----------------------------------------------------------------------------
-- Connections

local function session(fd, addr)
	local function print(...)
		local n = select("#", ...)
		local parts = {}
		for i = 1, n do
			parts[i] = tostring((select(i, ...)))
		end
		socket.write(fd, table.concat(parts, "\t") .. "\n")
	end
	-- The welcome line waits for the first line (or WELCOME_DELAY of
	-- silence): a browser's request must be answered by a status line.
	local welcomed, closed, seen = false, false, false
	local function welcome()
		if not welcomed and not closed then
			welcomed = true
			print("Welcome to skynet console")
		end
	end
	skynet.timeout(WELCOME_DELAY, function()
		skynet.sleep(0) -- data already queued reaches readline first
		if not seen then
			welcome()
		end
	end)
	skynet.error(addr, "connected")
	local ok, err = pcall(function()
		while true do
			local line = socket.readline(fd, "\n")
			if not line then
				break
			end
			seen = true
			line = line:gsub("\r$", "")
			local method = line:match("^(%u+) ")
			if method == "GET" or method == "POST" then
				http_request(fd, method, line, print, welcome)
				break
			end
			welcome()
			if line:find("%S") then
				docmd(line, print, fd)
			end
		end
	end)
	if not ok then
		skynet.error(addr, err)
	end
	closed = true -- before close: the fd may be reused by the next connection
	skynet.error(addr, "disconnected")
	socket.close(fd)
end

skynet.start(function()
	local lid, ip, port = socket.listen(listen_ip, listen_port)
	assert(lid, "debug_console: can't listen on " .. tostring(listen_ip) .. ":" .. listen_port)
	local id, ip2, port2 = socket.start(lid, function(fd, addr)
		skynet.fork(function()
			if socket.start(fd) then
				session(fd, addr)
			else
				socket.close(fd)
			end
		end)
	end)
	assert(id, "debug_console: can't listen on " .. tostring(listen_ip) .. ":" .. listen_port .. ": " .. tostring(ip2))
	-- socket.listen (skynet's newer API) or socket.start (ours) tell the bound
	-- address; start's text is "ip:port"
	listen_port = math.tointeger(port) or math.tointeger(port2) or listen_port
	if type(ip) == "string" then
		listen_ip = ip
	elseif type(ip2) == "string" then
		listen_ip = ip2:gsub(":" .. listen_port .. "$", "")
	end
	skynet.error("Start debug console at " .. listen_ip .. ":" .. listen_port)
	-- `info <this service>` (and a test) reads the bound address back
	skynet.info_func(function()
		return { address = listen_ip, port = listen_port }
	end)
end)
