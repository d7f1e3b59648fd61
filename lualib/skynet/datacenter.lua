-- skynet.datacenter: a node-wide tree of values kept by the datacenterd service.
--   set(k1, k2, ..., value)   get(k1, k2, ...)   wait(k1, k2, ...) (blocks until set)
local skynet = require "skynet"

local datacenter = {}
local ADDRESS = ".datacenter"

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
