-- skynet/console_metrics.lua: the debug console's view of the whole node, for
-- GET /metrics (Prometheus text exposition format 0.0.4) and GET /api/stat
-- (the dashboard's JSON). Loaded by service/debug_console.lua on the first
-- such request, so a console nobody scrapes never pays for it.
--   snapshot(ti) -> { time, node = {...}, services = { {...}, ... } }
--       the core's figures (skynet.metrics, read without asking anyone) and
--       each Lua service's heap (debug MEM through skynet.request, at most ti
--       centiseconds; a service that does not answer has lua_mem = nil)
--   prometheus(snapshot, top) -> text; per-service series for the top
--       services of each family only (cardinality stays bounded)
local skynet = require "skynet"
local metrics = require "skynet.metrics"
local memory = require "skynet.memory"
local socket = require "skynet.socket"

local M = {}

----------------------------------------------------------------------------
-- Collecting

local function launcher_names()
	local ok, list = pcall(skynet.call, ".launcher", "lua", "LIST")
	local names = {}
	if ok then
		for addr, name in pairs(list) do
			names[tonumber(addr:sub(2), 16)] = name
		end
	end
	return names
end

-- Lua heap (bytes) of each Lua service that answers within ti.
local function lua_memory(names, ti)
	local reqs = skynet.request()
	for handle in pairs(names) do
		reqs:add { handle, "debug", "MEM" }
	end
	local mem = {}
	for req, resp in reqs:select(ti) do
		if resp and type(resp[1]) == "number" then
			mem[req[1]] = math.floor(resp[1] * 1024)
		end
	end
	return mem
end

