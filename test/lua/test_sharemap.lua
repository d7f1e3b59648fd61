-- test_sharemap: skynet.sharemap (sproto over skynet.stm) with reader
-- services: the writer's committed record is seen after update, uncommitted
-- changes are not, readers are read-only.
local skynet = require "skynet"
local sharemap = require "skynet.sharemap"
local T = require "testlib"

local readers = {}
local w

T.case("readers see each committed version after update", function()
	local path = skynet.getenv("test_tmp") .. "/sharemap.sproto"
	local f = assert(io.open(path, "w"))
	f:write(".Role { name 0 : string\n level 1 : integer\n tags 2 : *string }\n")
	f:close()
	sharemap.register(path)
	w = sharemap.writer("Role", { name = "alice", level = 1 })
	for i = 1, 10 do
		readers[i] = skynet.newservice("t_smreader")
		skynet.call(readers[i], "lua", "init", w:copy())
	end
	for _, r in ipairs(readers) do
		local changed, name, level = skynet.call(r, "lua", "read")
		T.eq(changed, false, "the first version was read at creation")
		T.eq(name, "alice")
		T.eq(level, 1)
	end
	w.level = 2
	w.tags = { "a", "b" }
	for _, r in ipairs(readers) do
		local _, _, level = skynet.call(r, "lua", "read")
		T.eq(level, 1, "not committed yet")
	end
	w:commit()
	for _, r in ipairs(readers) do
		local changed, name, level, ntags = skynet.call(r, "lua", "read")
		T.eq(changed, true)
		T.eq(name, "alice")
		T.eq(level, 2)
		T.eq(ntags, 2)
	end
	T.eq(w.level, 2, "the writer reads its own fields")
end)

T.case("a reader in the same service; read-only", function()
	local r = sharemap.reader("Role", w:copy())
	T.eq(r.level, 2)
	T.raises("read-only", function() r.level = 3 end)
	w.name = nil
	w:commit()
	T.eq(r:update(), true)
	T.eq(r.name, nil, "a field removed by the writer is gone")
	for _, s in ipairs(readers) do
		skynet.kill(s)
	end
end)

T.run()
