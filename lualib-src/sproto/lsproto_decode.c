/* lsproto_decode.c: core.decode (a sproto message to a Lua table) and
 * core.default. Every length is checked against what is left of the input
 * before it is used: a truncated or forged message raises a Lua error, it
 * never reads past the buffer. Fields whose tag the schema does not know are
 * skipped (an older reader of a newer message); a message may be followed by
 * other bytes, and decode returns how many it used. */
#include "lsproto.h"
#include "sproto_schema.h"

#include <string.h>

struct dec {
	lua_State *L;
	int depth;
};

static size_t dec_struct(struct dec *d, const struct sp_type *st, const uint8_t *p, size_t sz, int tbl);

static int bad(struct dec *d, const struct sp_field *f, const char *why) {
	if (f)
		return luaL_error(d->L, "sproto decode error: .%s: %s", f->name, why);
	return luaL_error(d->L, "sproto decode error: %s", why);
}

static void push_integer(struct dec *d, const struct sp_field *f, int64_t v) {
	if (f->decimal)
		lua_pushnumber(d->L, (lua_Number)v / (lua_Number)f->decimal);
	else
		lua_pushinteger(d->L, (lua_Integer)v);
}

static void push_double(struct dec *d, const uint8_t *p) {
	uint64_t u = sp_rd64(p);
	double v;
	memcpy(&v, &u, sizeof(v));
	lua_pushnumber(d->L, (lua_Number)v);
}

/* A struct chunk into a new table left on the stack. */
static void push_struct(struct dec *d, const struct sp_field *f, const uint8_t *p, size_t sz) {
	lua_State *L = d->L;
	luaL_checkstack(L, 8, NULL);
	lua_createtable(L, 0, f->st->n); /* sized once: no rehash while filling */
	if (dec_struct(d, f->st, p, sz, lua_gettop(L)) > sz)
		bad(d, f, "struct overruns its chunk");
}

static void dec_int_array(struct dec *d, const struct sp_field *f, const uint8_t *p, size_t sz, int arr) {
	size_t w = p[0];
	if ((w != 4 && w != 8) || (f->kind == SP_DOUBLE && w != 8) || (sz - 1) % w != 0)
		bad(d, f, "bad number array");
	size_t n = (sz - 1) / w;
	lua_createtable(d->L, n > 1024 ? 1024 : (int)n, 0);
	for (size_t i = 0; i < n; i++) {
		const uint8_t *v = p + 1 + i * w;
		if (f->kind == SP_DOUBLE)
			push_double(d, v);
		else
			push_integer(d, f, w == 4 ? (int64_t)(int32_t)sp_rd32(v) : (int64_t)sp_rd64(v));
		lua_rawseti(d->L, -2, (lua_Integer)i + 1);
	}
	lua_setfield(d->L, arr, f->name);
}

/* Stores the element on the stack top into the map on the stack below it. */
static void map_store(struct dec *d, const struct sp_field *f) {
	lua_State *L = d->L;
	int elem = lua_gettop(L);
	if (lua_getfield(L, elem, f->keyfield->name) == LUA_TNIL)
		luaL_error(L, "sproto decode error: can't find main index (tag=%d) in [%s]", f->key, f->name);
	if (f->map) {
		lua_getfield(L, elem, f->valuefield->name);
	} else {
		lua_pushvalue(L, elem);
	}
	lua_rawset(L, elem - 1);
	lua_pop(L, 1);
}

static void dec_array(struct dec *d, const struct sp_field *f, const uint8_t *p, size_t sz, int tbl) {
	lua_State *L = d->L;
	luaL_checkstack(L, 8, NULL);
	if (sz == 0) {
		lua_newtable(L);
		lua_setfield(L, tbl, f->name);
		return;
	}
	if (f->kind == SP_INTEGER || f->kind == SP_DOUBLE) {
		dec_int_array(d, f, p, sz, tbl);
		return;
	}
	lua_newtable(L);
	lua_Integer i = 0;
	if (f->kind == SP_BOOLEAN) {
		for (; (size_t)i < sz; i++) {
			lua_pushboolean(L, p[i] != 0);
			lua_rawseti(L, -2, i + 1);
		}
		lua_setfield(L, tbl, f->name);
		return;
	}
	while (sz > 0) {
		if (sz < 4)
			bad(d, f, "truncated array element");
		uint32_t esz = sp_rd32(p);
		if (sz - 4 < esz)
			bad(d, f, "array element overruns the array");
		if (f->kind == SP_STRING)
			lua_pushlstring(L, (const char *)p + 4, esz);
		else
			push_struct(d, f, p + 4, esz);
		if (f->key >= 0)
			map_store(d, f);
		else
			lua_rawseti(L, -2, ++i);
		p += 4 + esz;
		sz -= 4 + esz;
	}
	lua_setfield(L, tbl, f->name);
}

