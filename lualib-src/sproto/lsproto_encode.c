/* lsproto_encode.c: core.encode, a Lua table to a sproto message.
 *
 * A struct is a 2-byte field count, one 2-byte word per field (an odd word
 * skips (w+1)/2 tags; an even word w > 0 is the inline value w/2-1 of an
 * integer or boolean; 0 means "in the data part"), then the data part: a
 * 4-byte length and the bytes of each field whose word is 0, in tag order.
 * Integers 0..0x7ffe go inline, others as 4 bytes (if they fit in 32 bits)
 * or 8; an integer array starts with one byte saying which (4 or 8).
 *
 * The message is written straight into a scratch buffer held as upvalue 1 of
 * the closure (grown by replacing it; offsets, not pointers, survive that),
 * so an error thrown mid-way leaks nothing. */
#include "lsproto.h"
#include "sproto_schema.h"

#include <math.h>
#include <string.h>

struct enc {
	lua_State *L;
	uint8_t *p;
	size_t len;
	size_t cap;
	int depth;
};

static void enc_struct(struct enc *e, const struct sp_type *st, int tbl);

static void enc_reserve(struct enc *e, size_t n) {
	if (e->len + n <= e->cap)
		return;
	size_t cap = e->cap ? e->cap : LSP_BUFFER_SIZE;
	while (cap < e->len + n)
		cap *= 2;
	if (cap > LSP_MAX_SIZE)
		luaL_error(e->L, "sproto encode: object is too large (>%d)", LSP_MAX_SIZE);
	uint8_t *p = lua_newuserdatauv(e->L, cap, 0);
	memcpy(p, e->p, e->len);
	lua_replace(e->L, lua_upvalueindex(1));
	e->p = p;
	e->cap = cap;
}

static size_t chunk_begin(struct enc *e) {
	enc_reserve(e, 4);
	size_t at = e->len;
	e->len += 4;
	return at;
}

static void chunk_end(struct enc *e, size_t at) {
	sp_wr32(e->p + at, (uint32_t)(e->len - at - 4));
}

static int type_error(struct enc *e, const struct sp_field *f, int idx, const char *want, lua_Integer i) {
	lua_State *L = e->L;
	if (i > 0)
		return luaL_error(L, "sproto encode: .%s[%d] is not %s (is a %s)", f->name, (int)i, want,
			luaL_typename(L, idx));
	return luaL_error(L, "sproto encode: .%s is not %s (is a %s)", f->name, want, luaL_typename(L, idx));
}

static int64_t get_integer(struct enc *e, const struct sp_field *f, int idx, lua_Integer i) {
	lua_State *L = e->L;
	int ok;
	if (f->decimal) {
		lua_Number n = lua_tonumberx(L, idx, &ok);
		double v = ok ? round((double)n * (double)f->decimal) : 0;
		if (!ok || !(fabs(v) < 9.2e18))
			type_error(e, f, idx, "a number in range", i);
		return (int64_t)v;
	}
	lua_Integer v = lua_tointegerx(L, idx, &ok);
	if (!ok)
		type_error(e, f, idx, "an integer", i);
	return (int64_t)v;
}

static int fits32(int64_t v) {
	return v >= INT32_MIN && v <= INT32_MAX;
}

static void put_sized_int(struct enc *e, int64_t v) {
	size_t at = chunk_begin(e);
	int n = fits32(v) ? 4 : 8;
	enc_reserve(e, (size_t)n);
	if (n == 4)
		sp_wr32(e->p + e->len, (uint32_t)v);
	else
		sp_wr64(e->p + e->len, (uint64_t)v);
	e->len += (size_t)n;
	chunk_end(e, at);
}

static void put_double(struct enc *e, const struct sp_field *f, int idx, lua_Integer i) {
	int ok;
	double d = (double)lua_tonumberx(e->L, idx, &ok);
	if (!ok)
		type_error(e, f, idx, "a number", i);
	uint64_t u;
	memcpy(&u, &d, sizeof(u));
	enc_reserve(e, 8);
	sp_wr64(e->p + e->len, u);
	e->len += 8;
}

