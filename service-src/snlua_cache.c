/* snlua_cache.c: compiled-chunk cache shared by every Lua service.
 *
 * Parsing a library costs several times more than loading its precompiled
 * chunk, and every service loads the same libraries, so the first load of a
 * file dumps its function (with debug info: tracebacks keep their line numbers)
 * and later loads read the dump. Entries live until clear() or exit; a file
 * edited on disk is picked up after skynet.codecache.clear(). */
#include "snlua_cache.h"
#include "skynet.h"

#include <lauxlib.h>

#include <pthread.h>
#include <string.h>

#define BUCKETS 256

struct chunk {
	struct chunk *next;
	char *name;
	char *data;
	size_t sz;
};

struct dump_buffer {
	char *data;
	size_t sz;
	size_t cap;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct chunk *cache[BUCKETS];

static unsigned
hash_name(const char *s) {
	unsigned h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % BUCKETS;
}

static struct chunk *
find(const char *name) {
	for (struct chunk *c = cache[hash_name(name)]; c; c = c->next) {
		if (strcmp(c->name, name) == 0)
			return c;
	}
	return NULL;
}

static int
dump_writer(lua_State *L, const void *p, size_t sz, void *ud) {
	(void)L;
	struct dump_buffer *b = ud;
	if (b->sz + sz > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		while (cap < b->sz + sz)
			cap *= 2;
		b->data = skynet_realloc(b->data, cap);
		b->cap = cap;
	}
	memcpy(b->data + b->sz, p, sz);
	b->sz += sz;
	return 0;
}

struct reader_state {
	const char *data;
	size_t sz;
};

static const char *
chunk_reader(lua_State *L, void *ud, size_t *sz) {
	(void)L;
	struct reader_state *r = ud;
	if (r->sz == 0)
		return NULL;
	*sz = r->sz;
	r->sz = 0;
	return r->data;
}

static int
load_chunk(lua_State *L, struct chunk *c) {
	struct reader_state r = { c->data, c->sz };
	char chunkname[512];
	snprintf(chunkname, sizeof(chunkname), "@%s", c->name);
	return lua_load(L, chunk_reader, &r, chunkname, "b");
}

/* Loading under the lock keeps the chunk alive while it is read; lua_load of a
 * binary chunk is short. */
static int
load_cached(lua_State *L, const char *filename, int *found) {
	pthread_mutex_lock(&cache_lock);
	struct chunk *c = find(filename);
	int r = LUA_OK;
	*found = c != NULL;
	if (c)
		r = load_chunk(L, c);
	pthread_mutex_unlock(&cache_lock);
	return r;
}

static void
store(const char *filename, struct dump_buffer *b) {
	pthread_mutex_lock(&cache_lock);
	if (find(filename)) {
		skynet_free(b->data);
	} else {
		struct chunk *c = skynet_malloc(sizeof(*c));
		unsigned h = hash_name(filename);
		c->name = skynet_strdup(filename);
		c->data = b->data;
		c->sz = b->sz;
		c->next = cache[h];
		cache[h] = c;
	}
	pthread_mutex_unlock(&cache_lock);
}

int
snlua_cache_loadfile(lua_State *L, const char *filename) {
	int found;
	int r = load_cached(L, filename, &found);
	if (found)
		return r;
	r = luaL_loadfilex(L, filename, "t");
	if (r != LUA_OK)
		return r;
	struct dump_buffer b = { NULL, 0, 0 };
	lua_dump(L, dump_writer, &b, 0);
	store(filename, &b);
	return LUA_OK;
}

static int
lcache_loadfile(lua_State *L) {
	const char *filename = luaL_checkstring(L, 1);
	if (snlua_cache_loadfile(L, filename) != LUA_OK) {
		lua_pushnil(L);
		lua_insert(L, -2);
		return 2;
	}
	return 1;
}

static int
lcache_clear(lua_State *L) {
	(void)L;
	pthread_mutex_lock(&cache_lock);
	for (int i = 0; i < BUCKETS; i++) {
		struct chunk *c = cache[i];
		while (c) {
			struct chunk *next = c->next;
			skynet_free(c->name);
			skynet_free(c->data);
			skynet_free(c);
			c = next;
		}
		cache[i] = NULL;
	}
	pthread_mutex_unlock(&cache_lock);
	return 0;
}

/* package.searchers[2] replacement: the same search, loading through the cache. */
static int
searcher_lua(lua_State *L) {
	const char *name = luaL_checkstring(L, 1);
	lua_getglobal(L, "package");
	lua_getfield(L, -1, "searchpath");
	lua_pushstring(L, name);
	lua_getfield(L, -3, "path");
	lua_call(L, 2, 2);
	if (lua_isnil(L, -2))
		return 1; /* the "no file ..." message */
	const char *filename = lua_tostring(L, -2);
	if (snlua_cache_loadfile(L, filename) != LUA_OK)
		return luaL_error(L, "error loading module '%s' from file '%s':\n\t%s", name, filename,
			lua_tostring(L, -1));
	lua_pushstring(L, filename);
	return 2;
}

/* The require every service gets from loader.lua (hook_require). A require
 * from a coroutine other than the main one goes to skynet.require's, loaded
 * on first need, so a module's skynet.init functions may block before
 * require returns; everything else (the main chunk, modules already loaded,
 * the runtime's own lazy tiers skynet.ext*, which never block) stays Lua's.
 * In C because every service holds it: a Lua closure costs each idle
 * service about 1 KB of heap. Upvalues: Lua's require, then skynet.require's
 * (nil until first used). */
static int
require_done(lua_State *L, int status, lua_KContext base) {
	(void)status;
	return lua_gettop(L) - (int)base;
}

static int
require_routed(lua_State *L) {
	if (lua_pushthread(L)) { /* the main thread */
		lua_pop(L, 1);
		return 0;
	}
	lua_pop(L, 1);
	if (lua_type(L, 1) != LUA_TSTRING)
		return 0;
	const char *name = lua_tostring(L, 1);
	if (strncmp(name, "skynet.ext", 10) == 0)
		return 0;
	lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
	int loaded = lua_getfield(L, -1, name) != LUA_TNIL;
	lua_pop(L, 2);
	return !loaded;
}

static int
lrequire(lua_State *L) {
	lua_settop(L, 1);
	if (!require_routed(L)) {
		lua_pushvalue(L, lua_upvalueindex(1));
		lua_insert(L, 1);
		lua_call(L, 1, LUA_MULTRET);
		return lua_gettop(L);
	}
	if (lua_isnil(L, lua_upvalueindex(2))) {
		lua_pushvalue(L, lua_upvalueindex(1));
		lua_pushliteral(L, "skynet.require");
		lua_call(L, 1, 1);
		lua_getfield(L, -1, "require");
		lua_replace(L, lua_upvalueindex(2));
		lua_pop(L, 1);
	}
	lua_pushvalue(L, lua_upvalueindex(2));
	lua_insert(L, 1);
	/* skynet.require may yield (a module that blocks in its init). */
	lua_callk(L, 1, LUA_MULTRET, 0, require_done);
	return require_done(L, LUA_OK, 0);
}

static int
lhook_require(lua_State *L) {
	luaL_checktype(L, 1, LUA_TFUNCTION);
	lua_settop(L, 1);
	lua_pushnil(L);
	lua_pushcclosure(L, lrequire, 2);
	return 1;
}

static int
open_codecache(lua_State *L) {
	luaL_Reg l[] = {
		{ "loadfile", lcache_loadfile },
		{ "clear", lcache_clear },
		{ "hook_require", lhook_require },
		{ NULL, NULL },
	};
	luaL_newlib(L, l);
	return 1;
}

void
snlua_cache_install(lua_State *L) {
	lua_getglobal(L, "package");
	lua_getfield(L, -1, "searchers");
	lua_pushcfunction(L, searcher_lua);
	lua_rawseti(L, -2, 2);
	lua_pop(L, 1);
	lua_getfield(L, -1, "preload");
	lua_pushcfunction(L, open_codecache);
	lua_setfield(L, -2, "skynet.codecache");
	lua_pop(L, 2);
}

/* Exit-time cleanup so leak checkers see a clean process. */
__attribute__((destructor)) static void
cache_free_all(void) {
	lcache_clear(NULL);
}
