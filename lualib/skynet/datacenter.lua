-- skynet.datacenter: a node-wide tree of values kept by the datacenterd
-- service, reached by its global name DATACENTER (as in skynet).
--   set(k1, k2, ..., value)   get(k1, k2, ...)
--   wait(k1, k2, ...): returns the value once the key is set; raises if the
--   key becomes a branch (a deeper key is set under it) instead.
local skynet = require "skynet"

local datacenter = {}
local ADDRESS = "DATACENTER"

function datacenter.get(...)
	return skynet.call(ADDRESS, "lua", "QUERY", ...)
end

function datacenter.set(...)
	return skynet.call(ADDRESS, "lua", "UPDATE", ...)
end

function datacenter.wait(...)
	return skynet.call(ADDRESS, "lua", "WAIT", ...)
end

return datacenter
