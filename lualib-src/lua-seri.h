/* lua-seri.h: the byte format behind skynet.pack/unpack. Registered as Lua
 * functions by lua-skynet.c; this module owns only the encoding. */
#ifndef LUA_SERI_H
#define LUA_SERI_H

#include <lua.h>

/* pack(...) -> lightuserdata, size. The buffer comes from skynet_malloc and
 * belongs to the caller (usually handed to skynet_send, or freed by trash). */
int luaseri_pack(lua_State *L);
/* unpack(lightuserdata, size) | unpack(string) -> the packed values;
 * unpack(nil) -> nothing. Never takes ownership of the buffer. */
int luaseri_unpack(lua_State *L);

#endif
