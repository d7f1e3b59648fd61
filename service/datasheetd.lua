-- datasheetd: the current version of every skynet.datasheet sheet, one
-- shared tree each (skynet.sharedata.core). An update links the old version
-- to the new one, so readers move on by themselves; a version is freed when
-- its last reader has moved on.
local skynet = require "skynet"
local core = require "skynet.sharedata.core"

local sheets = {} -- name -> box

local CMD = {}

function CMD.update(name, t)
	local box = core.new(t)
	local old = sheets[name]
	sheets[name] = box
	if old then
		core.link(old, box)
		core.release(old)
	end
end

function CMD.query(name)
	local box = sheets[name]
	if box == nil then
		error("datasheet: create data first (" .. tostring(name) .. ")")
	end
	return core.share(box)
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		local f = CMD[cmd]
		if f == nil then
			error("datasheetd: unknown command " .. tostring(cmd))
		end
		skynet.retpack(f(...))
	end)
	skynet.info_func(function()
		local info = {}
		for name, box in pairs(sheets) do
			info[name] = core.size(box)
		end
		return info
	end)
end)