static void dec_data(struct dec *d, const struct sp_field *f, const uint8_t *p, size_t sz, int tbl) {
	lua_State *L = d->L;
	if (f->array) {
		dec_array(d, f, p, sz, tbl);
		return;
	}
	switch (f->kind) {
	case SP_INTEGER:
	case SP_BOOLEAN:
		if (sz != 4 && sz != 8)
			bad(d, f, "integer data is not 4 or 8 bytes");
		{
			int64_t v = sz == 4 ? (int64_t)(int32_t)sp_rd32(p) : (int64_t)sp_rd64(p);
			if (f->kind == SP_BOOLEAN)
				lua_pushboolean(L, v != 0);
			else
				push_integer(d, f, v);
		}
		break;
	case SP_DOUBLE:
		if (sz != 8)
			bad(d, f, "double data is not 8 bytes");
		push_double(d, p);
		break;
	case SP_STRING:
		lua_pushlstring(L, (const char *)p, sz);
		break;
	default:
		push_struct(d, f, p, sz);
		break;
	}
	lua_setfield(L, tbl, f->name);
}

static void dec_inline(struct dec *d, const struct sp_field *f, uint32_t v, int tbl) {
	if (f->array || (f->kind != SP_INTEGER && f->kind != SP_BOOLEAN))
		bad(d, f, "inline value for a field that needs data");
	if (f->kind == SP_BOOLEAN)
		lua_pushboolean(d->L, v != 0);
	else
		push_integer(d, f, v);
	lua_setfield(d->L, tbl, f->name);
}

/* Returns the bytes the struct used (header + data part). */
static size_t dec_struct(struct dec *d, const struct sp_type *st, const uint8_t *p, size_t sz, int tbl) {
	if (++d->depth > LSP_MAX_DEPTH)
		bad(d, NULL, "message is too deep");
	if (sz < 2)
		bad(d, NULL, "truncated header");
	uint32_t fn = sp_rd16(p);
	size_t hdr = 2 + (size_t)fn * 2;
	if (sz < hdr)
		bad(d, NULL, "truncated header");
	const uint8_t *data = p + hdr;
	size_t left = sz - hdr;
	int64_t tag = 0;
	for (uint32_t i = 0; i < fn; i++) {
		uint32_t w = sp_rd16(p + 2 + i * 2);
		if (w & 1) {
			tag += (w + 1) / 2;
			continue;
		}
		const struct sp_field *f = sp_type_field(st, tag++);
		if (w != 0) {
			if (f)
				dec_inline(d, f, w / 2 - 1, tbl);
			continue;
		}
		if (left < 4)
			bad(d, f, "truncated data length");
		uint32_t len = sp_rd32(data);
		if (left - 4 < len)
			bad(d, f, "data overruns the message");
		if (f)
			dec_data(d, f, data + 4, len, tbl);
		data += 4 + len;
		left -= 4 + len;
	}
	d->depth--;
	return (size_t)(data - p);
}

const void *lsp_getbuffer(lua_State *L, int index, size_t *sz) {
	int t = lua_type(L, index);
	if (t == LUA_TSTRING)
		return lua_tolstring(L, index, sz);
	if (t != LUA_TUSERDATA && t != LUA_TLIGHTUSERDATA) {
		luaL_argerror(L, index, "need a string or userdata");
		return NULL;
	}
	lua_Integer n = luaL_checkinteger(L, index + 1);
	if (n < 0)
		luaL_argerror(L, index + 1, "negative size");
	*sz = (size_t)n;
	return lua_touserdata(L, index);
}

int lsp_decode(lua_State *L) {
	const struct sp_type *st = lua_touserdata(L, 1);
	if (st == NULL)
		return luaL_argerror(L, 1, "need a sproto type object");
	size_t sz = 0;
	const uint8_t *p = lsp_getbuffer(L, 2, &sz);
	/* as skynet: a table as the last argument receives the fields */
	int first = lua_type(L, 2) == LUA_TSTRING ? 3 : 4;
	if (lua_gettop(L) < first || !lua_istable(L, -1))
		lua_createtable(L, 0, st->n);
	int tbl = lua_gettop(L);
	struct dec d = { L, 0 };
	size_t used = dec_struct(&d, st, p, sz, tbl);
	lua_settop(L, tbl);
	lua_pushinteger(L, (lua_Integer)used);
	return 2;
}

/* Default values: 0 / 0.0 / false / "" / {} for arrays / { __type = name }
 * for structs, with the type's own name in __type. */
int lsp_default(lua_State *L) {
	const struct sp_type *st = lua_touserdata(L, 1);
	if (st == NULL)
		return luaL_argerror(L, 1, "need a sproto type object");
	lua_createtable(L, 0, st->n + 1);
	lua_pushstring(L, st->name);
	lua_setfield(L, -2, "__type");
	for (int i = 0; i < st->n; i++) {
		const struct sp_field *f = &st->f[i];
		if (f->array) {
			lua_newtable(L);
		} else {
			switch (f->kind) {
			case SP_INTEGER:
				if (f->decimal)
					lua_pushnumber(L, 0.0);
				else
					lua_pushinteger(L, 0);
				break;
			case SP_DOUBLE:
				lua_pushnumber(L, 0.0);
				break;
			case SP_BOOLEAN:
				lua_pushboolean(L, 0);
				break;
			case SP_STRING:
				lua_pushliteral(L, "");
				break;
			default:
				lua_createtable(L, 0, 1);
				lua_pushstring(L, f->st->name);
				lua_setfield(L, -2, "__type");
				break;
			}
		}
		lua_setfield(L, -2, f->name);
	}
	return 1;
}
