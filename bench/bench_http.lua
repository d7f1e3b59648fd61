-- bench_http: an http.httpd server for the http benchmark. The start service
-- listens on 127.0.0.1:<bench_port> and hands each connection to one of
-- <bench_agents> agents (default 2) round robin, as skynet's simpleweb
-- example does; an agent serves a keep-alive connection per coroutine:
-- GET /hello -> "hello". Logs "BENCH_LISTEN <port>"; bench/run.sh drives it
-- with wrk (50 connections) and stops the node with SIGTERM.
local skynet = require "skynet"
local socket = require "skynet.socket"

local mode = ...

local function agent()
	local httpd = require "http.httpd"
	local sockethelper = require "http.sockethelper"
	local function serve(id)
		socket.start(id)
		local read, write = sockethelper.readfunc(id), sockethelper.writefunc(id)
		while true do
			local code, _, _, header = httpd.read_request(read, 8192)
			if code ~= 200 then
				if code then
					httpd.write_response(write, code)
				end
				break
			end
			if not httpd.write_response(write, 200, "hello", { ["content-type"] = "text/plain" }) then
				break
			end
			if header.connection == "close" then
				break
			end
		end
		socket.close(id)
	end
	skynet.dispatch("lua", function(_, _, id)
		serve(id)
	end)
end

local function master()
	local port = tonumber(skynet.getenv("bench_port") or "") or 8080
	local n = tonumber(skynet.getenv("bench_agents") or "") or 2
	local agents = {}
	for i = 1, n do
		agents[i] = skynet.newservice("bench_http", "agent")
	end
	local ok, err = pcall(function()
		local id = socket.listen("127.0.0.1", port, 1024)
		local next_agent = 0
		socket.start(id, function(fd)
			next_agent = next_agent % n + 1
			skynet.send(agents[next_agent], "lua", fd)
		end)
	end)
	if ok then
		skynet.error("BENCH_LISTEN " .. port)
	else
		skynet.error("BENCH_ERROR http server: " .. tostring(err))
	end
end

skynet.start(mode == "agent" and agent or master)
