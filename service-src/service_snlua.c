/* service_snlua.c: the Lua service loader. One lua_State per service.
 *
 * - Memory: each state has its own allocator that counts the service's bytes,
 *   warns in the log each time usage doubles past 32 MiB, and refuses to grow
 *   past the service's limit (config `memlimit`, or skynet.memlimit before
 *   start): Lua then raises "not enough memory" instead of the node crashing.
 * - Loading: init only queues a message to itself; the Lua code (lualoader, then
 *   the service file) runs when a worker dispatches it, so LAUNCH stays cheap.
 * - Endless loops: signal 0 (SIGNAL, the console's `signal`, or the monitor
 *   after endless_break / at shutdown) sets a count hook on the coroutine that
 *   is running (lua-profile.c keeps it in `active`); the hook raises "signal 0"
 *   at every instruction until the message returns (lua-skynet.c clears `trap`
 *   then), so a loop that catches the error (`while true do pcall(f) end`) is
 *   still broken. The service survives; the message that looped fails. */
#include "skynet.h"
#include "snlua_cache.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MEMORY_WARNING_REPORT (1024 * 1024 * 32)

struct snlua {
	lua_State *L;
	struct skynet_context *ctx;
	size_t mem;
	size_t mem_report;
	size_t mem_limit;
	_Atomic(lua_State *) active;
	atomic_int trap;
	int bootstrap;
};

static void
signal_hook(lua_State *L, lua_Debug *ar) {
	(void)ar;
	void *ud = NULL;
	lua_getallocf(L, &ud);
	struct snlua *l = ud;
	if (atomic_load(&l->trap) == 0) {
		/* The message that was signalled has returned. */
		lua_sethook(L, NULL, 0, 0);
		return;
	}
	luaL_error(L, "signal 0");
}

/* Libraries most services never touch are opened on first use: the global
 * (and package.loaded entry) is a stub table whose metamethods open the real
 * library, copy it into the stub and drop the metatable. Saves ~8 KiB a state. */
struct lazy_lib {
	const char *name;
	lua_CFunction open;
};

static const struct lazy_lib lazy_libs[] = {
	{ LUA_IOLIBNAME, luaopen_io },
	{ LUA_OSLIBNAME, luaopen_os },
	{ LUA_MATHLIBNAME, luaopen_math },
	{ LUA_UTF8LIBNAME, luaopen_utf8 },
	{ NULL, NULL },
};

static void
lazy_fill(lua_State *L, int stub) {
	if (lua_getmetatable(L, stub) == 0)
		return;
	lua_getfield(L, -1, "__lib");
	lua_CFunction open = lua_tocfunction(L, -1);
	lua_pop(L, 2);
	lua_pushnil(L);
	lua_setmetatable(L, stub);
	lua_pushcfunction(L, open);
	lua_call(L, 0, 1);
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		lua_pushvalue(L, -2);
		lua_insert(L, -2);
		lua_rawset(L, stub);
	}
	lua_pop(L, 1);
}

static int
lazy_index(lua_State *L) {
	lazy_fill(L, 1);
	lua_rawget(L, 1);
	return 1;
}

static int
lazy_pairs(lua_State *L) {
	lazy_fill(L, 1);
	lua_getglobal(L, "next");
	lua_pushvalue(L, 1);
	lua_pushnil(L);
	return 3;
}

static void
open_libs(lua_State *L) {
	static const luaL_Reg eager[] = {
		{ LUA_GNAME, luaopen_base },
		{ LUA_LOADLIBNAME, luaopen_package },
		{ LUA_COLIBNAME, luaopen_coroutine },
		{ LUA_TABLIBNAME, luaopen_table },
		{ LUA_STRLIBNAME, luaopen_string },
		{ LUA_DBLIBNAME, luaopen_debug },
		{ NULL, NULL },
	};
	for (const luaL_Reg *lib = eager; lib->func; lib++) {
		luaL_requiref(L, lib->name, lib->func, 1);
		lua_pop(L, 1);
	}
	luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
	for (const struct lazy_lib *lib = lazy_libs; lib->name; lib++) {
		lua_newtable(L);
		lua_createtable(L, 0, 3);
		lua_pushcfunction(L, lazy_index);
		lua_setfield(L, -2, "__index");
		lua_pushcfunction(L, lazy_pairs);
		lua_setfield(L, -2, "__pairs");
		lua_pushcfunction(L, lib->open);
		lua_setfield(L, -2, "__lib");
		lua_setmetatable(L, -2);
		lua_pushvalue(L, -1);
		lua_setfield(L, -3, lib->name);
		lua_setglobal(L, lib->name);
	}
	lua_pop(L, 1);
}

