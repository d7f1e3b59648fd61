-- t_netpeer: runs the Python peers of the network library tests
-- (test/net/*_peer.py, *_client.py) as background processes from a Lua test
-- and waits for what they print. Each process writes its output to a file in
-- the test's temp folder; the test polls the file (no worker blocks on a
-- pipe) and kills the process by its pid when done. Peers also exit on their
-- own after a lifetime, so a failed test leaves nothing behind.
local skynet = require "skynet"

local P = {}

local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
P.net_dir = here .. "/../net"
-- Debian's python3, which sees python3-websockets (a pyenv python3 on PATH
-- may not).
P.python = "/usr/bin/python3"

local seq = 0

local function shell_quote(s)
	return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

-- spawn(script, args...) -> peer { out = file, pid = n }
function P.spawn(script, ...)
	seq = seq + 1
	local tmp = skynet.getenv "test_tmp" or "/tmp"
	local base = string.format("%s/peer.%08x.%d", tmp, skynet.self(), seq)
	local argv = { P.python, shell_quote(P.net_dir .. "/" .. script) }
	for _, a in ipairs { ... } do
		argv[#argv + 1] = shell_quote(a)
	end
	local cmd = string.format("%s >%s 2>&1 & echo $! >%s", table.concat(argv, " "), base .. ".out", base .. ".pid")
	assert(os.execute(cmd), "cannot start " .. script)
	local f = assert(io.open(base .. ".pid"))
	local pid = tonumber(f:read "l")
	f:close()
	return { out = base .. ".out", pid = pid, script = script }
end

function P.output(peer)
	local f = io.open(peer.out)
	if not f then
		return ""
	end
	local s = f:read "a"
	f:close()
	return s
end

-- wait(peer, pattern [, timeout_cs]) -> the output once it matches pattern
-- (a Lua pattern); raises with the output so far after the deadline.
function P.wait(peer, pattern, timeout)
	local deadline = skynet.now() + (timeout or 1000)
	while true do
		local s = P.output(peer)
		if s:find(pattern) then
			return s
		end
		if skynet.now() >= deadline then
			error(string.format("%s: no '%s' in time; output: %s", peer.script, pattern, s:gsub("\n", " | ")), 2)
		end
		skynet.sleep(2)
	end
end

function P.kill(peer)
	if peer and peer.pid then
		os.execute("kill " .. peer.pid .. " 2>/dev/null")
		peer.pid = nil
	end
end

return P