static void put_string(struct enc *e, const struct sp_field *f, int idx, lua_Integer i) {
	size_t sz;
	if (!lua_isstring(e->L, idx))
		type_error(e, f, idx, "a string", i);
	const char *s = lua_tolstring(e->L, idx, &sz);
	if (sz > LSP_MAX_SIZE)
		luaL_error(e->L, "sproto encode: object is too large (>%d)", LSP_MAX_SIZE);
	size_t at = chunk_begin(e);
	enc_reserve(e, sz);
	memcpy(e->p + e->len, s, sz);
	e->len += sz;
	chunk_end(e, at);
}

static void put_struct(struct enc *e, const struct sp_field *f, int idx, lua_Integer i) {
	if (!lua_istable(e->L, idx))
		type_error(e, f, idx, "a table", i);
	size_t at = chunk_begin(e);
	enc_struct(e, f->st, idx);
	chunk_end(e, at);
}

/* Integer arrays: one pass to see whether every value fits 32 bits. */
static void enc_int_array(struct enc *e, const struct sp_field *f, int arr) {
	lua_State *L = e->L;
	int wide = 0;
	lua_Integer n = 0;
	for (lua_Integer i = 1; lua_rawgeti(L, arr, i) != LUA_TNIL; i++) {
		if (!fits32(get_integer(e, f, -1, i)))
			wide = 1;
		lua_pop(L, 1);
		n = i;
	}
	lua_pop(L, 1);
	if (n == 0)
		return;
	int w = wide ? 8 : 4;
	enc_reserve(e, 1 + (size_t)n * (size_t)w);
	e->p[e->len++] = (uint8_t)w;
	for (lua_Integer i = 1; i <= n; i++) {
		lua_rawgeti(L, arr, i);
		int64_t v = get_integer(e, f, -1, i);
		lua_pop(L, 1);
		if (w == 4)
			sp_wr32(e->p + e->len, (uint32_t)v);
		else
			sp_wr64(e->p + e->len, (uint64_t)v);
		e->len += (size_t)w;
	}
}

