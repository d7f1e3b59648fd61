/* lua-skynet.c: the skynet.core module, the Lua face of skynet.h.
 *
 *   send(addr, type, session|nil, msg [,sz])  -> session, or nil if addr is gone
 *       addr: handle (integer) or name (".name", ":hex"); session nil allocates one;
 *       msg: string, or lightuserdata + sz whose ownership passes to the runtime.
 *   redirect(addr, source, type, session, msg [,sz])
 *   genid() -> new session     callback(f [,forward])    command(cmd [,param])
 *   intcommand(cmd [,param]) -> number    addresscommand(cmd [,param]) -> handle
 *   error(text)   trace(tag, text [,co] [,level])   now()   hpc()   self()   harbor(handle) -> id, isremote
 *   pack(...) unpack(msg, sz) packstring(...) tostring(msg, sz) trash(msg, sz)
 *
 * The callback f is called as f(type, msg, sz, session, source) for every message
 * on the service's main thread; with forward = true the message memory is not
 * freed after it returns (skynet.forward_type / redirect). */
#include "skynet.h"
#include "lua-seri.h"

#include <lauxlib.h>
#include <lua.h>

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The callback's ud: the main thread, and snlua's break flag (NULL outside
 * snlua), cleared when a message returns so a signal breaks one message. */
struct callback_context {
	lua_State *L;
	atomic_int *trap;
};

static struct skynet_context *
get_context(lua_State *L) {
	struct skynet_context *ctx = lua_touserdata(L, lua_upvalueindex(1));
	if (ctx == NULL)
		luaL_error(L, "skynet.core used outside a skynet service");
	return ctx;
}

static int
traceback(lua_State *L) {
	const char *msg = lua_tostring(L, 1);
	if (msg)
		luaL_traceback(L, L, msg, 1);
	else
		lua_pushliteral(L, "(no error message)");
	return 1;
}

/* The registry key of the Lua callback function. */
static int callback_key;
static int callback_context_key;

static int
dispatch_cb(struct skynet_context *ctx, void *ud, int type, int session, uint32_t source, const void *msg,
	size_t sz, int forward) {
	struct callback_context *cc = ud;
	lua_State *L = cc->L;
	int top = lua_gettop(L);
	if (top == 0) {
		lua_pushcfunction(L, traceback);
		lua_rawgetp(L, LUA_REGISTRYINDEX, &callback_key);
	} else {
		lua_settop(L, 2);
	}
	lua_pushvalue(L, 2);
	lua_pushinteger(L, type);
	lua_pushlightuserdata(L, (void *)msg);
	lua_pushinteger(L, (lua_Integer)sz);
	lua_pushinteger(L, session);
	lua_pushinteger(L, source);
	int r = lua_pcall(L, 5, 0, 1);
	if (cc->trap && atomic_load_explicit(cc->trap, memory_order_relaxed))
		atomic_store(cc->trap, 0);
	if (r != LUA_OK) {
		const char *err = lua_tostring(L, -1);
		skynet_error(ctx, "lua call [%x to :%x : %d msgsz = %zu] error : %s", source,
			skynet_context_handle(ctx), session, sz, err ? err : "(not a string)");
		/* Out of memory (the service's memlimit): the failed message's garbage
		 * is unreachable now; collect it so the clean-up can allocate. */
		if (r == LUA_ERRMEM)
			lua_gc(L, LUA_GCCOLLECT);
		/* skynet.lua's clean-up: answer the failed request, run pending forks. */
		if (lua_getfield(L, LUA_REGISTRYINDEX, "skynet_after_error") == LUA_TFUNCTION) {
			lua_pushvalue(L, -2);
			if (lua_pcall(L, 1, 0, 1) != LUA_OK) {
				err = lua_tostring(L, -1);
				skynet_error(ctx, "lua call [%x to :%x : %d] error after error : %s", source,
					skynet_context_handle(ctx), session, err ? err : "(not a string)");
			}
		}
		lua_settop(L, 2);
	}
	return forward;
}

