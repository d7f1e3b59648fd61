-- t_harbor_node: the start service of the peer nodes in test/net/harbor.sh.
-- Registers the global name NODE<harbor id> (or its argument) and serves:
--   echo ...           the arguments back
--   whoami             this node's harbor id
--   sleep cs           answers after cs centiseconds
--   fail               raises (the caller sees the error)
--   size s             #s (large messages)
--   big n              a string of n bytes back
--   count              how many "bump" sends arrived, in order
--   bump i             (send) checks i arrives in order
--   callname name ...  calls global name `name` from here, returns its answer
--   queryname name     harbor.queryname from here
--   register name      skynet.register(name) for this service
--   unique [query]     skynet.uniqueservice(true, "t_harbor_node", "-") (or
--                      queryservice(true, ...)) from here
local skynet = require "skynet"
local harbor = require "skynet.harbor"
require "skynet.manager"

local bumps, order_ok = 0, true
local cmd = {}

function cmd.echo(...) return ... end
function cmd.whoami() return tonumber(skynet.getenv "harbor") end
function cmd.sleep(cs)
	skynet.sleep(cs)
	return cs
end
function cmd.fail() error("failed on purpose") end
function cmd.size(s) return #s end
function cmd.big(n) return string.rep("b", n) end
function cmd.count() return bumps, order_ok end
function cmd.bump(i)
	bumps = bumps + 1
	if i ~= bumps then
		order_ok = false
	end
end
function cmd.callname(name, ...) return skynet.call(name, "lua", ...) end
function cmd.queryname(name) return harbor.queryname(name) end
function cmd.unique(query)
	if query then
		return skynet.queryservice(true, "t_harbor_node")
	end
	return skynet.uniqueservice(true, "t_harbor_node", "-")
end
function cmd.register(name)
	skynet.register(name)
	return true
end

local name = ...

skynet.start(function()
	skynet.dispatch("lua", function(session, _, c, ...)
		local f = assert(cmd[c], c)
		if session == 0 then
			f(...)
		else
			skynet.retpack(f(...))
		end
	end)
	-- The start service takes NODE<id>; a launched one the name it is given
	-- ("-": none).
	local id = tonumber(skynet.getenv "harbor")
	name = name or ("NODE" .. id)
	if name ~= "-" then
		skynet.register(name)
	end
	skynet.error("harbor node " .. id .. " ready")
end)
