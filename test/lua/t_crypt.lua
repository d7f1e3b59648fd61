-- t_crypt: a service that requires skynet.crypt and md5 on first use and
-- answers digests (test_crypt checks a second service loads them too).
local skynet = require "skynet"

local CMD = {}

function CMD.digest(s)
	local crypt = require "skynet.crypt"
	local md5 = require "md5"
	skynet.ret(skynet.pack(crypt.sha1(s), md5.sumhexa(s), crypt.base64encode(s)))
end

function CMD.exit()
	skynet.exit()
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		CMD[cmd](...)
	end)
end)
