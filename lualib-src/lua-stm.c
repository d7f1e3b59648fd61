/* lua-stm.c: skynet.stm, a value one service writes and others read
 * without messages. The writer owns an object holding the current version
 * (a packed message and its size, refcounted); a reader takes the current
 * version under a short lock and decodes it only when it changed.
 *
 *   stm.new(msg, sz | string) -> writer      writer(msg, sz | string): new version
 *   stm.copy(writer) -> ptr                  (a light userdata: one reference to
 *                                             the object, to send to a reader)
 *   stm.newcopy(ptr) -> reader               (takes that reference)
 *   reader(f [, ud]) -> true, f(msg, sz, ud)... if the version changed since the
 *                       last read, else false (also once the writer is gone)
 * A message given as (msg, sz) is owned by stm from then on (as skynet.pack's). */
#include "atomic.h"
#include "skynet_malloc.h"
#include "spinlock.h"

#include <lauxlib.h>
#include <lua.h>
#include <string.h>

#define WRITER_META "skynet.stm.writer"
#define READER_META "skynet.stm.reader"

struct stm_version {
	ATOM_INT ref;
	uint32_t sz;
	void *msg;
};

struct stm_object {
	struct spinlock lock;
	ATOM_INT ref; /* the writer and every reader */
	struct stm_version *current; /* NULL once the writer is gone */
};

struct stm_writer {
	struct stm_object *obj;
};

struct stm_reader {
	struct stm_object *obj;
	struct stm_version *last;
};

static struct stm_version *
version_new(void *msg, uint32_t sz) {
	struct stm_version *v = skynet_malloc(sizeof(*v));
	ATOM_INIT(&v->ref, 1);
	v->sz = sz;
	v->msg = msg;
	return v;
}

static void
version_release(struct stm_version *v) {
	if (v && ATOM_FDEC(&v->ref) == 1) {
		skynet_free(v->msg);
		skynet_free(v);
	}
}

static void
object_release(struct stm_object *obj) {
	if (ATOM_FDEC(&obj->ref) == 1)
		skynet_free(obj);
}

/* The current version with a reference taken (NULL if none). */
static struct stm_version *
object_grab(struct stm_object *obj) {
	spinlock_lock(&obj->lock);
	struct stm_version *v = obj->current;
	if (v)
		ATOM_FINC(&v->ref);
	spinlock_unlock(&obj->lock);
	return v;
}

static void
object_set(struct stm_object *obj, struct stm_version *v) {
	spinlock_lock(&obj->lock);
	struct stm_version *old = obj->current;
	obj->current = v;
	spinlock_unlock(&obj->lock);
	version_release(old);
}

/* The message at idx (msg, sz) or (string): owned memory and its size. */
static void *
get_message(lua_State *L, int idx, uint32_t *sz) {
	size_t n;
	void *msg;
	if (lua_type(L, idx) == LUA_TLIGHTUSERDATA) {
		lua_Integer len = luaL_checkinteger(L, idx + 1);
		if (len < 0 || len > UINT32_MAX)
			luaL_error(L, "stm: bad message size %d", (int)len);
		*sz = (uint32_t)len;
		return lua_touserdata(L, idx);
	}
	const char *s = luaL_checklstring(L, idx, &n);
	if (n > UINT32_MAX)
		luaL_error(L, "stm: message too large");
	msg = skynet_malloc(n ? n : 1);
	memcpy(msg, s, n);
	*sz = (uint32_t)n;
	return msg;
}

static int
lnew(lua_State *L) {
	struct stm_writer *w = lua_newuserdatauv(L, sizeof(*w), 0);
	w->obj = NULL;
	luaL_setmetatable(L, WRITER_META);
	uint32_t sz;
	void *msg = get_message(L, 1, &sz);
	struct stm_object *obj = skynet_malloc(sizeof(*obj));
	spinlock_init(&obj->lock);
	ATOM_INIT(&obj->ref, 1);
	obj->current = version_new(msg, sz);
	w->obj = obj;
	return 1;
}

static struct stm_writer *
check_writer(lua_State *L, int idx) {
	struct stm_writer *w = luaL_checkudata(L, idx, WRITER_META);
	if (w->obj == NULL)
		luaL_error(L, "stm: the writer was released");
	return w;
}

static int
lwrite(lua_State *L) {
	struct stm_writer *w = check_writer(L, 1);
	uint32_t sz;
	void *msg = get_message(L, 2, &sz);
	object_set(w->obj, version_new(msg, sz));
	return 0;
}

static int
lwriter_gc(lua_State *L) {
	struct stm_writer *w = luaL_checkudata(L, 1, WRITER_META);
	if (w->obj) {
		object_set(w->obj, NULL);
		object_release(w->obj);
		w->obj = NULL;
	}
	return 0;
}

static int
lcopy(lua_State *L) {
	struct stm_writer *w = check_writer(L, 1);
	ATOM_FINC(&w->obj->ref);
	lua_pushlightuserdata(L, w->obj);
	return 1;
}

static int
lnewcopy(lua_State *L) {
	luaL_checktype(L, 1, LUA_TLIGHTUSERDATA);
	struct stm_object *obj = lua_touserdata(L, 1);
	if (obj == NULL)
		return luaL_error(L, "stm: newcopy of a NULL pointer");
	struct stm_reader *r = lua_newuserdatauv(L, sizeof(*r), 0);
	r->obj = obj;
	r->last = NULL;
	luaL_setmetatable(L, READER_META);
	return 1;
}

static int
lread(lua_State *L) {
	struct stm_reader *r = luaL_checkudata(L, 1, READER_META);
	luaL_checktype(L, 2, LUA_TFUNCTION);
	if (r->obj == NULL)
		return luaL_error(L, "stm: the reader was released");
	struct stm_version *v = object_grab(r->obj);
	if (v == r->last) {
		version_release(v);
		lua_pushboolean(L, 0);
		return 1;
	}
	version_release(r->last);
	r->last = v;
	if (v == NULL) {
		lua_pushboolean(L, 0);
		return 1;
	}
	/* true, f(msg, sz, ud): the reader holds v, so msg lives through the call */
	lua_settop(L, 3);
	lua_pushboolean(L, 1);
	lua_pushvalue(L, 2);
	lua_pushlightuserdata(L, v->msg);
	lua_pushinteger(L, v->sz);
	lua_pushvalue(L, 3);
	lua_call(L, 3, LUA_MULTRET);
	return lua_gettop(L) - 3;
}

static int
lreader_gc(lua_State *L) {
	struct stm_reader *r = luaL_checkudata(L, 1, READER_META);
	if (r->obj) {
		version_release(r->last);
		r->last = NULL;
		object_release(r->obj);
		r->obj = NULL;
	}
	return 0;
}

LUAMOD_API int
luaopen_skynet_stm(lua_State *L) {
	luaL_checkversion(L);
	if (luaL_newmetatable(L, WRITER_META)) {
		lua_pushcfunction(L, lwriter_gc);
		lua_setfield(L, -2, "__gc");
		lua_pushcfunction(L, lwrite);
		lua_setfield(L, -2, "__call");
	}
	if (luaL_newmetatable(L, READER_META)) {
		lua_pushcfunction(L, lreader_gc);
		lua_setfield(L, -2, "__gc");
		lua_pushcfunction(L, lread);
		lua_setfield(L, -2, "__call");
	}
	lua_pop(L, 2);
	luaL_Reg l[] = {
		{ "new", lnew },
		{ "copy", lcopy },
		{ "newcopy", lnewcopy },
		{ NULL, NULL },
	};
	luaL_newlib(L, l);
	return 1;
}