static void enc_plain_array(struct enc *e, const struct sp_field *f, int arr) {
	lua_State *L = e->L;
	if (f->kind == SP_INTEGER) {
		enc_int_array(e, f, arr);
		return;
	}
	for (lua_Integer i = 1; lua_rawgeti(L, arr, i) != LUA_TNIL; i++) {
		int top = lua_gettop(L);
		switch (f->kind) {
		case SP_BOOLEAN:
			if (!lua_isboolean(L, top))
				type_error(e, f, top, "a boolean", i);
			enc_reserve(e, 1);
			e->p[e->len++] = (uint8_t)lua_toboolean(L, top);
			break;
		case SP_DOUBLE:
			if (i == 1) {
				enc_reserve(e, 1);
				e->p[e->len++] = 8;
			}
			put_double(e, f, top, i);
			break;
		case SP_STRING:
			put_string(e, f, top, i);
			break;
		default:
			put_struct(e, f, top, i);
			break;
		}
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
}

/* *T(key) and *T(): any table, walked with next. For *T() each key/value
 * pair becomes a two-field struct, built in one reused table. */
static void enc_map(struct enc *e, const struct sp_field *f, int arr) {
	lua_State *L = e->L;
	int pair = 0;
	if (f->map) {
		lua_createtable(L, 0, 2);
		pair = lua_gettop(L);
	}
	lua_pushnil(L);
	while (lua_next(L, arr) != 0) {
		int v = lua_gettop(L);
		if (pair) {
			lua_pushvalue(L, v - 1);
			lua_setfield(L, pair, f->keyfield->name);
			lua_pushvalue(L, v);
			lua_setfield(L, pair, f->valuefield->name);
			v = pair;
		} else if (!lua_istable(L, v)) {
			type_error(e, f, v, "a table", 0);
		}
		size_t at = chunk_begin(e);
		enc_struct(e, f->st, v);
		chunk_end(e, at);
		lua_pop(L, 1);
	}
	if (pair)
		lua_pop(L, 1);
}

static void enc_array(struct enc *e, const struct sp_field *f, int idx) {
	if (!lua_istable(e->L, idx))
		type_error(e, f, idx, "a table", 0);
	luaL_checkstack(e->L, 6, NULL);
	size_t at = chunk_begin(e);
	if (f->key >= 0)
		enc_map(e, f, idx);
	else
		enc_plain_array(e, f, idx);
	chunk_end(e, at);
}

/* Encodes the value at idx; returns its header word (0: it went to the data part). */
static uint32_t enc_field(struct enc *e, const struct sp_field *f, int idx) {
	lua_State *L = e->L;
	if (f->array) {
		enc_array(e, f, idx);
		return 0;
	}
	switch (f->kind) {
	case SP_INTEGER: {
		int64_t v = get_integer(e, f, idx, 0);
		if (v >= 0 && v < 0x7fff)
			return (uint32_t)(v + 1) * 2;
		put_sized_int(e, v);
		return 0;
	}
	case SP_BOOLEAN:
		if (!lua_isboolean(L, idx))
			type_error(e, f, idx, "a boolean", 0);
		return lua_toboolean(L, idx) ? 4 : 2;
	case SP_DOUBLE: {
		size_t at = chunk_begin(e);
		put_double(e, f, idx, 0);
		chunk_end(e, at);
		return 0;
	}
	case SP_STRING:
		put_string(e, f, idx, 0);
		return 0;
	default:
		put_struct(e, f, idx, 0);
		return 0;
	}
}

static void enc_struct(struct enc *e, const struct sp_type *st, int tbl) {
	lua_State *L = e->L;
	if (++e->depth > LSP_MAX_DEPTH)
		luaL_error(L, "sproto encode: the table is too deep");
	luaL_checkstack(L, 8, NULL);
	size_t start = e->len;
	size_t hdr = 2 + 2 * (size_t)st->maxn;
	enc_reserve(e, hdr);
	e->len += hdr;
	size_t words = 0;
	int last = -1;
	for (int i = 0; i < st->n; i++) {
		const struct sp_field *f = &st->f[i];
		if (lua_getfield(L, tbl, f->name) == LUA_TNIL) {
			lua_pop(L, 1);
			continue;
		}
		uint32_t w = enc_field(e, f, lua_gettop(L));
		lua_pop(L, 1);
		if (f->tag > last + 1)
			sp_wr16(e->p + start + 2 + 2 * words++, (uint32_t)(f->tag - last - 1) * 2 - 1);
		sp_wr16(e->p + start + 2 + 2 * words++, w);
		last = f->tag;
	}
	sp_wr16(e->p + start, (uint32_t)words);
	size_t used = 2 + 2 * words;
	if (used < hdr) {
		memmove(e->p + start + used, e->p + start + hdr, e->len - start - hdr);
		e->len -= hdr - used;
	}
	e->depth--;
}

int lsp_encode(lua_State *L) {
	const struct sp_type *st = lua_touserdata(L, 1);
	if (st == NULL)
		return luaL_argerror(L, 1, "need a sproto type object");
	luaL_checktype(L, 2, LUA_TTABLE);
	lua_settop(L, 2);
	struct enc e = { L, lua_touserdata(L, lua_upvalueindex(1)), 0, 0, 0 };
	e.cap = lua_rawlen(L, lua_upvalueindex(1));
	enc_struct(&e, st, 2);
	lua_pushlstring(L, (const char *)e.p, e.len);
	/* a buffer grown by one huge message is not kept for the service's life */
	if (e.cap > 64 * 1024) {
		lua_newuserdatauv(L, LSP_BUFFER_SIZE, 0);
		lua_replace(L, lua_upvalueindex(1));
	}
	return 1;
}
