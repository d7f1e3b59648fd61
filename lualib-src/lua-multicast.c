/* lua-multicast.c: skynet.multicast.core, the C half of skynet.multicast.
 * A published message is packed once into a refcounted package; every
 * subscriber gets a PTYPE_MULTICAST message whose body is only the package's
 * address (pointer-sized) and whose session is the channel id, and closes
 * the package after its handler ran. The last close frees it.
 *
 *   pack(msg, sz | string) -> pkg, sz      (takes msg; ref count 0)
 *   copy(msg, sz) -> pkg, sz               (copies msg: a message from another node)
 *   publish(pkg, channel, source, group) -> n   (group: handle -> true; the
 *       package is freed here if nobody got it)
 *   unpack(msg, sz) -> pkg, data, size     (the body of a delivered message)
 *   close(pkg)                             (one subscriber is done)
 *   nextid(id) -> id                       (next channel id, same low byte)
 *   tostring(pkg) -> string                (the payload, for a remote node)
 *   live() -> packages alive in the process (for leak checks) */
#include "atomic.h"
#include "skynet.h"

#include <lauxlib.h>
#include <lua.h>
#include <stdatomic.h>
#include <string.h>

struct mc_package {
	ATOM_INT ref;
	uint32_t size;
	void *data;
};

static atomic_long live_packages;

static void
package_free(struct mc_package *p) {
	skynet_free(p->data);
	skynet_free(p);
	atomic_fetch_sub(&live_packages, 1);
}

static void
package_release(struct mc_package *p, int n) {
	if (ATOM_FSUB(&p->ref, n) == n)
		package_free(p);
}

static struct mc_package *
check_package(lua_State *L, int idx) {
	luaL_checktype(L, idx, LUA_TLIGHTUSERDATA);
	struct mc_package *p = lua_touserdata(L, idx);
	if (p == NULL)
		luaL_error(L, "multicast: NULL package");
	return p;
}

static int
lpack(lua_State *L) {
	void *data;
	size_t sz;
	if (lua_type(L, 1) == LUA_TLIGHTUSERDATA) {
		data = lua_touserdata(L, 1);
		lua_Integer n = luaL_checkinteger(L, 2);
		if (n < 0 || n > UINT32_MAX)
			return luaL_error(L, "multicast: bad message size %d", (int)n);
		sz = (size_t)n;
	} else {
		const char *s = luaL_checklstring(L, 1, &sz);
		if (sz > UINT32_MAX)
			return luaL_error(L, "multicast: message too large");
		data = skynet_malloc(sz ? sz : 1);
		memcpy(data, s, sz);
	}
	struct mc_package *p = skynet_malloc(sizeof(*p));
	ATOM_INIT(&p->ref, 0);
	p->size = (uint32_t)sz;
	p->data = data;
	atomic_fetch_add(&live_packages, 1);
	lua_pushlightuserdata(L, p);
	lua_pushinteger(L, (lua_Integer)sz);
	return 2;
}

static int
lcopy(lua_State *L) {
	luaL_checktype(L, 1, LUA_TLIGHTUSERDATA);
	const void *msg = lua_touserdata(L, 1);
	lua_Integer n = luaL_checkinteger(L, 2);
	if (n < 0 || n > UINT32_MAX || (msg == NULL && n > 0))
		return luaL_error(L, "multicast: bad message size %d", (int)n);
	void *data = skynet_malloc(n ? (size_t)n : 1);
	if (n)
		memcpy(data, msg, (size_t)n);
	lua_settop(L, 0);
	lua_pushlightuserdata(L, data);
	lua_pushinteger(L, n);
	return lpack(L);
}

static struct skynet_context *
get_context(lua_State *L) {
	lua_getfield(L, LUA_REGISTRYINDEX, "skynet_context");
	struct skynet_context *ctx = lua_touserdata(L, -1);
	lua_pop(L, 1);
	if (ctx == NULL)
		luaL_error(L, "multicast: not inside a skynet service");
	return ctx;
}

/* Sends the package's address to every handle of group. The package holds
 * one extra reference while sending, so a subscriber that closes at once
 * can't free it under the loop. */
static int
lpublish(lua_State *L) {
	struct mc_package *p = check_package(L, 1);
	lua_Integer channel = luaL_checkinteger(L, 2);
	uint32_t source = (uint32_t)luaL_checkinteger(L, 3);
	luaL_checktype(L, 4, LUA_TTABLE);
	struct skynet_context *ctx = get_context(L);
	int n = 0;
	lua_pushnil(L);
	while (lua_next(L, 4))
		n++, lua_pop(L, 1);
	ATOM_STORE(&p->ref, n + 1);
	int sent = 0;
	lua_pushnil(L);
	while (lua_next(L, 4)) {
		lua_pop(L, 1);
		uint32_t dest = (uint32_t)lua_tointeger(L, -1);
		struct mc_package **body = skynet_malloc(sizeof(*body));
		*body = p;
		if (skynet_send(ctx, source, dest, PTYPE_MULTICAST | PTYPE_TAG_DONTCOPY, (int)channel, body,
			    sizeof(*body)) < 0)
			package_release(p, 1);
		else
			sent++;
	}
	package_release(p, 1);
	lua_pushinteger(L, sent);
	return 1;
}

static int
lunpack(lua_State *L) {
	luaL_checktype(L, 1, LUA_TLIGHTUSERDATA);
	const void *msg = lua_touserdata(L, 1);
	lua_Integer sz = luaL_checkinteger(L, 2);
	if (msg == NULL || sz != (lua_Integer)sizeof(struct mc_package *))
		return luaL_error(L, "multicast: bad multicast message (size %d)", (int)sz);
	struct mc_package *p;
	memcpy(&p, msg, sizeof(p));
	lua_pushlightuserdata(L, p);
	lua_pushlightuserdata(L, p->data);
	lua_pushinteger(L, p->size);
	return 3;
}

/* A delivery dropped with a dead subscriber's queue still holds its reference
 * (skynet_drop_callback): give it back, or the package would live forever. */
static void
drop_delivery(void *msg, size_t sz) {
	if (sz != sizeof(struct mc_package *))
		return;
	struct mc_package *p;
	memcpy(&p, msg, sizeof(p));
	package_release(p, 1);
}

static int
lclose(lua_State *L) {
	package_release(check_package(L, 1), 1);
	return 0;
}

static int
ltostring(lua_State *L) {
	struct mc_package *p = check_package(L, 1);
	lua_pushlstring(L, p->data, p->size);
	return 1;
}

/* Channel ids keep the harbor byte low and stay a positive int (they travel
 * as a message session). */
static int
lnextid(lua_State *L) {
	lua_Integer id = luaL_checkinteger(L, 1) + 256;
	if (id > 0x7fffffff)
		id = (id & 0xff) + 256;
	lua_pushinteger(L, id);
	return 1;
}

static int
llive(lua_State *L) {
	lua_pushinteger(L, atomic_load(&live_packages));
	return 1;
}

LUAMOD_API int
luaopen_skynet_multicast_core(lua_State *L) {
	luaL_checkversion(L);
	skynet_drop_callback(PTYPE_MULTICAST, drop_delivery);
	luaL_Reg l[] = {
		{ "pack", lpack },
		{ "copy", lcopy },
		{ "publish", lpublish },
		{ "unpack", lunpack },
		{ "close", lclose },
		{ "tostring", ltostring },
		{ "nextid", lnextid },
		{ "live", llive },
		{ NULL, NULL },
	};
	luaL_newlib(L, l);
	return 1;
}
