-- t_snax_user: a snax service that reaches another one by handle
-- (snax.bind) and by name (snax.queryservice), for test_snax.
local snax = require "skynet.snax"

function response.via_bind(handle, name)
	local obj = snax.bind(handle, name)
	return obj.req.count()
end

function response.via_query(name)
	local obj = snax.queryservice(name)
	return obj.handle, obj.req.count()
end
