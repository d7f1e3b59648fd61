/* lua-sharetree.c: the immutable shared tree of sharetree.h (no Lua module of
 * its own; it is the storage under skynet.sharedata.core).
 *
 * Layout: one block, `struct st_tree` then `data`, addressed by 32-bit
 * offsets into data, so a tree can be built in a growing buffer and copied
 * once. A table node is a header, its array part (values for keys 1..asize)
 * and an open-addressed hash part (power-of-two slots, linear probing, load at
 * most 1/2) for every other key. Strings are stored once each, NUL ended. */
#include "sharetree.h"

#include "atomic.h"
#include "skynet_malloc.h"

#include <lauxlib.h>
#include <stdatomic.h>
#include <string.h>

enum { ST_NIL = 0, ST_FALSE, ST_TRUE, ST_INT, ST_REAL, ST_STR, ST_TABLE };

#define ST_MAXDEPTH 200

struct st_value {
	uint8_t type;
	uint32_t len; /* string length */
	union {
		lua_Integer i;
		lua_Number d;
		uint32_t off; /* string bytes or table node */
	} u;
};

struct st_slot {
	struct st_value key;
	struct st_value val;
	uint32_t hash;
};

struct st_node {
	uint32_t asize;
	uint32_t hsize; /* 0 or a power of two */
};

struct st_tree {
	ATOM_INT ref;
	ATOM_INT state;
	struct st_tree *_Atomic next;
	size_t size;
	uint32_t root;
	_Alignas(8) char data[]; /* nodes inside are 8-aligned offsets */
};

static atomic_long live_trees;

/* ---- keys and hashing ---- */

static uint32_t
hash_bytes(const char *s, size_t n) {
	uint32_t h = 2166136261u ^ (uint32_t)n;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

static uint32_t
hash_int(lua_Integer i) {
	uint64_t x = (uint64_t)i * 0x9E3779B97F4A7C15ull;
	return (uint32_t)(x >> 32) ^ (uint32_t)x;
}

/* base: the data the string offsets of v refer to. */
static uint32_t
hash_value(const char *base, const struct st_value *v) {
	switch (v->type) {
	case ST_STR:
		return hash_bytes(base + v->u.off, v->len);
	case ST_INT:
		return hash_int(v->u.i);
	case ST_REAL: {
		uint64_t bits;
		memcpy(&bits, &v->u.d, sizeof(bits));
		return hash_int((lua_Integer)bits);
	}
	default:
		return v->type;
	}
}

static const struct st_node *
node_at(const struct st_tree *t, uint32_t off) {
	return (const struct st_node *)(t->data + off);
}

static const struct st_value *
node_array(const struct st_node *n) {
	return (const struct st_value *)(n + 1);
}

static const struct st_slot *
node_slots(const struct st_node *n) {
	return (const struct st_slot *)(node_array(n) + n->asize);
}

/* ---- building ---- */

struct builder {
	lua_State *L;
	char *buf;
	size_t size;
	size_t cap;
	int memo; /* stack index: table -> node offset, string -> offset */
	int depth;
};

static uint32_t
buf_alloc(struct builder *b, size_t n, size_t align) {
	size_t off = (b->size + align - 1) & ~(align - 1);
	if (off + n > UINT32_MAX)
		luaL_error(b->L, "sharedata: the table is too large (over 4 GiB)");
	if (off + n > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		while (cap < off + n)
			cap *= 2;
		char *nb = skynet_realloc(b->buf, cap);
		if (nb == NULL)
			luaL_error(b->L, "sharedata: out of memory");
		b->buf = nb;
		b->cap = cap;
	}
	memset(b->buf + off, 0, n);
	b->size = off + n;
	return (uint32_t)off;
}

static uint32_t build_node(struct builder *b, int idx);

static uint32_t
intern_string(struct builder *b, int idx, size_t *len) {
	lua_State *L = b->L;
	const char *s = lua_tolstring(L, idx, len);
	lua_pushvalue(L, idx);
	if (lua_rawget(L, b->memo) == LUA_TNUMBER) {
		uint32_t off = (uint32_t)lua_tointeger(L, -1);
		lua_pop(L, 1);
		return off;
	}
	lua_pop(L, 1);
	uint32_t off = buf_alloc(b, *len + 1, 1);
	memcpy(b->buf + off, s, *len);
	lua_pushvalue(L, idx);
	lua_pushinteger(L, off);
	lua_rawset(L, b->memo);
	return off;
}

/* Makes the value at idx; `what` names it in errors ("key" or "value"). */
static struct st_value
make_value(struct builder *b, int idx, const char *what) {
	lua_State *L = b->L;
	struct st_value v;
	memset(&v, 0, sizeof(v));
	switch (lua_type(L, idx)) {
	case LUA_TBOOLEAN:
		v.type = lua_toboolean(L, idx) ? ST_TRUE : ST_FALSE;
		break;
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx)) {
			v.type = ST_INT;
			v.u.i = lua_tointeger(L, idx);
		} else {
			v.type = ST_REAL;
			v.u.d = lua_tonumber(L, idx);
		}
		break;
	case LUA_TSTRING: {
		size_t len;
		v.type = ST_STR;
		v.u.off = intern_string(b, idx, &len);
		if (len > UINT32_MAX)
			luaL_error(L, "sharedata: string too long");
		v.len = (uint32_t)len;
		break;
	}
	case LUA_TTABLE:
		if (what[0] == 'k')
			luaL_error(L, "sharedata: a table can't be a key");
		v.type = ST_TABLE;
		v.u.off = build_node(b, idx);
		break;
	default:
		luaL_error(L, "sharedata: unsupported %s type %s", what, luaL_typename(L, idx));
	}
	return v;
}