static int
cb_normal(struct skynet_context *ctx, void *ud, int type, int session, uint32_t source, const void *msg,
	size_t sz) {
	return dispatch_cb(ctx, ud, type, session, source, msg, sz, 0);
}

static int
cb_forward(struct skynet_context *ctx, void *ud, int type, int session, uint32_t source, const void *msg,
	size_t sz) {
	return dispatch_cb(ctx, ud, type, session, source, msg, sz, 1);
}

static int
lcallback(lua_State *L) {
	struct skynet_context *ctx = get_context(L);
	int forward = lua_toboolean(L, 2);
	luaL_checktype(L, 1, LUA_TFUNCTION);
	lua_settop(L, 1);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &callback_key);
	/* Callbacks run on the main thread, whatever coroutine set them. */
	lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
	lua_State *gL = lua_tothread(L, -1);
	/* Anchored in the registry: lives as long as the state. */
	struct callback_context *cc = lua_newuserdatauv(L, sizeof(*cc), 0);
	cc->L = gL;
	lua_getfield(L, LUA_REGISTRYINDEX, "snlua_trap");
	cc->trap = lua_touserdata(L, -1);
	lua_pop(L, 1);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &callback_context_key);
	skynet_callback(ctx, cc, forward ? cb_forward : cb_normal);
	return 0;
}

static int
lcommand(lua_State *L) {
	struct skynet_context *ctx = get_context(L);
	const char *cmd = luaL_checkstring(L, 1);
	const char *parm = NULL;
	if (lua_gettop(L) == 2) {
		if (lua_type(L, 2) == LUA_TNUMBER) {
			parm = lua_pushfstring(L, "%d", (int)lua_tointeger(L, 2));
		} else {
			parm = luaL_checkstring(L, 2);
		}
	}
	const char *result = skynet_command(ctx, cmd, parm);
	if (result) {
		lua_pushstring(L, result);
		return 1;
	}
	return 0;
}

static int
laddresscommand(lua_State *L) {
	struct skynet_context *ctx = get_context(L);
	const char *cmd = luaL_checkstring(L, 1);
	const char *parm = lua_gettop(L) >= 2 ? luaL_checkstring(L, 2) : NULL;
	const char *result = skynet_command(ctx, cmd, parm);
	if (result && result[0] == ':') {
		lua_pushinteger(L, (lua_Integer)strtoul(result + 1, NULL, 16));
		return 1;
	}
	return 0;
}

static int
lintcommand(lua_State *L) {
	struct skynet_context *ctx = get_context(L);
	const char *cmd = luaL_checkstring(L, 1);
	const char *parm = NULL;
	char tmp[64];
	if (lua_gettop(L) == 2) {
		if (lua_isinteger(L, 2)) {
			snprintf(tmp, sizeof(tmp), "%lld", (long long)lua_tointeger(L, 2));
			parm = tmp;
		} else {
			parm = luaL_checkstring(L, 2);
		}
	}
	const char *result = skynet_command(ctx, cmd, parm);
	if (result == NULL)
		return 0;
	char *end;
	double d = strtod(result, &end);
	if (*end == '\0' && strchr(result, '.') == NULL)
		lua_pushinteger(L, (lua_Integer)strtoll(result, NULL, 10));
	else
		lua_pushnumber(L, d);
	return 1;
}

static int
lgenid(lua_State *L) {
	struct skynet_context *ctx = get_context(L);
	int session = skynet_send(ctx, 0, 0, PTYPE_TAG_ALLOCSESSION, 0, NULL, 0);
	lua_pushinteger(L, session);
	return 1;
}

static const char *
get_dest_string(lua_State *L, int index) {
	const char *dest = lua_tostring(L, index);
	if (dest == NULL)
		luaL_error(L, "destination address type (%s) must be a string or number",
			luaL_typename(L, index));
	return dest;
}

