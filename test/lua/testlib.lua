-- testlib: a tiny test runner for Lua test services. A test file declares
-- cases with T.case(name, f) and ends with T.run(); each case runs in order in
-- the start coroutine and logs "TEST begin - name" then one "TEST ok/not
-- ok/skip" line; then the node aborts. test/run.sh reads the log with
-- test/logcheck.awk: an error that any service logs while a case owns the log
-- (a failing fork, callback or helper service) fails that case too, unless
-- the case declared it with T.expect_error(pattern).
local skynet = require "skynet"
require "skynet.manager"

local T = {}
local cases = {}

-- A skip is raised as this table and reported as "TEST skip".
local SKIP = {}

function T.case(name, f)
	cases[#cases + 1] = { name = name, f = f }
end

function T.eq(got, want, what)
	if got ~= want then
		error(string.format("%s: expected %s, got %s", what or "value", tostring(want), tostring(got)), 2)
	end
end

function T.ok(v, what)
	if not v then
		error(what or "assertion failed", 2)
	end
	return v
end

function T.near(got, want, tolerance, what)
	if math.abs(got - want) > tolerance then
		error(string.format("%s: expected %s +- %s, got %s", what or "value", want, tolerance, got), 2)
	end
end

-- Calls f(...) and checks that it raises an error matching pattern (plain find).
function T.raises(pattern, f, ...)
	local ok, err = pcall(f, ...)
	if ok then
		error("expected an error matching '" .. pattern .. "'", 2)
	end
	if not string.find(tostring(err), pattern, 1, true) then
		error("error '" .. tostring(err) .. "' does not contain '" .. pattern .. "'", 2)
	end
	return err
end

-- T.skip(reason): ends the running case as skipped (never a pass).
function T.skip(reason)
	error({ [SKIP] = tostring(reason) }, 0)
end

-- T.expect_error(pattern): errors logged from now on whose text matches the
-- ERE pattern are part of the test, not failures.
function T.expect_error(pattern)
	skynet.error("TEST expect_error - " .. pattern)
end

-- T.wait_until(pred, [timeout_cs], [what]): polls pred() every 10 ms until it
-- returns a true value (returned); raises naming `what` after the deadline
-- (default 5 s), instead of a fixed sleep standing in for an event.
function T.wait_until(pred, timeout, what)
	local deadline = skynet.now() + (timeout or 500)
	while true do
		local v = pred()
		if v then
			return v
		end
		if skynet.now() >= deadline then
			error("timed out waiting for " .. (what or "a condition"), 2)
		end
		skynet.sleep(1)
	end
end

-- T.free_port(): the next of the ports test/run.sh found free for this run
-- (config `test_ports`): below the kernel's ephemeral range, so no client
-- connection takes one before the test listens on it. Where the kernel may
-- choose, listen on port 0 instead.
local free_ports
function T.free_port()
	if not free_ports then
		free_ports = {}
		for p in string.gmatch(skynet.getenv "test_ports" or "", "%d+") do
			free_ports[#free_ports + 1] = tonumber(p)
		end
	end
	return assert(table.remove(free_ports, 1), "no free port left (test_ports in the config)")
end

local function report(name, ok, err)
	if ok then
		skynet.error("TEST ok - " .. name)
	elseif type(err) == "table" and err[SKIP] then
		skynet.error("TEST skip - " .. name .. ": " .. err[SKIP])
	else
		skynet.error("TEST not ok - " .. name .. ": " .. string.gsub(tostring(err), "\n", " | "))
	end
end

local function traceback(err)
	if type(err) == "table" then
		return err
	end
	return debug.traceback(err, 2)
end

function T.run(setup)
	skynet.start(function()
		if setup then
			skynet.error("TEST begin - setup")
			local ok, err = xpcall(setup, debug.traceback)
			if not ok then
				skynet.error("TEST not ok - setup: " .. string.gsub(tostring(err), "\n", " | "))
				skynet.error("TEST done")
				skynet.abort()
				return
			end
		end
		if #cases == 0 then
			skynet.error("TEST not ok - (file): declares no test case")
		end
		for _, c in ipairs(cases) do
			skynet.error("TEST begin - " .. c.name)
			report(c.name, xpcall(c.f, traceback))
		end
		skynet.error("TEST done")
		skynet.abort()
	end)
end

return T
