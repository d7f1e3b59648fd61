-- test_fidelity_formats: the text and table formats skynet code and
-- operators read: skynet.task() / task(table) / task(session) / task(co),
-- trace_timeout's "TIMER now+ti : " entries, and the log line of a request
-- left unanswered ("Maybe forgot response session N from :ADDR : SOURCE:LINE").
-- timeout: 30
local skynet = require "skynet"
local T = require "testlib"

T.case("skynet.task formats", function()
	local co = coroutine.running()
	local sleeper = skynet.fork(function() skynet.sleep(1000) end)
	local waiter = skynet.fork(function() skynet.wait() end)
	skynet.yield()
	local n = skynet.task()
	T.ok(n >= 2, "task() counts suspended sessions: " .. n)
	local t = {}
	T.eq(skynet.task(t), nil, "task(table) fills the table")
	local seen = 0
	for key, tb in pairs(t) do
		local thread, session = string.match(key, "^(thread: 0x%x+) session: (%d+)$")
		T.ok(thread, "key format: " .. key)
		T.ok(string.find(tb, "stack traceback", 1, true), "value is a traceback")
		if thread == tostring(sleeper) then
			seen = seen + 1
			T.eq(skynet.task(tonumber(session)), tb, "task(session) is the same traceback")
			T.eq(skynet.task(sleeper), tonumber(session), "task(co) is the session")
		end
	end
	T.eq(seen, 1, "the sleeper is listed once")
	T.eq(skynet.task(0x7ffffff0), "No session")
	T.eq(skynet.task(coroutine.create(function() end)), nil)
	skynet.wakeup(waiter)
	skynet.killthread(sleeper)
	skynet.yield()
	T.eq(co, coroutine.running())
end)

T.case("trace_timeout: a pending timer is listed from where it was set", function()
	skynet.trace_timeout(true)
	local fired = false
	local tco = skynet.timeout(500, function() fired = true end)
	local t = {}
	skynet.task(t)
	local entry
	for key, tb in pairs(t) do
		if string.find(key, tostring(tco), 1, true) then
			entry = tb
		end
	end
	T.ok(entry, "the timer coroutine is a task")
	T.ok(string.find(entry, "^TIMER %d+%+500 : \nstack traceback:"), entry)
	T.ok(string.find(entry, "test_fidelity_formats.lua", 1, true), "traceback of where it was set: " .. entry)
	skynet.trace_timeout(false)
	local plain = skynet.timeout(500, function() end)
	T.ok(string.find(skynet.task(skynet.task(plain)), "^stack traceback"), "off: a plain traceback")
	skynet.killthread(tco)
	skynet.killthread(plain)
end)

T.case("an unanswered request logs skynet's warning", function()
	local peer = skynet.newservice("t_forgetful")
	skynet.fork(function() pcall(skynet.call, peer, "lua", "forget") end)
	local want = string.format("Maybe forgot response session %%d+ from %s : @.-t_forgetful%%.lua:%%d+$",
		skynet.address(skynet.self()))
	local found
	for _ = 1, 100 do
		local f = assert(io.open(skynet.getenv "logger"))
		for line in f:lines() do
			if string.find(line, want) then
				found = line
			end
		end
		f:close()
		if found then
			break
		end
		skynet.sleep(1)
	end
	T.ok(found, "no line matching " .. want)
	T.ok(string.find(found, string.format("[%s] Maybe forgot", skynet.address(peer)), 1, true), found)
end)

T.run()
