-- t_dsreader: a skynet.datasheet reader for test_datasheet: queries the sheet
-- named by its argument at start, keeps a sub-table, "read" reports both.
local skynet = require "skynet"
local datasheet = require "skynet.datasheet"

local name = ...
local sheet, sub

skynet.start(function()
	sheet = datasheet.query(name)
	sub = sheet.item
	skynet.dispatch("lua", function()
		skynet.retpack(sheet.version, sub.price, #sheet.list)
	end)
end)
