-- benchlib: shared helpers of the benchmark services. A benchmark is a Lua
-- start service that measures, logs one "BENCH <name> <value> <unit> [k=v ...]"
-- line per figure through skynet.error (bench/run.sh collects them from the
-- log) and stops the node. Only the public skynet API is used, so the same
-- services run on stock skynet.
local skynet = require "skynet"
require "skynet.manager"

local B = {}

-- Seconds between two skynet.hpc() readings (hpc counts nanoseconds).
function B.seconds(t0, t1)
	return (t1 - t0) / 1e9
end

-- A positive integer from the config (key), or the default.
function B.param(key, default)
	local v = tonumber(skynet.getenv(key) or "")
	if v == nil or v <= 0 then
		return default
	end
	return math.floor(v)
end

-- Logs one figure. extra: a table of key = value details, printed sorted.
function B.report(name, value, unit, extra)
	local parts = { "BENCH", name, string.format("%.6g", value), unit }
	if extra then
		local keys = {}
		for k in pairs(extra) do
			keys[#keys + 1] = k
		end
		table.sort(keys)
		for _, k in ipairs(keys) do
			parts[#parts + 1] = k .. "=" .. tostring(extra[k])
		end
	end
	skynet.error(table.concat(parts, " "))
end

-- Runs body inside skynet.start; any error is logged as "BENCH_ERROR" so the
-- runner can tell a failed benchmark from a slow one; the node stops either way.
function B.main(body)
	skynet.start(function()
		local ok, err = xpcall(body, debug.traceback)
		if not ok then
			skynet.error("BENCH_ERROR " .. tostring(err):gsub("\n", " | "))
		end
		skynet.error("BENCH_DONE")
		skynet.abort()
	end)
end

-- Process resident set size in bytes, from /proc/self/statm (Linux).
function B.rss()
	local f = io.open("/proc/self/statm", "r")
	if not f then
		return nil
	end
	local line = f:read("l")
	f:close()
	local pages = tonumber(line:match("^%d+%s+(%d+)"))
	return pages and pages * B.param("bench_pagesize", 4096)
end

return B
