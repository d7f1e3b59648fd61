-- test_core_memory: skynet.memory with skynet's functions; C memory counted per
-- service through the allocator wrappers.
-- timeout: 60
local skynet = require "skynet"
local memory = require "skynet.memory"
local T = require "testlib"

local function log_text()
	local f = assert(io.open(skynet.getenv "logger"))
	local text = f:read "a"
	f:close()
	return text
end

T.case("skynet's functions are there", function()
	for _, name in ipairs { "total", "block", "dumpinfo", "info", "dump", "current", "jestat", "mallctl",
		"dumpheap", "profactive" } do
		T.eq(type(memory[name]), "function", name)
	end
	T.ok(memory.total() > 0, "total")
	T.ok(memory.block() > 0, "block")
end)

T.case("C memory a service holds is counted to it, and given back", function()
	local self = skynet.self()
	local before = memory.current()
	-- a packed message is C memory (skynet_malloc) until it is freed
	local msg, sz = skynet.pack(string.rep("x", 1 << 20))
	local held = memory.current()
	T.ok(held - before >= 1 << 20, string.format("current grew by %d", held - before))
	T.ok(memory.info()[self] >= 1 << 20, "info names this service")
	local total = memory.total()
	skynet.trash(msg, sz)
	T.ok(memory.current() < held - (1 << 19), "current back down")
	T.ok(memory.total() < total - (1 << 19), "total back down")
end)

T.case("a message freed by its receiver is taken off its sender", function()
	local p = skynet.newservice("t_core")
	local before = memory.current()
	for _ = 1, 10 do
		skynet.call(p, "lua", "echo", string.rep("y", 100000))
	end
	-- the callee frees the last request after its handler returns, which may
	-- be after this service got the answer: let it finish
	skynet.sleep(5)
	local after = memory.current()
	T.ok(math.abs(after - before) < 100000, string.format("before %d, after %d", before, after))
	skynet.kill(p)
end)

T.case("dump logs every service's C memory", function()
	memory.dump()
	skynet.sleep(10)
	local text = log_text()
	T.ok(string.find(text, "dump all service mem:", 1, true), "header")
	T.ok(string.find(text, string.format(":%08x %%-> %%d+kb %%d+b", skynet.self())), "a line for this service")
	T.ok(string.find(text, "+total: %d+kb"), "total line")
end)

T.case("jestat and mallctl read jemalloc", function()
	if memory.allocator() ~= "jemalloc" then
		T.skip("the sanitizer build uses the system allocator")
	end
	local st = memory.jestat()
	for _, k in ipairs { "stats.allocated", "stats.resident", "stats.retained", "stats.mapped", "stats.active" } do
		T.eq(math.type(st[k]), "integer", k)
	end
	T.ok(st["stats.allocated"] > memory.total(), "jemalloc sees more than the counted C memory (Lua heaps)")
	T.ok(memory.mallctl("stats.resident") > 0, "mallctl stats.resident")
	T.eq(memory.mallctl("no.such.key"), 0, "unknown key")
end)

T.run()
