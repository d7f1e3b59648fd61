/* lua-memory.c: skynet.memory, the allocator's process-wide statistics.
 *   total() -> bytes allocated by the process (jemalloc stats.allocated)
 *   jestat() -> { allocated = , resident = }
 *   current() -> bytes used by the calling service's Lua state
 *   allocator() -> "jemalloc", or "system" in the sanitizer build (whose
 *                  statistics are not comparable) */
#include "skynet_malloc.h"

#include <lauxlib.h>
#include <lua.h>

static int
ltotal(lua_State *L) {
	lua_pushinteger(L, (lua_Integer)malloc_allocated());
	return 1;
}

static int
ljestat(lua_State *L) {
	lua_createtable(L, 0, 2);
	lua_pushinteger(L, (lua_Integer)malloc_allocated());
	lua_setfield(L, -2, "allocated");
	lua_pushinteger(L, (lua_Integer)malloc_resident());
	lua_setfield(L, -2, "resident");
	return 1;
}

static int
lcurrent(lua_State *L) {
	lua_pushinteger(L, (lua_Integer)lua_gc(L, LUA_GCCOUNT, 0) * 1024 + lua_gc(L, LUA_GCCOUNTB, 0));
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
		{ "jestat", ljestat },
		{ "current", lcurrent },
		{ "allocator", lallocator },
		{ NULL, NULL },
	};
	luaL_newlib(L, l);
	return 1;
}
