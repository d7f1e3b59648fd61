-- t_sdreader: a reader of skynet.sharedata for test_sharedata. It queries
-- the name given as its argument at start, keeps the proxy and one sub-table
-- proxy, and answers "read" with what it sees through them.
local skynet = require "skynet"
local sharedata = require "skynet.sharedata"

local name = ...
local root, sub

local CMD = {}

function CMD.read()
	return root.version, sub.tag, #root.list, root.list[#root.list]
end

function CMD.flush()
	sharedata.flush()
end

skynet.start(function()
	root = sharedata.query(name)
	sub = root.sub
	skynet.dispatch("lua", function(_, _, cmd, ...)
		skynet.retpack(CMD[cmd](...))
	end)
end)
