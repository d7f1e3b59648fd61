-- t_core_boot: start service of the core boot tests (test/boot/core.sh); config
-- key core_mode picks the scenario, "CORE ready" in the log says it is set up.
--   oom    a service allocates until memory runs out (run under ulimit -v) and
--          holds it 6 s (the monitor logs meanwhile)
--   pcall  a service loops in `while true do pcall(f) end`
--   cloop  a service loops inside one C call (no hook can break it)
--   flood  the same line logged 20,000 times in a burst
--   spin   6 socket round trips 0.3 s apart, then "CORE cpu TICKS": the
--          process's CPU time (utime + stime, clock ticks), for idle_spin
local skynet = require "skynet"
local socket = require "skynet.socket"

local mode = skynet.getenv "core_mode"

local function cpu_ticks()
	local f = assert(io.open("/proc/self/stat"))
	local stat = f:read "a"
	f:close()
	-- the fields after the command name, which is in parentheses
	local rest = stat:match "%) (.*)$"
	local fields = {}
	for v in rest:gmatch "%S+" do
		fields[#fields + 1] = v
	end
	return tonumber(fields[12]) + tonumber(fields[13]) -- utime, stime
end

local function round_trips(n, gap)
	local lid, _, port = socket.listen("127.0.0.1", 0)
	socket.start(lid, function(id)
		socket.start(id)
		while true do
			local line = socket.readline(id)
			if not line then
				break
			end
			socket.write(id, line .. "\n")
		end
		socket.close(id)
	end)
	local fd = assert(socket.open("127.0.0.1", port))
	for i = 1, n do
		socket.write(fd, "ping " .. i .. "\n")
		assert(socket.readline(fd) == "ping " .. i)
		skynet.sleep(gap)
	end
	socket.close(fd)
	socket.close(lid)
end

skynet.start(function()
	local p = skynet.newservice("t_core")
	if mode == "oom" then
		local ok, err = pcall(skynet.call, p, "lua", "hog", 6)
		skynet.error("CORE hog answered", ok, err)
		skynet.error("CORE after", skynet.call(p, "lua", "echo", "alive"))
	elseif mode == "pcall" then
		skynet.send(p, "lua", "pcall_loop")
	elseif mode == "cloop" then
		skynet.send(p, "lua", "c_loop")
	elseif mode == "spin" then
		local before = cpu_ticks()
		round_trips(6, 30)
		skynet.error("CORE cpu", cpu_ticks() - before)
	elseif mode == "flood" then
		for _ = 1, 20000 do
			skynet.error("CORE flood line")
		end
		skynet.error("CORE flood end")
	end
	skynet.sleep(20)
	skynet.error("CORE ready")
end)