static uint32_t
count_array(lua_State *L, int idx) {
	uint32_t n = 0;
	while (lua_rawgeti(L, idx, (lua_Integer)n + 1) != LUA_TNIL) {
		lua_pop(L, 1);
		n++;
	}
	lua_pop(L, 1);
	return n;
}

static int
in_array(lua_State *L, int kidx, uint32_t asize) {
	if (!lua_isinteger(L, kidx))
		return 0;
	lua_Integer k = lua_tointeger(L, kidx);
	return k >= 1 && k <= (lua_Integer)asize;
}

static uint32_t
count_hash(lua_State *L, int idx, uint32_t asize) {
	uint32_t n = 0;
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		if (!in_array(L, -1, asize))
			n++;
	}
	return n;
}

static void
hash_insert(struct builder *b, uint32_t node, struct st_value *key, struct st_value *val) {
	struct st_node *n = (struct st_node *)(b->buf + node);
	struct st_slot *slots = (struct st_slot *)((struct st_value *)(n + 1) + n->asize);
	uint32_t h = hash_value(b->buf, key);
	uint32_t mask = n->hsize - 1;
	for (uint32_t i = h & mask;; i = (i + 1) & mask) {
		if (slots[i].key.type == ST_NIL) {
			slots[i].key = *key;
			slots[i].val = *val;
			slots[i].hash = h;
			return;
		}
	}
}

static void
fill_node(struct builder *b, int idx, uint32_t node, uint32_t asize) {
	lua_State *L = b->L;
	for (uint32_t i = 0; i < asize; i++) {
		lua_rawgeti(L, idx, (lua_Integer)i + 1);
		struct st_value v = make_value(b, lua_gettop(L), "value");
		lua_pop(L, 1);
		struct st_value *arr = (struct st_value *)((struct st_node *)(b->buf + node) + 1);
		arr[i] = v;
	}
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		int top = lua_gettop(L);
		if (!in_array(L, top - 1, asize)) {
			struct st_value k = make_value(b, top - 1, "key");
			struct st_value v = make_value(b, top, "value");
			hash_insert(b, node, &k, &v);
		}
		lua_pop(L, 1);
	}
}

static uint32_t
build_node(struct builder *b, int idx) {
	lua_State *L = b->L;
	idx = lua_absindex(L, idx);
	lua_pushvalue(L, idx);
	if (lua_rawget(L, b->memo) == LUA_TNUMBER) {
		uint32_t off = (uint32_t)lua_tointeger(L, -1);
		lua_pop(L, 1);
		return off;
	}
	lua_pop(L, 1);
	if (++b->depth > ST_MAXDEPTH)
		luaL_error(L, "sharedata: tables nested deeper than %d", ST_MAXDEPTH);
	luaL_checkstack(L, 8, "sharedata: tables nested too deep");
	uint32_t asize = count_array(L, idx);
	uint32_t hcount = count_hash(L, idx, asize);
	uint32_t hsize = 0;
	if (hcount) {
		hsize = 1;
		while (hsize < hcount * 2)
			hsize *= 2;
	}
	size_t bytes = sizeof(struct st_node) + asize * sizeof(struct st_value) + hsize * sizeof(struct st_slot);
	uint32_t node = buf_alloc(b, bytes, 8);
	struct st_node *n = (struct st_node *)(b->buf + node);
	n->asize = asize;
	n->hsize = hsize;
	lua_pushvalue(L, idx);
	lua_pushinteger(L, node);
	lua_rawset(L, b->memo);
	fill_node(b, idx, node, asize);
	b->depth--;
	return node;
}

