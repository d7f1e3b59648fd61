-- t_cluster_ping: a snax service reached through the cluster (the
-- pingserver of skynet's cluster example): enablecluster, then req.ping.
local snax = require "skynet.snax"

function init()
	snax.enablecluster()
end

function response.ping(s)
	return "pong " .. tostring(s)
end

function accept.hello() end
