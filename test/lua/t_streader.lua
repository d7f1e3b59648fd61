-- t_streader: a reader of skynet.sharetable for test_sharetable. It queries
-- the file name given as its argument at start and keeps the table and one
-- sub-table; "read" reports what it sees, "update" calls sharetable.update.
local skynet = require "skynet"
local sharetable = require "skynet.sharetable"

local name = ...
local root, sub

local CMD = {}

function CMD.read()
	return root.version, sub.tag, #root.list
end

function CMD.update()
	sharetable.update(name)
end

skynet.start(function()
	root = sharetable.query(name)
	sub = root.sub
	skynet.dispatch("lua", function(_, _, cmd, ...)
		skynet.retpack(CMD[cmd](...))
	end)
end)
