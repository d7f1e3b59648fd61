-- testlib: a tiny test runner for Lua test services. A test file declares
-- cases with T.case(name, f) and ends with T.run(); each case runs in order in
-- the start coroutine and logs one "TEST ok/not ok" line; then the node aborts.
local skynet = require "skynet"
require "skynet.manager"

local T = {}
local cases = {}

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

function T.run(setup)
	skynet.start(function()
		if setup then
			local ok, err = xpcall(setup, debug.traceback)
			if not ok then
				skynet.error("TEST not ok - setup: " .. string.gsub(tostring(err), "\n", " | "))
				skynet.error("TEST done")
				skynet.abort()
				return
			end
		end
		for _, c in ipairs(cases) do
			local ok, err = xpcall(c.f, debug.traceback)
			if ok then
				skynet.error("TEST ok - " .. c.name)
			else
				skynet.error("TEST not ok - " .. c.name .. ": " .. string.gsub(tostring(err), "\n", " | "))
			end
		end
		skynet.error("TEST done")
		skynet.abort()
	end)
end

return T
