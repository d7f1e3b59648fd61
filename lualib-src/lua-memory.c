/* lua-memory.c: skynet.memory, C memory counts and allocator statistics, with
 * skynet's names:
 *   total() -> bytes in skynet_malloc blocks, process-wide (Lua heaps are not
 *              in it: snlua counts those, see debug MEM)
 *   block() -> how many such blocks
 *   info() -> { [handle] = bytes } of C memory per service
 *   current() -> the calling service's C memory (bytes)
 *   dump() -> logs the per-service figures and their total
 *   dumpinfo([opts]) -> jemalloc's statistics report on stderr
 *   jestat() -> { ["stats.allocated"] = , "stats.resident", "stats.retained",
 *              "stats.mapped", "stats.active" } (bytes)
 *   mallctl(name) -> the mallctl value as an integer (0 if unknown)
 *   dumpheap() / profactive([bool]): jemalloc heap profiling (needs a jemalloc
 *              started with prof:true; profactive returns nil otherwise)
 * and ours:
 *   allocated() -> jemalloc's stats.allocated (everything, Lua heaps included)
 *   allocator() -> "jemalloc", or "system" in the sanitizer build (whose
 *                  statistics are not comparable) */
#include "skynet.h"
#include "skynet_malloc.h"

#include <lauxlib.h>
#include <lua.h>

static int
ltotal(lua_State *L) {
	lua_pushinteger(L, (lua_Integer)malloc_used_memory());
	return 1;
}

static int
lblock(lua_State *L) {
	lua_pushinteger(L, (lua_Integer)malloc_memory_block());
	return 1;
}

static void
info_one(uint32_t handle, int64_t bytes, void *ud) {
	lua_State *L = ud;
	lua_pushinteger(L, (lua_Integer)bytes);
	lua_rawseti(L, -2, (lua_Integer)handle);
}

static int
linfo(lua_State *L) {
	lua_newtable(L);
	malloc_each_service(info_one, L);
	return 1;
}

static int
lcurrent(lua_State *L) {
	lua_pushinteger(L, (lua_Integer)malloc_current_memory());
	return 1;
}

struct dump_total {
	int64_t bytes;
};

static void
dump_one(uint32_t handle, int64_t bytes, void *ud) {
	struct dump_total *t = ud;
	t->bytes += bytes;
	skynet_error(NULL, ":%08x -> %lldkb %db", handle, (long long)(bytes >> 10), (int)(bytes % 1024));
}

static int
ldump(lua_State *L) {
	(void)L;
	struct dump_total t = { 0 };
	skynet_error(NULL, "dump all service mem:");
	malloc_each_service(dump_one, &t);
	skynet_error(NULL, "+total: %lldkb", (long long)(t.bytes >> 10));
	return 0;
}

static int
ldumpinfo(lua_State *L) {
	const char *opts = luaL_optstring(L, 1, NULL);
	malloc_dump_stats(opts);
	return 0;
}

static int
ljestat(lua_State *L) {
	static const char *names[] = { "stats.allocated", "stats.resident", "stats.retained", "stats.mapped",
		"stats.active" };
	lua_createtable(L, 0, 5);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		lua_pushinteger(L, (lua_Integer)malloc_ctl_read(names[i], NULL));
		lua_setfield(L, -2, names[i]);
	}
	return 1;
}

static int
lmallctl(lua_State *L) {
	const char *name = luaL_checkstring(L, 1);
	lua_pushinteger(L, (lua_Integer)malloc_ctl_read(name, NULL));
	return 1;
}

static int
ldumpheap(lua_State *L) {
	(void)L;
	malloc_ctl_command("prof.dump");
	return 0;
}

static int
lprofactive(lua_State *L) {
	int v, *newval = NULL;
	if (!lua_isnone(L, 1)) {
		v = lua_toboolean(L, 1);
		newval = &v;
	}
	int r = malloc_ctl_bool("prof.active", newval);
	if (r < 0)
		return 0;
	lua_pushboolean(L, r);
	return 1;
}

static int
lallocated(lua_State *L) {
	lua_pushinteger(L, (lua_Integer)malloc_allocated());
	return 1;
}

static int
lallocator(lua_State *L) {
#ifdef NOJEMALLOC
	lua_pushliteral(L, "system");
#else
	lua_pushliteral(L, "jemalloc");
#endif
	return 1;
}

LUAMOD_API int
luaopen_skynet_memory(lua_State *L) {
	luaL_checkversion(L);
	luaL_Reg l[] = {
		{ "total", ltotal },
		{ "block", lblock },
		{ "info", linfo },
		{ "current", lcurrent },
		{ "dump", ldump },
		{ "dumpinfo", ldumpinfo },
		{ "jestat", ljestat },
		{ "mallctl", lmallctl },
		{ "dumpheap", ldumpheap },
		{ "profactive", lprofactive },
		{ "allocated", lallocated },
		{ "allocator", lallocator },
		{ NULL, NULL },
	};
	luaL_newlib(L, l);
	return 1;
}