static void *
lalloc(void *ud, void *ptr, size_t osize, size_t nsize) {
	struct snlua *l = ud;
	size_t mem = l->mem;
	if (ptr == NULL)
		osize = 0;
	if (nsize == 0) {
		free(ptr);
		l->mem = mem - osize;
		return NULL;
	}
	if (nsize > osize && l->mem_limit != 0 && mem - osize + nsize > l->mem_limit)
		return NULL;
	void *p = realloc(ptr, nsize);
	if (p == NULL)
		return NULL;
	l->mem = mem - osize + nsize;
	if (l->mem > l->mem_report) {
		l->mem_report *= 2;
		skynet_error(l->ctx, "Memory warning %.2f M", (float)l->mem / (1024 * 1024));
	}
	return p;
}

static size_t
parse_size(const char *s) {
	if (s == NULL)
		return 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	switch (*end) {
	case 'k': case 'K': v <<= 10; break;
	case 'm': case 'M': v <<= 20; break;
	case 'g': case 'G': v <<= 30; break;
	default: break;
	}
	return (size_t)v;
}

static const char *
optstring(struct skynet_context *ctx, const char *key, const char *def) {
	const char *v = skynet_command(ctx, "GETENV", key);
	return v ? v : def;
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

/* The first Lua service is the bootstrap: without it the node is useless. */
static atomic_int instances;

static void
report_launcher_error(struct skynet_context *ctx, struct snlua *l) {
	if (l->bootstrap) {
		skynet_command(ctx, "ABORT", "the bootstrap service failed");
		return;
	}
	/* Tell the launcher that init failed, so newservice raises in the creator. */
	skynet_sendname(ctx, 0, ".launcher", PTYPE_TEXT, 0, "ERROR", 5);
}

static int
init_cb(struct snlua *l, struct skynet_context *ctx, const char *args, size_t sz) {
	lua_State *L = l->L;
	l->ctx = ctx;
	lua_gc(L, LUA_GCSTOP, 0);
	open_libs(L);
	lua_pushlightuserdata(L, ctx);
	lua_setfield(L, LUA_REGISTRYINDEX, "skynet_context");
	lua_pushlightuserdata(L, l);
	lua_setfield(L, LUA_REGISTRYINDEX, "snlua_instance");
	lua_pushlightuserdata(L, &l->active);
	lua_setfield(L, LUA_REGISTRYINDEX, "snlua_active");
	lua_pushlightuserdata(L, &l->trap);
	lua_setfield(L, LUA_REGISTRYINDEX, "snlua_trap");
	snlua_cache_install(L);

	lua_pushstring(L, optstring(ctx, "lua_path", "./lualib/?.lua;./lualib/?/init.lua"));
	lua_setglobal(L, "LUA_PATH");
	lua_pushstring(L, optstring(ctx, "lua_cpath", "./luaclib/?.so"));
	lua_setglobal(L, "LUA_CPATH");
	lua_pushstring(L, optstring(ctx, "luaservice", "./service/?.lua"));
	lua_setglobal(L, "LUA_SERVICE");
	const char *preload = skynet_command(ctx, "GETENV", "preload");
	lua_pushstring(L, preload);
	lua_setglobal(L, "LUA_PRELOAD");

	lua_pushcfunction(L, traceback);
	const char *loader = optstring(ctx, "lualoader", "./lualib/loader.lua");
	int r = snlua_cache_loadfile(L, loader);
	if (r != LUA_OK) {
		skynet_error(ctx, "error: can't load %s: %s", loader, lua_tostring(L, -1));
		report_launcher_error(ctx, l);
		return 1;
	}
	lua_pushlstring(L, args, sz);
	r = lua_pcall(L, 1, 0, 1);
	if (r != LUA_OK) {
		skynet_error(ctx, "error: launch service \"%.*s\" failed: %s", (int)sz, args, lua_tostring(L, -1));
		report_launcher_error(ctx, l);
		return 1;
	}
	lua_settop(L, 0);
	if (lua_getfield(L, LUA_REGISTRYINDEX, "memlimit") == LUA_TNUMBER) {
		size_t limit = (size_t)lua_tointeger(L, -1);
		l->mem_limit = limit;
		skynet_error(ctx, "Set memory limit to %.2f M", (float)limit / (1024 * 1024));
	}
	lua_pop(L, 1);
	lua_gc(L, LUA_GCRESTART, 0);
	lua_gc(L, LUA_GCGEN, 0, 0);
	return 0;
}

static int
launch_cb(struct skynet_context *ctx, void *ud, int type, int session, uint32_t source, const void *msg,
	size_t sz) {
	(void)type;
	(void)session;
	(void)source;
	struct snlua *l = ud;
	skynet_callback(ctx, NULL, NULL);
	if (init_cb(l, ctx, msg, sz))
		skynet_command(ctx, "EXIT", NULL);
	return 0;
}

/* skynet.lua registers a function that answers every request still waiting for
 * a response with an error, so callers of a killed service do not hang. */
static void
run_release_hook(lua_State *L) {
	if (lua_getfield(L, LUA_REGISTRYINDEX, "skynet_release_hook") == LUA_TFUNCTION) {
		if (lua_pcall(L, 0, 0, 0) != LUA_OK)
			lua_pop(L, 1);
	} else {
		lua_pop(L, 1);
	}
}

struct snlua *
snlua_create(void) {
	struct snlua *l = skynet_calloc(1, sizeof(*l));
	l->mem_report = MEMORY_WARNING_REPORT;
	l->L = lua_newstate(lalloc, l);
	atomic_init(&l->active, NULL);
	atomic_init(&l->trap, 0);
	l->bootstrap = atomic_fetch_add(&instances, 1) == 0;
	return l;
}

int
snlua_init(struct snlua *l, struct skynet_context *ctx, const char *args) {
	if (l->L == NULL)
		return 1;
	l->ctx = ctx;
	l->mem_limit = parse_size(skynet_command(ctx, "GETENV", "memlimit"));
	size_t sz = strlen(args ? args : "");
	char *tmp = skynet_malloc(sz);
	memcpy(tmp, args ? args : "", sz);
	skynet_callback(ctx, l, launch_cb);
	const char *self = skynet_command(ctx, "REG", NULL);
	uint32_t handle = (uint32_t)strtoul(self + 1, NULL, 16);
	/* The first message this service sees is its own start-up. */
	skynet_send(ctx, 0, handle, PTYPE_TAG_DONTCOPY, 0, tmp, sz);
	return 0;
}

void
snlua_release(struct snlua *l) {
	if (l->L) {
		run_release_hook(l->L);
		lua_close(l->L);
	}
	skynet_free(l);
}

void
snlua_signal(struct snlua *l, int signal) {
	skynet_error(l->ctx, "recv a signal %d", signal);
	if (signal == 0) {
		lua_State *L = atomic_load(&l->active);
		if (L == NULL)
			L = l->L;
		atomic_store(&l->trap, 1);
		lua_sethook(L, signal_hook, LUA_MASKCOUNT, 1);
	} else if (signal == 1) {
		skynet_error(l->ctx, "Current Memory %.3fK", (float)l->mem / 1024);
	}
}

/* For skynet.memory / debug MEM: bytes used by this service's Lua state. */
size_t
snlua_memory(struct snlua *l) {
	return l->mem;
}