local function proc_figures()
	local fig = {}
	local f = io.open("/proc/self/stat")
	if f then
		local line = f:read "l"
		f:close()
		-- fields after the ")" of the command name: 14 utime, 15 stime (ticks)
		local rest = line and line:match("%) (.*)$")
		if rest then
			local fields = {}
			for w in rest:gmatch("%S+") do
				fields[#fields + 1] = w
			end
			local utime, stime = tonumber(fields[12]), tonumber(fields[13])
			if utime and stime then
				fig.cpu = (utime + stime) / 100 -- USER_HZ is 100 on Linux
			end
		end
	end
	f = io.open("/proc/self/statm")
	if f then
		local _, rss = (f:read "l" or ""):match("^(%d+)%s+(%d+)")
		f:close()
		if rss then
			fig.rss = tonumber(rss) * 4096
		end
	end
	return fig
end

local function socket_figures()
	local fig = { count = {}, read = 0, write = 0, wbuffer = 0 }
	for _, s in ipairs(socket.netstat()) do
		fig.count[s.type] = (fig.count[s.type] or 0) + 1
		fig.read = fig.read + (s.read or 0)
		fig.write = fig.write + (s.write or 0)
		fig.wbuffer = fig.wbuffer + (s.wbuffer or 0)
	end
	return fig
end

function M.snapshot(ti)
	local names = launcher_names()
	local lua_mem = lua_memory(names, ti)
	local c_mem = memory.info()
	local services = metrics.services()
	local node = metrics.node()
	local counters = metrics.counters(true)
	local messages, cpu, mqlen_max, lua_total = 0, 0, 0, 0
	for _, s in ipairs(services) do
		s.address = skynet.address(s.handle)
		s.name = names[s.handle] or ""
		s.lua_mem = lua_mem[s.handle]
		s.c_mem = c_mem[s.handle] or 0
		messages = messages + s.message
		cpu = cpu + s.cpu
		if s.mqlen > mqlen_max then
			mqlen_max = s.mqlen
		end
		lua_total = lua_total + (s.lua_mem or 0)
	end
	local je = memory.jestat()
	node.messages = messages + counters.retired_messages
	node.busy = cpu + counters.retired_cpu
	node.mqlen_max = mqlen_max
	node.lua_mem = lua_total
	node.c_mem = memory.total()
	node.c_blocks = memory.block()
	if memory.allocator() == "jemalloc" then
		-- the sanitizer build's system allocator has no such figures (zeros)
		node.allocated = je["stats.allocated"]
		node.resident = je["stats.resident"]
	end
	node.counters = counters
	node.proc = proc_figures()
	node.sockets = socket_figures()
	node.starttime = skynet.starttime()
	return { time = skynet.time(), node = node, services = services }
end

----------------------------------------------------------------------------
-- Prometheus text

local function label_value(v)
	return (tostring(v):gsub("[\\\"\n]", { ["\\"] = "\\\\", ["\""] = "\\\"", ["\n"] = "\\n" }))
end

local function number(v)
	if math.type(v) == "integer" then
		return tostring(v)
	end
	return string.format("%.15g", v)
end

local Writer = {}
Writer.__index = Writer

function Writer:family(name, kind, help)
	local out = self.out
	out[#out + 1] = string.format("# HELP %s %s\n# TYPE %s %s\n", name, help, name, kind)
end

function Writer:sample(name, value, labels)
	local out = self.out
	if labels then
		out[#out + 1] = string.format("%s{%s} %s\n", name, labels, number(value))
	else
		out[#out + 1] = string.format("%s %s\n", name, number(value))
	end
end

function Writer:one(name, kind, help, value)
	self:family(name, kind, help)
	self:sample(name, value)
end

local function service_labels(s)
	return string.format('address="%s",name="%s"', s.address, label_value(s.name))
end

-- One per-service family: the top services by field, largest first.
function Writer:per_service(services, top, field, name, kind, help)
	local list = {}
	for _, s in ipairs(services) do
		if s[field] then
			list[#list + 1] = s
		end
	end
	table.sort(list, function(a, b)
		if a[field] ~= b[field] then
			return a[field] > b[field]
		end
		return a.handle < b.handle
	end)
	self:family(name, kind, help)
	for i = 1, math.min(top, #list) do
		self:sample(name, list[i][field], service_labels(list[i]))
	end
end

function M.prometheus(snap, top)
	local w = setmetatable({ out = {} }, Writer)
	local node, services = snap.node, snap.services
	local cnt = node.counters
	w:one("skynet_services", "gauge", "Services alive on the node.", node.services)
	w:one("skynet_services_exited_total", "counter", "Services that have exited since the node started.", cnt.retired)
	w:one("skynet_messages_total", "counter", "Messages handled by all services (exited ones included).", node.messages)
	w:one("skynet_worker_busy_seconds_total", "counter",
		"Time the worker threads spent in service callbacks (needs profile on).", node.busy)
	w:one("skynet_mqlen_max", "gauge", "Longest service message queue now.", node.mqlen_max)
	w:one("skynet_global_mq_length", "gauge", "Service queues waiting for a worker.", node.global_mq)
	w:one("skynet_timers_pending", "gauge", "Timers waiting to expire.", node.timers)
	w:family("skynet_timer_lateness_seconds", "summary", "How late the timer thread ran each due tick.")
	w:sample("skynet_timer_lateness_seconds_sum", cnt.timer_late)
	w:sample("skynet_timer_lateness_seconds_count", cnt.timer_updates)
	w:one("skynet_timer_lateness_max_seconds", "gauge", "Largest timer lateness since the previous scrape.", cnt.timer_late_max)
	w:one("skynet_overload_total", "counter", "'May overload' reports (a queue passed its threshold).", cnt.overload)
	w:one("skynet_endless_loop_total", "counter", "'maybe in an endless loop' reports of the monitor.", cnt.endless)
	w:one("skynet_lua_memory_bytes", "gauge", "Lua heap of the Lua services that answered, summed.", node.lua_mem)
	w:one("skynet_c_memory_bytes", "gauge", "C memory in skynet_malloc blocks.", node.c_mem)
	w:one("skynet_c_memory_blocks", "gauge", "skynet_malloc blocks.", node.c_blocks)
	if node.allocated then
		w:one("skynet_jemalloc_allocated_bytes", "gauge", "Bytes allocated through jemalloc (Lua heaps included).", node.allocated)
	end
	if node.resident then
		w:one("skynet_jemalloc_resident_bytes", "gauge", "Bytes of jemalloc's resident pages.", node.resident)
	end
	if node.proc.cpu then
		w:one("process_cpu_seconds_total", "counter", "User and system CPU time of the process.", node.proc.cpu)
	end
	if node.proc.rss then
		w:one("process_resident_memory_bytes", "gauge", "Resident set size of the process.", node.proc.rss)
	end
	w:one("process_start_time_seconds", "gauge", "Start time of the node since the Unix epoch.", node.starttime)
	local sk = node.sockets
	w:family("skynet_sockets", "gauge", "Sockets of the node by type.")
	local types = {}
	for t in pairs(sk.count) do
		types[#types + 1] = t
	end
	table.sort(types)
	for _, t in ipairs(types) do
		w:sample("skynet_sockets", sk.count[t], string.format('type="%s"', label_value(t)))
	end
	w:one("skynet_socket_read_bytes", "gauge", "Bytes read by the sockets open now.", sk.read)
	w:one("skynet_socket_written_bytes", "gauge", "Bytes written by the sockets open now.", sk.write)
	w:one("skynet_socket_wbuffer_bytes", "gauge", "Bytes waiting in the write buffers.", sk.wbuffer)
	w:per_service(services, top, "message", "skynet_service_messages_total", "counter", "Messages handled by the service.")
	w:per_service(services, top, "cpu", "skynet_service_cpu_seconds_total", "counter", "CPU time in the service's callback.")
	w:per_service(services, top, "mqlen", "skynet_service_mqlen", "gauge", "Messages waiting in the service's queue.")
	w:per_service(services, top, "lua_mem", "skynet_service_lua_memory_bytes", "gauge", "The Lua service's heap.")
	w:per_service(services, top, "c_mem", "skynet_service_c_memory_bytes", "gauge", "The service's C memory (skynet_malloc).")
	return table.concat(w.out)
end

return M
