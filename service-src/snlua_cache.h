/* snlua_cache.h: the process-wide cache of compiled Lua chunks (part of snlua). */
#ifndef SNLUA_CACHE_H
#define SNLUA_CACHE_H

#include <lua.h>

/* Like luaL_loadfile, but a file is parsed once per process: later loads come
 * from its precompiled chunk. Pushes the function or an error message. */
int snlua_cache_loadfile(lua_State *L, const char *filename);
/* Makes `require` of Lua files and `skynet.codecache` use the cache. */
void snlua_cache_install(lua_State *L);

#endif
