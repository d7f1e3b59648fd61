-- test_limits: a service past its memory limit, and 10,000 services launched
-- and killed without growing the heap. (Endless loops: test_core_endless.)
-- timeout: 120
local skynet = require "skynet"
local memory = require "skynet.memory"
local T = require "testlib"

T.case("memlimit exceeded raises a memory error, service lives on", function()
	T.expect_error("not enough memory")
	local p = skynet.newservice("t_peer", "memlimit", 4 * 1024 * 1024)
	T.eq(skynet.call(p, "lua", "alloc", 100), 100, "small allocation")
	local err = T.raises("call failed", skynet.call, p, "lua", "alloc", 100000)
	T.ok(string.find(err, "memory", 1, true), "memory error reported: " .. err)
	collectgarbage()
	T.eq(skynet.call(p, "lua", "echo", "alive"), "alive", "service survives")
	skynet.kill(p)
end)

T.case("10,000 services launched and killed return their memory", function()
	if memory.allocator() ~= "jemalloc" then
		T.skip("allocator statistics need the jemalloc build")
	end
	local function settle()
		skynet.call(".launcher", "lua", "GC")
		collectgarbage()
		skynet.sleep(20)
		return memory.allocated()
	end
	local function cycle()
		local list = {}
		for i = 1, 10000 do
			list[i] = skynet.newservice("t_peer", "idle")
		end
		local during = memory.allocated()
		for i = 1, 10000 do
			skynet.kill(list[i])
		end
		return during
	end
	-- The first burst raises high-water marks that stay (the handle table
	-- keeps its 16k slots, jemalloc's thread caches keep freed blocks); a leak
	-- shows as growth from one burst to the next: 10% here is ~27 bytes a service.
	cycle()
	local before = settle()
	local during = cycle()
	local after = settle()
	skynet.error(string.format("memory: before %d, with 10k services %d (%.1f KiB each), after %d",
		before, during, (during - before) / 10000 / 1024, after))
	T.ok(during > before + 10000 * 1024, "services were really allocated")
	T.ok(after <= before * 1.10, string.format("after %d within 10%% of before %d", after, before))
end)

T.run()
