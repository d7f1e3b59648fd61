-- skynet.harbor: global names and node links, served by the .cslave service
-- (cslave in harbor mode, cdummy on a single node).
--   globalname(name [, handle])  bind a global name (no reply waited for)
--   queryname(name)              the handle of a name, waits until it exists
--   link(id)        returns when harbor id goes down (at once if it is not up)
--   connect(id)     returns when harbor id is connected (at once if it is)
--   linkmaster()    returns when the master link drops
--   connectmaster() returns when the master link is up (beyond skynet)
local skynet = require "skynet"

local harbor = {}

function harbor.globalname(name, handle)
	handle = handle or skynet.self()
	skynet.send(".cslave", "lua", "REGISTER", name, handle)
end

function harbor.queryname(name)
	return skynet.call(".cslave", "lua", "QUERYNAME", name)
end

function harbor.link(id)
	skynet.call(".cslave", "lua", "LINK", id)
end

function harbor.connect(id)
	skynet.call(".cslave", "lua", "CONNECT", id)
end

function harbor.linkmaster()
	skynet.call(".cslave", "lua", "LINKMASTER")
end

function harbor.connectmaster()
	skynet.call(".cslave", "lua", "CONNECTMASTER")
end

return harbor
