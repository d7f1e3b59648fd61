-- test_console_metrics: the debug console's web side over real loopback HTTP:
-- GET /metrics parsed by the reference Prometheus parser (python3
-- prometheus_client, test/net/prom_check.py), its counters moving (messages,
-- overload, endless loop, exited services, timer lateness), GET /api/stat
-- JSON, GET / the dashboard page, POST /api/cmd and its header guard; a busy
-- service does not hold a scrape up.
-- timeout: 90
-- expect_error: t_peer.lua:[0-9]+: signal 0
-- config: test_root = ${ROOT}
local skynet = require "skynet"
local socket = require "skynet.socket"
local cjson = require "cjson"
local T = require "testlib"

local ROOT = skynet.getenv "test_root"
local TMP = skynet.getenv "test_tmp"
local port, peer

-- One HTTP request; returns status, headers (lower-case names), body.
local function http(method, path, body, headers)
	local fd = assert(socket.open("127.0.0.1", port))
	local req = { method .. " " .. path .. " HTTP/1.1", "Host: 127.0.0.1" }
	for k, v in pairs(headers or {}) do
		req[#req + 1] = k .. ": " .. v
	end
	if body then
		req[#req + 1] = "Content-Length: " .. #body
	end
	socket.write(fd, table.concat(req, "\r\n") .. "\r\n\r\n" .. (body or ""))
	local text = socket.readall(fd)
	socket.close(fd)
	local head, payload = text:match("^(.-)\r\n\r\n(.*)$")
	T.ok(head, "an HTTP head in: " .. text:sub(1, 80))
	local status = tonumber(head:match("^HTTP/1%.1 (%d%d%d) "))
	local h = {}
	for k, v in head:gmatch("\r\n([^:]+):%s*([^\r]*)") do
		h[k:lower()] = v
	end
	T.eq(tonumber(h["content-length"]), #payload, "Content-Length")
	return status, h, payload
end

-- /metrics through the reference parser: { family = {type, samples} }
local function scrape(query)
	local status, h, text = http("GET", "/metrics" .. (query or ""))
	T.eq(status, 200, "status of " .. text:sub(1, 300))
	T.eq(h["content-type"], "text/plain; version=0.0.4; charset=utf-8")
	local file = TMP .. "/metrics.txt"
	local f = assert(io.open(file, "w"))
	f:write(text)
	f:close()
	local p = assert(io.popen("/usr/bin/python3 " .. ROOT .. "/test/net/prom_check.py " .. file .. " 2>&1"))
	local out = p:read "a"
	local ok, _, code = p:close()
	if code == 2 then
		T.skip("python3-prometheus-client missing: " .. out)
	end
	T.ok(ok, "parses as Prometheus text: " .. out .. "\n" .. text:sub(1, 400))
	return cjson.decode(out), text
end

local function value(fams, family, sample, labels)
	local fam = fams[family]
	T.ok(fam, "family " .. family)
	for _, s in ipairs(fam.samples) do
		if s[1] == (sample or family) then
			local match = true
			for k, v in pairs(labels or {}) do
				if s[2][k] ~= v then
					match = false
				end
			end
			if match then
				return s[3]
			end
		end
	end
end

T.case("/metrics parses and names the node's figures", function()
	local fams = scrape()
	local types = {
		skynet_services = "gauge", skynet_messages = "counter", skynet_worker_busy_seconds = "counter",
		skynet_mqlen_max = "gauge", skynet_timer_lateness_seconds = "summary", skynet_overload = "counter",
		skynet_endless_loop = "counter", skynet_lua_memory_bytes = "gauge", skynet_c_memory_bytes = "gauge",
		skynet_sockets = "gauge", skynet_socket_read_bytes = "gauge", skynet_service_messages = "counter",
		skynet_service_cpu_seconds = "counter", skynet_service_mqlen = "gauge",
		skynet_service_lua_memory_bytes = "gauge", skynet_service_c_memory_bytes = "gauge",
		process_cpu_seconds = "counter", process_resident_memory_bytes = "gauge",
		skynet_services_exited = "counter",
	}
	if require("skynet.memory").allocator() == "jemalloc" then
		types.skynet_jemalloc_allocated_bytes = "gauge"
	else
		T.ok(fams.skynet_jemalloc_allocated_bytes == nil, "no jemalloc figure without jemalloc")
	end
	for name, kind in pairs(types) do
		T.ok(fams[name], "family " .. name)
		T.eq(fams[name].type, kind, name .. " type")
	end
	T.ok(value(fams, "skynet_services") >= 5, "services")
	T.ok(value(fams, "skynet_messages", "skynet_messages_total") > 0, "messages")
	local lua = value(fams, "skynet_service_lua_memory_bytes", nil, { address = skynet.address(peer), name = "snlua t_peer" })
	T.ok(lua and lua > 10000, "the peer's Lua heap: " .. tostring(lua))
	T.ok(value(fams, "skynet_sockets", nil, { type = "LISTEN" }) >= 1, "the console's listener")
	T.ok(value(fams, "skynet_timer_lateness_seconds", "skynet_timer_lateness_seconds_count") > 0, "timer updates")
	T.ok(value(fams, "process_resident_memory_bytes") > 1e6, "rss")
end)

T.case("counters move: messages, exited services, overload, top=N", function()
	local fams = scrape()
	local before = value(fams, "skynet_messages", "skynet_messages_total")
	local exited = value(fams, "skynet_services_exited", "skynet_services_exited_total")
	local overload = value(fams, "skynet_overload", "skynet_overload_total")
	for i = 1, 50 do
		skynet.call(peer, "lua", "echo", i)
	end
	skynet.kill(skynet.newservice("t_peer"))
	-- a queue past 1024 while its service is busy: "May overload"
	local busy = skynet.newservice("t_peer")
	skynet.send(busy, "lua", "busy", 0.3)
	for i = 1, 1100 do
		skynet.send(busy, "lua", "record", i)
	end
	T.ok(skynet.call(busy, "lua", "received")[1100], "the flood went through")
	skynet.kill(busy)
	fams = scrape("?top=2")
	T.ok(value(fams, "skynet_messages", "skynet_messages_total") >= before + 1200, "messages grew")
	T.ok(value(fams, "skynet_services_exited", "skynet_services_exited_total") >= exited + 2, "exited grew")
	T.ok(value(fams, "skynet_overload", "skynet_overload_total") >= overload + 1, "overload counted")
	T.eq(#fams.skynet_service_messages.samples, 2, "top=2 per-service series")
end)

T.case("a busy service does not hold a scrape up; endless loops are counted", function()
	local busy = skynet.newservice("t_peer")
	local endless = value(scrape(), "skynet_endless_loop", "skynet_endless_loop_total")
	skynet.send(busy, "lua", "busy", 6) -- past the monitor's 5 s
	skynet.sleep(10)
	local t0 = skynet.now()
	local fams = scrape("?top=1000")
	T.ok(skynet.now() - t0 < 150, "scrape took " .. (skynet.now() - t0) .. " cs")
	local labels = { address = skynet.address(busy) }
	T.ok(value(fams, "skynet_service_messages", "skynet_service_messages_total", labels), "the busy service is listed")
	T.eq(value(fams, "skynet_service_lua_memory_bytes", nil, labels), nil, "but has no Lua heap figure")
	T.wait_until(function()
		return value(scrape(), "skynet_endless_loop", "skynet_endless_loop_total") >= endless + 1
	end, 1000, "the endless loop report counted")
	skynet.kill(busy)
end)

T.case("/api/stat is JSON with every service", function()
	local status, h, body = http("GET", "/api/stat")
	T.eq(status, 200)
	T.eq(h["content-type"], "application/json")
	local snap = cjson.decode(body)
	T.ok(snap.time > 0 and snap.node.services >= 5, "node figures")
	local found
	for _, s in ipairs(snap.services) do
		if s.address == skynet.address(peer) then
			found = s
		end
	end
	T.ok(found and found.name == "snlua t_peer" and found.lua_mem > 0 and found.message > 0, "the peer")
end)

T.case("GET / is the dashboard page", function()
	local status, h, body = http("GET", "/")
	T.eq(status, 200)
	T.eq(h["content-type"], "text/html; charset=utf-8")
	T.ok(body:find("<canvas", 1, true) and body:find("/api/stat", 1, true), "the page")
	T.ok(not body:find("https?://"), "no external resources")
	T.eq((http("GET", "/api/nosuch")), 404)
	T.eq((http("POST", "/metrics", "x")), 405)
end)

T.case("POST /api/cmd runs a console command, with its header only", function()
	local status, _, body = http("POST", "/api/cmd", "list")
	T.eq(status, 403, "no X-Skynet-Console header")
	T.ok(body:find("X-Skynet-Console", 1, true), body)
	status, _, body = http("POST", "/api/cmd", "list", { ["X-Skynet-Console"] = "1" })
	T.eq(status, 200)
	T.ok(body:find(skynet.address(peer) .. "\tsnlua t_peer", 1, true) and body:find("<CMD OK>\n$"), body)
	status, _, body = http("POST", "/api/cmd", "nosuch", { ["X-Skynet-Console"] = "1" })
	T.eq(status, 400)
	T.ok(body:find("<CMD Error>", 1, true), body)
	local victim = skynet.newservice("t_peer")
	status = http("POST", "/api/cmd", "kill " .. skynet.address(victim), { ["X-Skynet-Console"] = "1" })
	T.eq(status, 200)
	T.raises("invalid address", skynet.call, victim, "lua", "echo", 1)
end)

T.case("the /cmd paths still answer skynet's plain text", function()
	local fd = assert(socket.open("127.0.0.1", port))
	socket.write(fd, "GET /getenv/test_tmp HTTP/1.1\r\n\r\n")
	local text = socket.readall(fd)
	socket.close(fd)
	T.eq(text, "Welcome to skynet console\ntest_tmp\t" .. TMP .. "\n<CMD OK>\n")
end)

T.run(function()
	peer = skynet.newservice("t_peer")
	local console = skynet.newservice("debug_console", "127.0.0.1", 0)
	port = skynet.call(console, "debug", "INFO").port
end)