/* Runs under lua_pcall so that an error frees the buffer. */
static int
build_protected(lua_State *L) {
	struct builder *b = lua_touserdata(L, 1);
	lua_newtable(L);
	b->memo = lua_gettop(L);
	b->L = L;
	lua_pushinteger(L, build_node(b, 2));
	return 1;
}

/* ---- public ---- */

struct st_tree *
st_build(lua_State *L, int idx) {
	luaL_checktype(L, idx, LUA_TTABLE);
	idx = lua_absindex(L, idx);
	struct builder b;
	memset(&b, 0, sizeof(b));
	lua_pushcfunction(L, build_protected);
	lua_pushlightuserdata(L, &b);
	lua_pushvalue(L, idx);
	if (lua_pcall(L, 2, 1, 0) != LUA_OK) {
		skynet_free(b.buf);
		lua_error(L);
	}
	uint32_t root = (uint32_t)lua_tointeger(L, -1);
	lua_pop(L, 1);
	struct st_tree *t = skynet_malloc(sizeof(*t) + b.size);
	if (t == NULL) {
		skynet_free(b.buf);
		luaL_error(L, "sharedata: out of memory");
	}
	ATOM_INIT(&t->ref, 1);
	ATOM_INIT(&t->state, 0);
	atomic_init(&t->next, NULL);
	t->size = b.size;
	t->root = root;
	memcpy(t->data, b.buf, b.size);
	skynet_free(b.buf);
	atomic_fetch_add(&live_trees, 1);
	return t;
}

void
st_incref(struct st_tree *t) {
	ATOM_FINC(&t->ref);
}

void
st_decref(struct st_tree *t) {
	/* A chain of old versions is released in a loop, not by recursion. */
	while (t && ATOM_FDEC(&t->ref) == 1) {
		struct st_tree *next = atomic_load(&t->next);
		skynet_free(t);
		atomic_fetch_sub(&live_trees, 1);
		t = next;
	}
}

int
st_link(struct st_tree *t, struct st_tree *next) {
	if (ATOM_LOAD(&t->state) != 0)
		return -1;
	if (next)
		st_incref(next);
	atomic_store(&t->next, next);
	ATOM_STORE(&t->state, next ? 1 : 2);
	return 0;
}

int
st_state(const struct st_tree *t) {
	return ATOM_LOAD(&((struct st_tree *)t)->state);
}

struct st_tree *
st_next(const struct st_tree *t) {
	return atomic_load(&((struct st_tree *)t)->next);
}

uint32_t
st_root(const struct st_tree *t) {
	return t->root;
}

size_t
st_size(const struct st_tree *t) {
	return sizeof(*t) + t->size;
}

long
st_live(void) {
	return atomic_load(&live_trees);
}

/* ---- reading ---- */

static void
push_value(lua_State *L, const struct st_tree *t, const struct st_value *v) {
	switch (v->type) {
	case ST_FALSE:
		lua_pushboolean(L, 0);
		break;
	case ST_TRUE:
		lua_pushboolean(L, 1);
		break;
	case ST_INT:
		lua_pushinteger(L, v->u.i);
		break;
	case ST_REAL:
		lua_pushnumber(L, v->u.d);
		break;
	case ST_STR:
		lua_pushlstring(L, t->data + v->u.off, v->len);
		break;
	case ST_TABLE:
		lua_pushinteger(L, v->u.off);
		break;
	default:
		lua_pushnil(L);
	}
}

/* The key at kidx as a lookup key; returns 0 for a key no tree holds. */
static int
lookup_key(lua_State *L, int kidx, struct st_value *k, const char **s) {
	memset(k, 0, sizeof(*k));
	*s = NULL;
	switch (lua_type(L, kidx)) {
	case LUA_TBOOLEAN:
		k->type = lua_toboolean(L, kidx) ? ST_TRUE : ST_FALSE;
		return 1;
	case LUA_TNUMBER: {
		lua_Integer i;
		if (lua_isinteger(L, kidx)) {
			k->type = ST_INT;
			k->u.i = lua_tointeger(L, kidx);
		} else if (lua_numbertointeger(lua_tonumber(L, kidx), &i) && (lua_Number)i == lua_tonumber(L, kidx)) {
			k->type = ST_INT;
			k->u.i = i;
		} else {
			k->type = ST_REAL;
			k->u.d = lua_tonumber(L, kidx);
		}
		return 1;
	}
	case LUA_TSTRING: {
		size_t len;
		*s = lua_tolstring(L, kidx, &len);
		k->type = ST_STR;
		k->len = (uint32_t)len;
		return len <= UINT32_MAX;
	}
	default:
		return 0;
	}
}

