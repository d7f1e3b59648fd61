-- test_snax: skynet.snax against real snaxd services: newservice with init
-- arguments, post/req, errors reaching the caller, unique/global/query,
-- bind, self, printf, interface ids, hotfix of a live service keeping its
-- state, kill and exit running the service's exit handler.
-- timeout: 60
-- config: snax = ${ROOT}/test/lua/?.lua
-- expect_error: snax_fail_marker
-- expect_error: bad init: on purpose
-- expect_error: Patch mismatch
local skynet = require "skynet"
local snax = require "skynet.snax"
local datacenter = require "skynet.datacenter"
local T = require "testlib"

local PING = "t_snax_ping"

local function log_has(text)
	local f = io.open(assert(skynet.getenv "logger"), "r")
	if not f then
		return false
	end
	local all = f:read "a"
	f:close()
	return string.find(all, text, 1, true) ~= nil
end

T.case("newservice runs init with its arguments; req answers, post does not", function()
	local ps = snax.newservice(PING, "a", "b")
	T.eq(ps.type, PING, "type")
	T.eq(type(ps.handle), "number", "handle")
	T.eq(tostring(ps), string.format("[%s:%x]", PING, ps.handle), "tostring")
	T.eq(ps.req.started(), "a,b", "init arguments")
	local v, greeting = ps.req.ping("foobar")
	T.eq(v, "foobar")
	T.eq(greeting, "hello")
	T.eq(ps.post.incr(2), nil, "post returns nothing")
	ps.post.incr()
	T.eq(ps.req.count(), 3, "posts handled in order before the req")
	local info = snax.profile_info(ps)
	T.eq(info.incr.count, 2, "profile count of incr")
	T.eq(info.ping.count, 1, "profile count of ping")
	snax.kill(ps)
end)

T.case("an unknown method name is an error on the caller's side", function()
	local ps = snax.newservice(PING)
	T.raises("post " .. PING .. ":nope no exist", function() return ps.post.nope end)
	T.raises("request " .. PING .. ":nope no exist", function() return ps.req.nope end)
	snax.kill(ps)
end)

T.case("an error in a response handler reaches the caller", function()
	T.expect_error("snax_fail_marker")
	local ps = snax.newservice(PING)
	local ok = pcall(ps.req.fail, "snax_fail_marker")
	T.eq(ok, false, "req of a failing handler")
	T.eq(ps.req.ping(1), 1, "the service lives on")
	snax.kill(ps)
end)

T.case("an error in init fails newservice", function()
	T.expect_error("bad init: on purpose")
	local ok, err = pcall(snax.newservice, "t_snax_badinit", "on purpose")
	T.eq(ok, false, "newservice")
	T.ok(err, "an error value")
end)

T.case("a missing snax file names the paths tried", function()
	T.raises("t_snax_missing", snax.interface, "t_snax_missing")
end)

T.case("interface lists system, accept and response ids", function()
	local t = snax.interface(PING)
	T.eq(t.name, PING)
	T.eq(t.system.init, 1, "init id")
	T.eq(t.system.exit, 2, "exit id")
	T.eq(t.system.hotfix, 3, "hotfix id")
	T.eq(t.system.profile, 4, "profile id")
	-- methods are numbered from 5 in the order the file defines them
	T.eq(t.accept.incr, 5, "first method")
	T.eq(t.accept.quit, 6)
	T.eq(t.accept.say, 7)
	T.eq(t.response.ping, 8)
	T.eq(t.response.whoami, 13, "last method")
	T.ok(snax.interface(PING) == t, "cached")
end)