/* Shared by send and redirect: the message starts at index idx_type + 2. */
static int
send_message(lua_State *L, int source, int idx_type) {
	struct skynet_context *ctx = get_context(L);
	uint32_t dest = (uint32_t)lua_tointeger(L, 1);
	const char *dest_string = NULL;
	if (dest == 0) {
		if (lua_type(L, 1) == LUA_TNUMBER)
			return luaL_error(L, "invalid service address 0");
		dest_string = get_dest_string(L, 1);
	}
	int type = (int)luaL_checkinteger(L, idx_type);
	int session = 0;
	if (lua_isnil(L, idx_type + 1))
		type |= PTYPE_TAG_ALLOCSESSION;
	else
		session = (int)luaL_checkinteger(L, idx_type + 1);
	int mtype = lua_type(L, idx_type + 2);
	void *msg = NULL;
	size_t len = 0;
	switch (mtype) {
	case LUA_TSTRING:
		msg = (void *)lua_tolstring(L, idx_type + 2, &len);
		if (len == 0)
			msg = NULL;
		break;
	case LUA_TLIGHTUSERDATA:
		msg = lua_touserdata(L, idx_type + 2);
		len = (size_t)luaL_checkinteger(L, idx_type + 3);
		type |= PTYPE_TAG_DONTCOPY;
		break;
	case LUA_TNONE:
	case LUA_TNIL:
		break;
	default:
		return luaL_error(L, "invalid param %s", lua_typename(L, mtype));
	}
	if (dest_string)
		session = skynet_sendname(ctx, (uint32_t)source, dest_string, type, session, msg, len);
	else
		session = skynet_send(ctx, (uint32_t)source, dest, type, session, msg, len);
	if (session < 0) {
		if (session == -2)
			return luaL_error(L, "package is too large");
		/* The destination is gone: the caller decides what that means. */
		return 0;
	}
	lua_pushinteger(L, session);
	return 1;
}

static int
lsend(lua_State *L) {
	return send_message(L, 0, 2);
}

static int
lredirect(lua_State *L) {
	uint32_t source = (uint32_t)luaL_checkinteger(L, 2);
	return send_message(L, (int)source, 3);
}

static int
lerror(lua_State *L) {
	struct skynet_context *ctx = get_context(L);
	int n = lua_gettop(L);
	if (n <= 1) {
		lua_settop(L, 1);
		const char *s = luaL_tolstring(L, 1, NULL);
		skynet_error(ctx, "%s", s);
		return 0;
	}
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	for (int i = 1; i <= n; i++) {
		luaL_tolstring(L, i, NULL);
		luaL_addvalue(&b);
		if (i < n)
			luaL_addchar(&b, ' ');
	}
	luaL_pushresult(&b);
	skynet_error(ctx, "%s", lua_tostring(L, -1));
	return 0;
}

static int
ltostring(lua_State *L) {
	if (lua_isnoneornil(L, 1))
		return 0;
	char *msg = lua_touserdata(L, 1);
	int sz = (int)luaL_checkinteger(L, 2);
	lua_pushlstring(L, msg, (size_t)sz);
	return 1;
}

static int
lharbor(lua_State *L) {
	struct skynet_context *ctx = get_context(L);
	uint32_t handle = (uint32_t)luaL_checkinteger(L, 1);
	int harbor = 0;
	int remote = skynet_isremote(ctx, handle, &harbor);
	lua_pushinteger(L, harbor);
	lua_pushboolean(L, remote);
	return 2;
}

static int
lpackstring(lua_State *L) {
	luaseri_pack(L);
	char *str = lua_touserdata(L, -2);
	int sz = (int)lua_tointeger(L, -1);
	lua_pushlstring(L, str, (size_t)sz);
	skynet_free(str);
	return 1;
}

static int
ltrash(lua_State *L) {
	int t = lua_type(L, 1);
	switch (t) {
	case LUA_TSTRING:
	case LUA_TNIL:
	case LUA_TNONE:
		break;
	case LUA_TLIGHTUSERDATA:
		skynet_free(lua_touserdata(L, 1));
		break;
	default:
		return luaL_error(L, "skynet.trash invalid param %s", lua_typename(L, t));
	}
	return 0;
}

