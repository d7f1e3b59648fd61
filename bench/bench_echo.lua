-- bench_echo: a framed echo server in one Lua service, for the echo
-- benchmarks. Listens on 127.0.0.1:<config bench_port>; each connection
-- sends packets behind a 2-byte big-endian length and gets each one back.
-- Logs "BENCH_LISTEN <port>" when ready; bench/run.sh drives it with
-- loadclient and stops the node with SIGTERM.
local skynet = require "skynet"
local socket = require "skynet.socket"

local function serve(fd)
	socket.start(fd)
	while true do
		local header = socket.read(fd, 2)
		if not header then
			break
		end
		local n = header:byte(1) * 256 + header:byte(2)
		local body = ""
		if n > 0 then
			body = socket.read(fd, n)
			if not body then
				break
			end
		end
		socket.write(fd, header .. body)
	end
	socket.close(fd)
end

skynet.start(function()
	local port = tonumber(skynet.getenv("bench_port") or "") or 8888
	local ok, err = pcall(function()
		-- A deep backlog: the load client opens all its connections at once,
		-- and a short queue would turn dropped SYNs into 1 s retransmits.
		local id = socket.listen("127.0.0.1", port, 1024)
		socket.start(id, function(fd)
			skynet.fork(serve, fd)
		end)
	end)
	if ok then
		skynet.error("BENCH_LISTEN " .. port)
	else
		skynet.error("BENCH_ERROR echo server: " .. tostring(err))
	end
end)
