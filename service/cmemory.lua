-- cmemory: prints the node's C memory on stdout and exits, as skynet's
-- service of that name: the allocator's report (stderr), then one line per
-- service (":0000000a 12.5K"), then the totals.
local skynet = require "skynet"
local memory = require "skynet.memory"

memory.dumpinfo()

local per_service = memory.info()
local handles = {}
for handle in pairs(per_service) do
	handles[#handles + 1] = handle
end
table.sort(handles)
for _, handle in ipairs(handles) do
	print(string.format(":%08x %gK", handle, per_service[handle] / 1024))
end
print("Total memory:", memory.total())
print("Total block:", memory.block())

skynet.start(function()
	skynet.exit()
end)
