-- t_snax_ping: a snax service for test_snax (loaded by snaxd from the `snax`
-- path). Keeps a counter in a file-level local so a hotfix can show that the
-- state survives the patch.
local skynet = require "skynet"
local snax = require "skynet.snax"
local datacenter = require "skynet.datacenter"

local i = 0
local greeting = "hello"
local started

function init(...)
	started = table.concat({ ... }, ",")
end

function exit(...)
	datacenter.set("t_snax_ping", "exit", table.concat({ ... }, ","))
end

function accept.incr(n)
	i = i + (n or 1)
end

function accept.quit()
	snax.exit("quit")
end

function accept.say(fmt, ...)
	snax.printf(fmt, ...)
end

function response.ping(v)
	return v, greeting
end

function response.count()
	return i
end

function response.started()
	return started
end

function response.slow(v)
	skynet.sleep(5)
	return v
end

function response.fail(msg)
	error(msg)
end

function response.whoami()
	return tostring(snax.self()), SERVICE_NAME, snax.self().handle == skynet.self()
end