static int
lnow(lua_State *L) {
	lua_pushinteger(L, (lua_Integer)skynet_now());
	return 1;
}

static int
lhpc(lua_State *L) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	lua_pushinteger(L, (lua_Integer)ts.tv_sec * 1000000000 + ts.tv_nsec);
	return 1;
}

static int
lself(lua_State *L) {
	struct skynet_context *ctx = get_context(L);
	lua_pushinteger(L, skynet_context_handle(ctx));
	return 1;
}

/* trace(tag, text [, co] [, level]): skynet's trace line
 * "<TRACE tag> <monotonic ns> text", and with a level (default 1 once a
 * thread or level is given) " : source:line" for up to 3 Lua frames from
 * that level up, as skynet's skynet.call and sleep report where they were. */
#define TRACE_FRAMES 3

static int
ltrace(lua_State *L) {
	struct skynet_context *ctx = get_context(L);
	const char *tag = luaL_checkstring(L, 1);
	const char *user = luaL_optstring(L, 2, "");
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	long long now = (long long)ts.tv_sec * 1000000000 + ts.tv_nsec;
	if (lua_isnoneornil(L, 3)) {
		skynet_error(ctx, "<TRACE %s> %lld %s", tag, now, user);
		return 0;
	}
	lua_State *co = L;
	int level;
	if (lua_isthread(L, 3)) {
		co = lua_tothread(L, 3);
		level = (int)luaL_optinteger(L, 4, 1);
	} else {
		level = (int)luaL_optinteger(L, 3, 1);
	}
	char where[3 * TRACE_FRAMES * 128];
	size_t used = 0;
	int frames = 0;
	lua_Debug ar;
	while (frames < TRACE_FRAMES && lua_getstack(co, level++, &ar)) {
		lua_getinfo(co, "Sl", &ar);
		if (ar.currentline < 0)
			continue; /* C functions: skynet skips them too */
		int n = snprintf(where + used, sizeof(where) - used, "%s%s:%d",
			frames ? " " : " : ", ar.source, ar.currentline);
		if (n < 0 || (size_t)n >= sizeof(where) - used)
			break;
		used += (size_t)n;
		frames++;
	}
	where[used] = '\0';
	skynet_error(ctx, "<TRACE %s> %lld %s%s", tag, now, user, where);
	return 0;
}

LUAMOD_API int
luaopen_skynet_core(lua_State *L) {
	luaL_checkversion(L);
	luaL_Reg with_ctx[] = {
		{ "send", lsend },
		{ "genid", lgenid },
		{ "redirect", lredirect },
		{ "command", lcommand },
		{ "intcommand", lintcommand },
		{ "addresscommand", laddresscommand },
		{ "error", lerror },
		{ "harbor", lharbor },
		{ "callback", lcallback },
		{ "self", lself },
		{ "trace", ltrace },
		{ NULL, NULL },
	};
	luaL_Reg plain[] = {
		{ "pack", luaseri_pack },
		{ "unpack", luaseri_unpack },
		{ "packstring", lpackstring },
		{ "tostring", ltostring },
		{ "trash", ltrash },
		{ "now", lnow },
		{ "hpc", lhpc },
		{ NULL, NULL },
	};
	lua_createtable(L, 0, sizeof(with_ctx) / sizeof(with_ctx[0]) + sizeof(plain) / sizeof(plain[0]));
	lua_getfield(L, LUA_REGISTRYINDEX, "skynet_context");
	struct skynet_context *ctx = lua_touserdata(L, -1);
	if (ctx == NULL)
		return luaL_error(L, "skynet.core: init the skynet context first (not running inside snlua?)");
	luaL_setfuncs(L, with_ctx, 1);
	luaL_setfuncs(L, plain, 0);
	return 1;
}
