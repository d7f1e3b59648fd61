-- bench_callee: answers every "lua" request with its first argument.
local skynet = require "skynet"

skynet.start(function()
	skynet.dispatch("lua", function(_, _, v)
		skynet.ret(skynet.pack(v))
	end)
end)
