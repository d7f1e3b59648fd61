/* lua-sharedata.c: skynet.sharedata.core, Lua's handle on the shared trees of
 * sharetree.h. A box (full userdata) owns one reference to a tree; a tree
 * crosses services as a light userdata carrying one reference (share ->
 * message -> adopt). A box made to follow updates moves itself to the newest
 * version when it finds its tree stale (index returns core.STALE).
 *
 *   new(table) -> box             share(box) -> ptr (+1 reference)
 *   adopt(ptr, follow) -> box     release(box)
 *   link(old, new|nil)            refresh(box) -> moved, alive (a following box)
 *   root(box) -> node             index(box, node, key [, nofollow]) -> v [, istable]
 *   next(box, node, key) -> k, v [, istable]      len(box, node)
 *   copy(box, node) -> table      size(box)   live()   stale(box) */
#include "sharetree.h"

#include <lauxlib.h>
#include <lua.h>

#define BOX_META "skynet.sharedata.box"

#define BOX_MAGIC 0x53484454u

struct sd_box {
	uint32_t magic;
	int follow;
	struct st_tree *tree;
};

static char stale_token;

/* On the path of every proxy read: a size and magic check instead of
 * luaL_checkudata's registry lookup. */
static struct sd_box *
check_box(lua_State *L, int idx) {
	struct sd_box *b = lua_touserdata(L, idx);
	if (b == NULL || lua_type(L, idx) != LUA_TUSERDATA || lua_rawlen(L, idx) != sizeof(*b) || b->magic != BOX_MAGIC)
		luaL_typeerror(L, idx, "sharedata box");
	if (b->tree == NULL)
		luaL_error(L, "sharedata: the object was released");
	return b;
}

static uint32_t
check_node(lua_State *L, int idx, const struct st_tree *t) {
	lua_Integer n = luaL_checkinteger(L, idx);
	if (n < 0 || (n & 7) != 0 || (size_t)n >= st_size(t))
		luaL_error(L, "sharedata: bad node %d", (int)n);
	return (uint32_t)n;
}

static struct sd_box *
new_box(lua_State *L, struct st_tree *t, int follow) {
	struct sd_box *b = lua_newuserdatauv(L, sizeof(*b), 0);
	b->magic = BOX_MAGIC;
	b->tree = t;
	b->follow = follow;
	luaL_setmetatable(L, BOX_META);
	return b;
}

/* Moves b to the end of its chain of versions. Returns 1 if it moved. */
static int
box_follow(struct sd_box *b) {
	int moved = 0;
	while (st_state(b->tree) == 1) {
		struct st_tree *next = st_next(b->tree);
		st_incref(next);
		st_decref(b->tree);
		b->tree = next;
		moved = 1;
	}
	return moved;
}

static int
lnew(lua_State *L) {
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 1);
	struct st_tree *t = st_build(L, 1);
	new_box(L, t, 1);
	return 1;
}

static int
lshare(lua_State *L) {
	struct sd_box *b = check_box(L, 1);
	st_incref(b->tree);
	lua_pushlightuserdata(L, b->tree);
	return 1;
}

static int
ladopt(lua_State *L) {
	luaL_checktype(L, 1, LUA_TLIGHTUSERDATA);
	struct st_tree *t = lua_touserdata(L, 1);
	if (t == NULL)
		return luaL_error(L, "sharedata: adopt of a NULL pointer");
	new_box(L, t, lua_toboolean(L, 2));
	return 1;
}

static int
lrelease(lua_State *L) {
	struct sd_box *b = luaL_checkudata(L, 1, BOX_META);
	if (b->tree) {
		st_decref(b->tree);
		b->tree = NULL;
	}
	return 0;
}

static int
llink(lua_State *L) {
	struct sd_box *old = check_box(L, 1);
	struct st_tree *next = lua_isnoneornil(L, 2) ? NULL : check_box(L, 2)->tree;
	if (st_link(old->tree, next) != 0)
		return luaL_error(L, "sharedata: this version was already replaced");
	return 0;
}

static int
lrefresh(lua_State *L) {
	struct sd_box *b = check_box(L, 1);
	lua_pushboolean(L, b->follow && box_follow(b));
	lua_pushboolean(L, st_state(b->tree) == 0);
	return 2;
}

static int
lstale(lua_State *L) {
	lua_pushboolean(L, st_state(check_box(L, 1)->tree) != 0);
	return 1;
}

static int
lroot(lua_State *L) {
	lua_pushinteger(L, st_root(check_box(L, 1)->tree));
	return 1;
}

static int
lindex(lua_State *L) {
	struct sd_box *b = check_box(L, 1);
	if (b->follow && !lua_toboolean(L, 4) && st_state(b->tree) == 1) {
		lua_pushlightuserdata(L, &stale_token);
		return 1;
	}
	uint32_t node = check_node(L, 2, b->tree);
	if (st_index(L, b->tree, node, 3)) {
		lua_pushboolean(L, 1);
		return 2;
	}
	return 1;
}

static int
lnext(lua_State *L) {
	struct sd_box *b = check_box(L, 1);
	uint32_t node = check_node(L, 2, b->tree);
	lua_settop(L, 3);
	int r = st_next_entry(L, b->tree, node, 3);
	if (r < 0)
		return 0;
	if (r) {
		lua_pushboolean(L, 1);
		return 3;
	}
	return 2;
}

static int
llen(lua_State *L) {
	struct sd_box *b = check_box(L, 1);
	lua_pushinteger(L, st_len(b->tree, check_node(L, 2, b->tree)));
	return 1;
}

static int
lcopy(lua_State *L) {
	struct sd_box *b = check_box(L, 1);
	st_copy(L, b->tree, check_node(L, 2, b->tree));
	return 1;
}

static int
lsize(lua_State *L) {
	lua_pushinteger(L, (lua_Integer)st_size(check_box(L, 1)->tree));
	return 1;
}

static int
llive(lua_State *L) {
	lua_pushinteger(L, st_live());
	return 1;
}

LUAMOD_API int
luaopen_skynet_sharedata_core(lua_State *L) {
	luaL_checkversion(L);
	if (luaL_newmetatable(L, BOX_META)) {
		lua_pushcfunction(L, lrelease);
		lua_setfield(L, -2, "__gc");
		lua_pushliteral(L, "sharedata");
		lua_setfield(L, -2, "__name");
	}
	lua_pop(L, 1);
	luaL_Reg l[] = {
		{ "new", lnew },
		{ "share", lshare },
		{ "adopt", ladopt },
		{ "release", lrelease },
		{ "link", llink },
		{ "refresh", lrefresh },
		{ "stale", lstale },
		{ "root", lroot },
		{ "index", lindex },
		{ "next", lnext },
		{ "len", llen },
		{ "copy", lcopy },
		{ "size", lsize },
		{ "live", llive },
		{ NULL, NULL },
	};
	luaL_newlib(L, l);
	lua_pushlightuserdata(L, &stale_token);
	lua_setfield(L, -2, "STALE");
	return 1;
}
