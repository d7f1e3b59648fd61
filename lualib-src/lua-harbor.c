/* lua-harbor.c: skynet.harbor.core, what a harbor service written in Lua (the
 * single-node cdummy) needs from the core.
 *
 *   start()  makes the calling service the node's harbor: every message to a
 *            global name, or to a handle of another harbor id, now comes to it
 *            as a PTYPE_SYSTEM message.
 *   unpack(msg, sz) -> name|nil, handle, type, message, size
 *            reads such a message. The inner message (a lightuserdata, or nil
 *            when empty) now belongs to the caller: pass it on with
 *            skynet.redirect or free it with skynet.trash. The outer record is
 *            freed by the dispatcher as usual. */
#include "skynet.h"
#include "skynet_harbor.h"

#include <lauxlib.h>
#include <lua.h>

#include <string.h>

static int
lstart(lua_State *L) {
	lua_getfield(L, LUA_REGISTRYINDEX, "skynet_context");
	struct skynet_context *ctx = lua_touserdata(L, -1);
	if (ctx == NULL)
		return luaL_error(L, "skynet.harbor.core: not running inside a service");
	skynet_harbor_start(ctx);
	return 0;
}

static int
lunpack(lua_State *L) {
	luaL_checktype(L, 1, LUA_TLIGHTUSERDATA);
	const struct remote_message *rmsg = lua_touserdata(L, 1);
	lua_Integer sz = luaL_checkinteger(L, 2);
	if (rmsg == NULL || sz != (lua_Integer)sizeof(*rmsg))
		return luaL_error(L, "skynet.harbor.core.unpack: not a remote message (%d bytes)", (int)sz);
	const char *name = rmsg->destination.name;
	if (name[0])
		lua_pushlstring(L, name, strnlen(name, GLOBALNAME_LENGTH));
	else
		lua_pushnil(L);
	lua_pushinteger(L, rmsg->destination.handle);
	lua_pushinteger(L, rmsg->type);
	if (rmsg->message)
		lua_pushlightuserdata(L, (void *)rmsg->message);
	else
		lua_pushnil(L);
	lua_pushinteger(L, (lua_Integer)rmsg->sz);
	return 5;
}

LUAMOD_API int
luaopen_skynet_harbor_core(lua_State *L) {
	luaL_checkversion(L);
	luaL_Reg l[] = {
		{ "start", lstart },
		{ "unpack", lunpack },
		{ NULL, NULL },
	};
	luaL_newlib(L, l);
	return 1;
}