static int
key_matches(const struct st_tree *t, const struct st_value *slot, const struct st_value *k, const char *s) {
	if (slot->type != k->type)
		return 0;
	if (k->type == ST_STR)
		return slot->len == k->len && memcmp(t->data + slot->u.off, s, k->len) == 0;
	if (k->type == ST_INT)
		return slot->u.i == k->u.i;
	if (k->type == ST_REAL)
		return slot->u.d == k->u.d;
	return 1;
}

/* Finds the key: returns its position (array index, or asize + slot index),
 * or -1. */
static long
find_key(lua_State *L, const struct st_tree *t, const struct st_node *n, int kidx) {
	struct st_value k;
	const char *s;
	if (!lookup_key(L, kidx, &k, &s))
		return -1;
	if (k.type == ST_INT && k.u.i >= 1 && k.u.i <= (lua_Integer)n->asize)
		return (long)(k.u.i - 1);
	if (n->hsize == 0)
		return -1;
	uint32_t h = k.type == ST_STR ? hash_bytes(s, k.len) : hash_value(t->data, &k);
	uint32_t mask = n->hsize - 1;
	const struct st_slot *slots = node_slots(n);
	for (uint32_t i = h & mask;; i = (i + 1) & mask) {
		const struct st_slot *sl = &slots[i];
		if (sl->key.type == ST_NIL)
			return -1;
		if (sl->hash == h && key_matches(t, &sl->key, &k, s))
			return (long)n->asize + (long)i;
	}
}

int
st_index(lua_State *L, const struct st_tree *t, uint32_t node, int kidx) {
	const struct st_node *n = node_at(t, node);
	long pos = find_key(L, t, n, kidx);
	if (pos < 0) {
		lua_pushnil(L);
		return 0;
	}
	const struct st_value *v = pos < (long)n->asize ? &node_array(n)[pos] : &node_slots(n)[pos - n->asize].val;
	push_value(L, t, v);
	return v->type == ST_TABLE;
}

int
st_next_entry(lua_State *L, const struct st_tree *t, uint32_t node, int kidx) {
	const struct st_node *n = node_at(t, node);
	long pos = 0;
	if (!lua_isnil(L, kidx)) {
		pos = find_key(L, t, n, kidx);
		if (pos < 0)
			return luaL_error(L, "invalid key to 'next'");
		pos++;
	}
	if (pos < (long)n->asize) {
		lua_pushinteger(L, pos + 1);
		push_value(L, t, &node_array(n)[pos]);
		return node_array(n)[pos].type == ST_TABLE;
	}
	const struct st_slot *slots = node_slots(n);
	for (long i = pos - (long)n->asize; i < (long)n->hsize; i++) {
		if (slots[i].key.type != ST_NIL) {
			push_value(L, t, &slots[i].key);
			push_value(L, t, &slots[i].val);
			return slots[i].val.type == ST_TABLE;
		}
	}
	return -1;
}

lua_Integer
st_len(const struct st_tree *t, uint32_t node) {
	return node_at(t, node)->asize;
}

static void
copy_node(lua_State *L, const struct st_tree *t, uint32_t node, int memo, int depth) {
	lua_pushinteger(L, node);
	if (lua_rawget(L, memo) == LUA_TTABLE)
		return;
	lua_pop(L, 1);
	if (depth > ST_MAXDEPTH)
		luaL_error(L, "sharedata: tables nested deeper than %d", ST_MAXDEPTH);
	luaL_checkstack(L, 6, "sharedata: tables nested too deep");
	const struct st_node *n = node_at(t, node);
	lua_createtable(L, (int)n->asize, (int)(n->hsize / 2));
	lua_pushinteger(L, node);
	lua_pushvalue(L, -2);
	lua_rawset(L, memo);
	const struct st_value *arr = node_array(n);
	for (uint32_t i = 0; i < n->asize; i++) {
		if (arr[i].type == ST_TABLE)
			copy_node(L, t, arr[i].u.off, memo, depth + 1);
		else
			push_value(L, t, &arr[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	const struct st_slot *slots = node_slots(n);
	for (uint32_t i = 0; i < n->hsize; i++) {
		if (slots[i].key.type == ST_NIL)
			continue;
		push_value(L, t, &slots[i].key);
		if (slots[i].val.type == ST_TABLE)
			copy_node(L, t, slots[i].val.u.off, memo, depth + 1);
		else
			push_value(L, t, &slots[i].val);
		lua_rawset(L, -3);
	}
}

void
st_copy(lua_State *L, const struct st_tree *t, uint32_t node) {
	lua_newtable(L);
	int memo = lua_gettop(L);
	copy_node(L, t, node, memo, 0);
	lua_remove(L, memo);
}
