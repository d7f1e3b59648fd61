-- t_smreader: a skynet.sharemap reader for test_sharemap: "init" takes the
-- writer's copy pointer, "read" updates and returns the fields.
local skynet = require "skynet"
local sharemap = require "skynet.sharemap"

local r
local CMD = {}

function CMD.init(ptr)
	r = sharemap.reader("Role", ptr)
end

function CMD.read()
	local changed = r:update()
	return changed, r.name, r.level, r.tags and #r.tags or 0
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		skynet.retpack(CMD[cmd](...))
	end)
end)
