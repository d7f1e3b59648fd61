-- bench_websocket: a websocket echo server (http.websocket) for the
-- websocket benchmark. The start service listens on 127.0.0.1:<bench_port>
-- and hands each connection to one of <bench_agents> agents (default 2)
-- round robin; an agent runs websocket.accept per connection and echoes
-- every message. Logs "BENCH_LISTEN <port>"; bench/run.sh drives it with
-- build/<mode>/bin/wsload (100 connections) and stops the node.
local skynet = require "skynet"
local socket = require "skynet.socket"

local mode = ...

local function agent()
	local websocket = require "http.websocket"
	local handle = {
		message = function(id, msg, op)
			websocket.write(id, msg, op)
		end,
	}
	skynet.dispatch("lua", function(_, _, id, addr)
		websocket.accept(id, handle, "ws", addr)
	end)
end

local function master()
	local port = tonumber(skynet.getenv("bench_port") or "") or 8080
	local n = tonumber(skynet.getenv("bench_agents") or "") or 2
	local agents = {}
	for i = 1, n do
		agents[i] = skynet.newservice("bench_websocket", "agent")
	end
	local ok, err = pcall(function()
		local id = socket.listen("127.0.0.1", port, 1024)
		local next_agent = 0
		socket.start(id, function(fd, addr)
			next_agent = next_agent % n + 1
			skynet.send(agents[next_agent], "lua", fd, addr)
		end)
	end)
	if ok then
		skynet.error("BENCH_LISTEN " .. port)
	else
		skynet.error("BENCH_ERROR websocket server: " .. tostring(err))
	end
end

skynet.start(mode == "agent" and agent or master)
