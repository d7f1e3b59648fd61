-- test_accept_compat: what skynet's own test services and skynet-format game
-- configs rely on: modules found through lua_cpath = root.."luaclib/?.so"
-- alone (skynet ships lpeg.so there), skynet.queue2, and skynet.exit from a
-- service at its memlimit.
-- timeout: 30
-- config: lua_cpath = ${OUT}/luaclib/?.so
local skynet = require "skynet"
local T = require "testlib"

T.case("lpeg and cjson load with lua_cpath set to luaclib only", function()
	T.eq(package.cpath, os.getenv("OUT") .. "/luaclib/?.so", "the config's cpath, nothing added")
	local lpeg = require "lpeg"
	T.eq(lpeg.match(lpeg.C(lpeg.R("az") ^ 1), "abc1"), "abc", "lpeg works")
	local cjson = require "cjson"
	T.eq(cjson.encode({ 1 }), "[1]", "cjson works")
	local parser = require "sprotoparser"
	T.ok(#parser.parse ".P { x 0 : integer }" > 0, "sprotoparser (needs lpeg) parses")
end)

T.case("skynet.queue2: a scoped, re-entrant lock in order of arrival", function()
	local queue2 = require "skynet.queue2"
	T.eq(skynet.queue2, queue2, "also reachable as skynet.queue2")
	local lock = queue2()
	local trail = {}
	local done = 0
	local function worker(name, ticks)
		local guard <close> = lock()
		trail[#trail + 1] = name .. "+"
		do
			local again <close> = lock() -- re-entrant in the holder
			skynet.sleep(ticks)
		end
		trail[#trail + 1] = name .. "-"
		done = done + 1
	end
	skynet.fork(worker, "a", 5)
	skynet.fork(worker, "b", 1)
	skynet.fork(worker, "c", 0)
	T.wait_until(function() return done == 3 end, 300, "the three holders")
	T.eq(table.concat(trail, " "), "a+ a- b+ b- c+ c-", "one holder at a time, in order")
	local ok = pcall(function()
		local guard <close> = lock()
		error("raised while holding")
	end)
	T.ok(not ok, "the error went through")
	local got = false
	skynet.fork(function()
		local guard <close> = lock()
		got = true
	end)
	T.wait_until(function() return got end, 100, "the lock after an error released it")
end)

T.case("skynet.exit that failed at the memlimit can be called again", function()
	local svc = skynet.newservice "t_accept_memexit"
	local result
	skynet.fork(function()
		result = table.pack(pcall(skynet.call, svc, "lua", "go"))
	end)
	-- Without a retry the service stays half exited and the call never ends.
	T.wait_until(function() return result end, 500, "the service to exit")
	local ok, err = result[1], result[2]
	T.ok(not ok, "the call fails: the service exited")
	T.ok(string.find(tostring(err), "call failed", 1, true), "skynet's call failed: " .. tostring(err))
end)

-- Reads this node's log file (the harness sets `logger`) for a line.
local function log_line(pattern)
	local f = io.open(skynet.getenv "logger", "r")
	if not f then
		return nil
	end
	local text = f:read "a"
	f:close()
	return string.match(text, pattern)
end

T.case("skynet.trace lines: nanosecond clock and where the call was made", function()
	local done, line = false, nil
	skynet.fork(function()
		skynet.trace "accept"
		line = debug.getinfo(1, "l").currentline + 1
		skynet.call(".launcher", "lua", "LIST") -- this line is reported
		done = true
	end)
	T.wait_until(function() return done end, 300, "the traced call")
	local pattern = "<TRACE (:%x+%-%d+)> (%d+) call : (@[^ \n]+)"
	T.wait_until(function() return log_line(pattern) end, 300, "the call's trace line")
	local tag, ns, src = log_line(pattern)
	T.ok(#ns >= 10, "a monotonic nanosecond count, got " .. ns)
	T.ok(string.find(src, "test_accept_compat.lua:" .. line, 1, true), "the caller's line, got " .. src)
	T.ok(log_line("<TRACE " .. tag:gsub("%-", "%%-") .. "> %d+ trace accept"), "the trace start line")
end)

T.case("SERVICE_PATH: the folder of a service found through dir/?.lua", function()
	local svc = skynet.newservice "t_accept_globals"
	local name, path = skynet.call(svc, "lua")
	T.eq(name, "t_accept_globals", "SERVICE_NAME")
	T.eq(path, os.getenv("ROOT") .. "/test/lua/", "SERVICE_PATH")
	skynet.kill(svc)
end)

T.case("skynet.setenv of a key that exists: skynet's assertion text", function()
	skynet.setenv("accept_once", "1")
	T.raises("Can't setenv exist key : accept_once", skynet.setenv, "accept_once", "2")
	T.eq(skynet.getenv "accept_once", "1", "the first value stays")
end)

T.case("sharetable and datasheet sub-tables print as plain tables, as skynet's", function()
	local sharetable = require "skynet.sharetable"
	sharetable.loadtable("accept_st", { y = { "hello" } })
	local t = sharetable.query "accept_st"
	T.eq(type(t.y), "table", "type")
	T.ok(string.find(tostring(t.y), "^table: "), "tostring, got " .. tostring(t.y))
	local builder = require "skynet.datasheet.builder"
	local datasheet = require "skynet.datasheet"
	builder.new("accept_ds", { c = { 3 } })
	local d = datasheet.query "accept_ds"
	T.ok(string.find(tostring(d.c), "^table: "), "datasheet tostring, got " .. tostring(d.c))
end)

T.run()