T.case("uniqueservice, queryservice, globalservice, queryglobal", function()
	local a = snax.uniqueservice(PING, "uniq")
	local b = snax.uniqueservice(PING, "ignored")
	T.eq(a.handle, b.handle, "one unique service")
	T.ok(a == b, "one bound object per handle")
	T.eq(a.req.started(), "uniq", "init ran once with the first arguments")
	local q = snax.queryservice(PING)
	T.eq(q.handle, a.handle, "queryservice")
	local g = snax.globalservice(PING, "glob")
	T.eq(snax.queryglobal(PING).handle, g.handle, "queryglobal")
	-- another service finds the unique one by name and by handle
	local user = snax.newservice("t_snax_user")
	a.post.incr(7)
	local h, n = user.req.via_query(PING)
	T.eq(h, a.handle, "queryservice from another service")
	T.eq(n, 7)
	T.eq(user.req.via_bind(a.handle, PING), 7, "bind from another service")
	snax.kill(user)
end)

T.case("a query waits for a launch that comes later", function()
	local got
	skynet.fork(function()
		got = snax.queryservice("t_snax_user")
	end)
	skynet.sleep(5)
	T.eq(got, nil, "still waiting")
	local u = snax.uniqueservice("t_snax_user")
	T.wait_until(function() return got end, 500, "queryservice")
	T.eq(got.handle, u.handle)
end)

T.case("bind wraps a handle; self and SERVICE_NAME inside the service", function()
	local ps = snax.newservice(PING)
	local same = snax.bind(ps.handle, PING)
	T.ok(same == ps, "bind returns the cached object")
	local me, sname, is_self = ps.req.whoami()
	T.eq(me, tostring(ps), "snax.self() in the service")
	T.eq(sname, PING, "SERVICE_NAME")
	T.eq(is_self, true)
	snax.kill(ps)
end)

T.case("printf writes a formatted line to the log", function()
	local ps = snax.newservice(PING)
	ps.post.say("snax printf %s %d", "works", 42)
	T.wait_until(function() return log_has("snax printf works 42") end, 500, "the printf line")
	snax.kill(ps)
end)

T.case("hotfix replaces a method of a live service keeping its upvalues", function()
	local ps = snax.newservice(PING)
	ps.post.incr(1)
	ps.post.incr(1)
	T.eq(ps.req.count(), 2)
	local old = snax.hotfix(ps, [[
local i
local greeting

function accept.incr(n)
	i = i + 10 * (n or 1)
end

function response.ping(v)
	return v, greeting .. " patched"
end

function hotfix(...)
	local before = i
	i = i + 100
	return before, select("#", ...), ...
end
]], "x", "y")
	T.eq(old, 2, "hotfix() saw the live counter")
	T.eq(ps.req.count(), 102, "hotfix() changed the live counter")
	ps.post.incr(1)
	T.eq(ps.req.count(), 112, "the patched incr uses the same counter")
	local _, g = ps.req.ping(0)
	T.eq(g, "hello patched", "a patched response sees the old upvalue")
	T.eq(ps.req.started(), "", "methods not in the patch stay")
	snax.kill(ps)
end)

T.case("hotfix errors reach the caller and leave the service as it was", function()
	T.expect_error("Patch mismatch")
	local ps = snax.newservice(PING)
	ps.post.incr(3)
	T.raises("Patch mismatch accept.nosuch", snax.hotfix, ps, "function accept.nosuch() end")
	T.raises("patch", snax.hotfix, ps, "function accept.incr( end")
	T.eq(ps.req.count(), 3)
	snax.kill(ps)
end)

T.case("kill runs exit with its arguments and ends the service", function()
	local ps = snax.newservice(PING)
	snax.kill(ps, "bye", "now")
	T.eq(datacenter.get("t_snax_ping", "exit"), "bye,now", "exit handler ran")
	T.eq(pcall(ps.req.ping, 1), false, "the service is gone")
end)

T.case("snax.exit inside the service runs exit too", function()
	datacenter.set("t_snax_ping", "exit", nil)
	local ps = snax.newservice(PING)
	ps.post.quit()
	T.wait_until(function() return datacenter.get("t_snax_ping", "exit") end, 500, "exit handler")
	T.eq(datacenter.get("t_snax_ping", "exit"), "quit")
	T.wait_until(function() return not pcall(ps.req.ping, 1) end, 500, "the service to end")
end)

T.run()
