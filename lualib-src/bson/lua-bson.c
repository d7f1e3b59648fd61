/*
 * bson (luaclib/bson.so, `require "bson"`): BSON documents for the mongo
 * driver, with skynet's Lua API.
 *
 * Lua values map to BSON as skynet's module does:
 *   integer   -> int32 when it fits, else int64;  float -> double
 *   string    -> string, unless it starts with "\0" followed by a type byte:
 *                such strings are the special values made by bson.objectid,
 *                bson.date, bson.timestamp, bson.regex, bson.binary,
 *                bson.int64, bson.null, bson.minkey, bson.maxkey
 *   boolean   -> boolean
 *   table     -> array when it is a proper sequence (rawlen > 0 and nothing
 *                after it) or has __len; else a document (__pairs honoured)
 *   bson object (the userdata bson.encode returns) -> embedded document
 * Decoding gives the same special strings back (dates as seconds, as skynet),
 * int32/int64 as integers, arrays as sequences.
 *
 * bson.encode(t) and bson.encode_order(k1, v1, k2, v2 ...) return a bson
 * object: a userdata holding the bytes, with tostring (the bytes), # (size),
 * :decode(), and :makeindex() after which `obj.key = v` overwrites a
 * top-level field of a fixed-size type in place (as skynet's). bson.decode accepts a bson object, a string of bytes, or a
 * light userdata pointing at a document (what a wire reader hands over).
 * Every read is bounds-checked: a malformed document raises an error naming
 * what is wrong, never reads past its end.
 */
#define LUA_LIB
#include <lua.h>
#include <lauxlib.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#define BT_DOUBLE 1
#define BT_STRING 2
#define BT_DOCUMENT 3
#define BT_ARRAY 4
#define BT_BINARY 5
#define BT_UNDEFINED 6
#define BT_OBJECTID 7
#define BT_BOOLEAN 8
#define BT_DATE 9
#define BT_NULL 10
#define BT_REGEX 11
#define BT_DBPOINTER 12
#define BT_JSCODE 13
#define BT_SYMBOL 14
#define BT_CODEWS 15
#define BT_INT32 16
#define BT_TIMESTAMP 17
#define BT_INT64 18
#define BT_MINKEY 255
#define BT_MAXKEY 127

#define BSON_MAX_DEPTH 128
#define BSON_META "bson"

/* ---- output buffer ---- */

/* Grows into a Lua userdata kept in a stack slot (`slot`), so that an error
 * raised half way through frees it with the rest of the stack. */
struct bbuf {
	lua_State *L;
	char *p;
	size_t n, cap;
	int slot;
	char local[256];
};

static void bbuf_init(struct bbuf *b, lua_State *L) {
	b->L = L;
	b->p = b->local;
	b->n = 0;
	b->cap = sizeof(b->local);
	lua_pushnil(L);
	b->slot = lua_gettop(L);
}

static void bbuf_reserve(struct bbuf *b, size_t sz) {
	if (b->n + sz <= b->cap)
		return;
	size_t cap = b->cap;
	while (cap < b->n + sz)
		cap *= 2;
	if (cap > 0x7fffffff)
		luaL_error(b->L, "bson: document too large");
	char *np = lua_newuserdatauv(b->L, cap, 0);
	memcpy(np, b->p, b->n);
	lua_replace(b->L, b->slot);
	b->p = np;
	b->cap = cap;
}

static void put_bytes(struct bbuf *b, const void *s, size_t sz) {
	bbuf_reserve(b, sz);
	memcpy(b->p + b->n, s, sz);
	b->n += sz;
}

static void put_byte(struct bbuf *b, int v) {
	bbuf_reserve(b, 1);
	b->p[b->n++] = (char)v;
}

static void put_u32_at(struct bbuf *b, size_t off, uint32_t v) {
	unsigned char *d = (unsigned char *)b->p + off;
	d[0] = v & 0xff;
	d[1] = (v >> 8) & 0xff;
	d[2] = (v >> 16) & 0xff;
	d[3] = (v >> 24) & 0xff;
}

static void put_i32(struct bbuf *b, int32_t v) {
	bbuf_reserve(b, 4);
	put_u32_at(b, b->n, (uint32_t)v);
	b->n += 4;
}

static void put_i64(struct bbuf *b, int64_t v) {
	uint64_t u = (uint64_t)v;
	bbuf_reserve(b, 8);
	for (int i = 0; i < 8; i++)
		b->p[b->n++] = (char)((u >> (i * 8)) & 0xff);
}

static void put_double(struct bbuf *b, double d) {
	uint64_t u;
	memcpy(&u, &d, 8);
	put_i64(b, (int64_t)u);
}

static size_t reserve_len(struct bbuf *b) {
	size_t off = b->n;
	bbuf_reserve(b, 4);
	b->n += 4;
	return off;
}

static void put_cstr(struct bbuf *b, const char *s, size_t sz) {
	put_bytes(b, s, sz);
	put_byte(b, 0);
}

static uint32_t get_u32(const unsigned char *p) {
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const unsigned char *p) {
	return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

/* ---- encoding ---- */

static void encode_table(struct bbuf *b, const char *key, size_t klen, int idx, int depth);

static void put_key(struct bbuf *b, int type, const char *key, size_t klen) {
	if (memchr(key, 0, klen)) {
		luaL_error(b->L, "bson: key contains a zero byte");
	}
	put_byte(b, type);
	put_cstr(b, key, klen);
}

/* A string starting with "\0" + type byte: one of the special values. */
static void encode_special(struct bbuf *b, const char *key, size_t klen, const char *s, size_t len) {
	lua_State *L = b->L;
	int t = (unsigned char)s[1];
	const char *d = s + 2;
	size_t dl = len - 2;
	switch (t) {
	case BT_BINARY:
		/* d = subtype byte + data */
		if (dl < 1)
			luaL_error(L, "bson: invalid binary");
		put_key(b, t, key, klen);
		put_i32(b, (int32_t)(dl - 1));
		put_bytes(b, d, dl);
		break;
	case BT_OBJECTID:
		if (dl != 12)
			luaL_error(L, "bson: invalid objectid (%d bytes)", (int)dl);
		put_key(b, t, key, klen);
		put_bytes(b, d, 12);
		break;
	case BT_DATE:
		if (dl != 4)
			luaL_error(L, "bson: invalid date");
		put_key(b, t, key, klen);
		put_i64(b, (int64_t)get_u32((const unsigned char *)d) * 1000);
		break;
	case BT_TIMESTAMP:
		if (dl != 8)
			luaL_error(L, "bson: invalid timestamp");
		put_key(b, t, key, klen);
		put_bytes(b, d, 8);
		break;
	case BT_INT64:
		if (dl != 8)
			luaL_error(L, "bson: invalid int64");
		put_key(b, t, key, klen);
		put_bytes(b, d, 8);
		break;
	case BT_REGEX: {
		/* d = pattern \0 options \0 */
		const char *z = memchr(d, 0, dl);
		if (z == NULL || dl < 2 || d[dl - 1] != 0)
			luaL_error(L, "bson: invalid regex");
		put_key(b, t, key, klen);
		put_bytes(b, d, dl);
		break;
	}
	case BT_JSCODE:
	case BT_SYMBOL:
	case BT_CODEWS:
	case BT_DBPOINTER:
		/* raw payload as decoded */
		put_key(b, t, key, klen);
		put_bytes(b, d, dl);
		break;
	case BT_NULL:
	case BT_MINKEY:
	case BT_MAXKEY:
	case BT_UNDEFINED:
		if (dl != 0)
			luaL_error(L, "bson: invalid special value %d", t);
		put_key(b, t, key, klen);
		break;
	default:
		luaL_error(L, "bson: invalid subtype %d", t);
	}
}

/* Encodes the value at the top of the stack under key. */
static void encode_value(struct bbuf *b, const char *key, size_t klen, int depth) {
	lua_State *L = b->L;
	int vt = lua_type(L, -1);
	switch (vt) {
	case LUA_TNUMBER:
		if (lua_isinteger(L, -1)) {
			lua_Integer i = lua_tointeger(L, -1);
			if (i >= INT32_MIN && i <= INT32_MAX) {
				put_key(b, BT_INT32, key, klen);
				put_i32(b, (int32_t)i);
			} else {
				put_key(b, BT_INT64, key, klen);
				put_i64(b, (int64_t)i);
			}
		} else {
			put_key(b, BT_DOUBLE, key, klen);
			put_double(b, lua_tonumber(L, -1));
		}
		break;
	case LUA_TBOOLEAN:
		put_key(b, BT_BOOLEAN, key, klen);
		put_byte(b, lua_toboolean(L, -1));
		break;
	case LUA_TSTRING: {
		size_t len;
		const char *s = lua_tolstring(L, -1, &len);
		if (len >= 2 && s[0] == 0) {
			encode_special(b, key, klen, s, len);
		} else {
			put_key(b, BT_STRING, key, klen);
			put_i32(b, (int32_t)(len + 1));
			put_cstr(b, s, len);
		}
		break;
	}
	case LUA_TTABLE:
		if (depth >= BSON_MAX_DEPTH)
			luaL_error(L, "bson: too deep (more than %d levels; a cycle?)", BSON_MAX_DEPTH);
		encode_table(b, key, klen, -1, depth + 1);
		break;
	case LUA_TUSERDATA: {
		const unsigned char *doc = luaL_testudata(L, -1, BSON_META);
		if (doc == NULL)
			luaL_error(L, "bson: invalid value type : userdata (not a bson object)");
		put_key(b, BT_DOCUMENT, key, klen);
		put_bytes(b, doc, get_u32(doc));
		break;
	}
	default:
		luaL_error(L, "bson: invalid value type : %s", lua_typename(L, vt));
	}
}

/* Sequence test as skynet's: rawlen > 0 and no key after it. */
static int is_sequence(lua_State *L, int idx) {
	lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
	if (n == 0)
		return 0;
	lua_pushinteger(L, n);
	if (lua_next(L, idx) == 0)
		return 1;
	lua_pop(L, 2);
	return 0;
}

static void encode_array_body(struct bbuf *b, int idx, lua_Integer n, int depth) {
	lua_State *L = b->L;
	size_t off = reserve_len(b);
	for (lua_Integer i = 1; i <= n; i++) {
		char k[24];
		int kl = snprintf(k, sizeof(k), "%lld", (long long)(i - 1));
		lua_geti(L, idx, i);
		encode_value(b, k, (size_t)kl, depth);
		lua_pop(L, 1);
	}
	put_byte(b, 0);
	put_u32_at(b, off, (uint32_t)(b->n - off));
}

/* One key/value pair: key at -2, value at -1; pops the value. */
static void encode_pair(struct bbuf *b, int depth) {
	lua_State *L = b->L;
	int kt = lua_type(L, -2);
	size_t klen;
	const char *k;
	if (kt == LUA_TSTRING) {
		k = lua_tolstring(L, -2, &klen);
		encode_value(b, k, klen, depth);
	} else if (kt == LUA_TNUMBER) {
		lua_pushvalue(L, -2);
		k = lua_tolstring(L, -1, &klen); /* converts the copy only */
		lua_pushvalue(L, -2);
		encode_value(b, k, klen, depth);
		lua_pop(L, 2);
	} else {
		luaL_error(L, "bson: invalid key type : %s", lua_typename(L, kt));
	}
	lua_pop(L, 1);
}

static void encode_dict_body(struct bbuf *b, int idx, int depth) {
	lua_State *L = b->L;
	size_t off = reserve_len(b);
	idx = lua_absindex(L, idx);
	if (luaL_getmetafield(L, idx, "__pairs") != LUA_TNIL) {
		lua_pushvalue(L, idx);
		lua_call(L, 1, 3); /* next, state, key */
		for (;;) {
			lua_pushvalue(L, -3);
			lua_pushvalue(L, -3);
			lua_pushvalue(L, -3);
			lua_call(L, 2, 2);
			if (lua_isnil(L, -2)) {
				lua_pop(L, 5);
				break;
			}
			lua_pushvalue(L, -2);
			lua_replace(L, -4); /* control variable */
			encode_pair(b, depth);
			lua_pop(L, 1);
		}
	} else {
		lua_pushnil(L);
		while (lua_next(L, idx) != 0)
			encode_pair(b, depth);
	}
	put_byte(b, 0);
	put_u32_at(b, off, (uint32_t)(b->n - off));
}

/* The table at idx as the element `key`: an array or a document. */
static void encode_table(struct bbuf *b, const char *key, size_t klen, int idx, int depth) {
	lua_State *L = b->L;
	idx = lua_absindex(L, idx);
	luaL_checkstack(L, 16, NULL);
	if (luaL_getmetafield(L, idx, "__len") != LUA_TNIL) {
		lua_pushvalue(L, idx);
		lua_call(L, 1, 1);
		if (!lua_isinteger(L, -1))
			luaL_error(L, "bson: __len should return an integer");
		lua_Integer n = lua_tointeger(L, -1);
		lua_pop(L, 1);
		put_key(b, BT_ARRAY, key, klen);
		encode_array_body(b, idx, n, depth);
	} else if (luaL_getmetafield(L, idx, "__pairs") != LUA_TNIL) {
		lua_pop(L, 1);
		put_key(b, BT_DOCUMENT, key, klen);
		encode_dict_body(b, idx, depth);
	} else if (is_sequence(L, idx)) {
		put_key(b, BT_ARRAY, key, klen);
		encode_array_body(b, idx, (lua_Integer)lua_rawlen(L, idx), depth);
	} else {
		put_key(b, BT_DOCUMENT, key, klen);
		encode_dict_body(b, idx, depth);
	}
}

static void *push_bson_object(lua_State *L, const char *p, size_t n) {
	void *ud = lua_newuserdatauv(L, n, 1); /* user value: the makeindex table */
	memcpy(ud, p, n);
	luaL_setmetatable(L, BSON_META);
	return ud;
}

static int lencode(lua_State *L) {
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 1);
	struct bbuf b;
	bbuf_init(&b, L);
	encode_dict_body(&b, 1, 0);
	push_bson_object(L, b.p, b.n);
	return 1;
}

static int lencode_order(lua_State *L) {
	int n = lua_gettop(L);
	if (n % 2 != 0)
		return luaL_error(L, "Invalid ordered dict");
	struct bbuf b;
	bbuf_init(&b, L);
	size_t off = reserve_len(&b);
	for (int i = 1; i <= n; i += 2) {
		size_t klen;
		const char *k = lua_tolstring(L, i, &klen); /* a number key converts, as skynet's */
		if (k == NULL)
			return luaL_error(L, "Argument %d need a string", i);
		lua_pushvalue(L, i + 1);
		encode_value(&b, k, klen, 0);
		lua_pop(L, 1);
	}
	put_byte(&b, 0);
	put_u32_at(&b, off, (uint32_t)(b.n - off));
	push_bson_object(L, b.p, b.n);
	return 1;
}

/* ---- decoding ---- */

struct breader {
	lua_State *L;
	const unsigned char *p;
	size_t left;
};

static const unsigned char *take(struct breader *r, size_t n, const char *what) {
	if (r->left < n)
		luaL_error(r->L, "Invalid bson block: truncated %s (need %d, have %d)", what, (int)n, (int)r->left);
	const unsigned char *p = r->p;
	r->p += n;
	r->left -= n;
	return p;
}

static const char *take_cstr(struct breader *r, size_t *len) {
	const unsigned char *z = memchr(r->p, 0, r->left);
	if (z == NULL)
		luaL_error(r->L, "Invalid bson block: unterminated cstring");
	*len = (size_t)(z - r->p);
	return (const char *)take(r, *len + 1, "cstring");
}

static void push_special(lua_State *L, int type, const void *p, size_t n) {
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	luaL_addchar(&b, 0);
	luaL_addchar(&b, (char)type);
	luaL_addlstring(&b, p, n);
	luaL_pushresult(&b);
}

static void decode_doc(struct breader *r, int array, int depth);

static void decode_value(struct breader *r, int bt, int depth) {
	lua_State *L = r->L;
	switch (bt) {
	case BT_DOUBLE: {
		uint64_t u = get_u64(take(r, 8, "double"));
		double d;
		memcpy(&d, &u, 8);
		lua_pushnumber(L, d);
		break;
	}
	case BT_STRING: {
		int32_t sz = (int32_t)get_u32(take(r, 4, "string length"));
		if (sz <= 0)
			luaL_error(L, "Invalid bson string, length = %d", (int)sz);
		const unsigned char *s = take(r, (size_t)sz, "string");
		if (s[sz - 1] != 0)
			luaL_error(L, "Invalid bson string: no terminating zero");
		lua_pushlstring(L, (const char *)s, (size_t)sz - 1);
		break;
	}
	case BT_DOCUMENT:
	case BT_ARRAY:
		if (depth >= BSON_MAX_DEPTH)
			luaL_error(L, "Invalid bson block: nested too deep");
		decode_doc(r, bt == BT_ARRAY, depth + 1);
		break;
	case BT_BINARY: {
		int32_t sz = (int32_t)get_u32(take(r, 4, "binary length"));
		if (sz < 0)
			luaL_error(L, "Invalid bson binary, length = %d", (int)sz);
		const unsigned char *p = take(r, (size_t)sz + 1, "binary");
		push_special(L, BT_BINARY, p, (size_t)sz + 1);
		break;
	}
	case BT_OBJECTID:
		push_special(L, BT_OBJECTID, take(r, 12, "objectid"), 12);
		break;
	case BT_BOOLEAN:
		lua_pushboolean(L, *take(r, 1, "boolean") != 0);
		break;
	case BT_DATE: {
		int64_t ms = (int64_t)get_u64(take(r, 8, "date"));
		uint32_t sec = (uint32_t)(ms / 1000);
		unsigned char v[4] = { sec & 0xff, (sec >> 8) & 0xff, (sec >> 16) & 0xff, sec >> 24 };
		push_special(L, BT_DATE, v, 4);
		break;
	}
	case BT_NULL:
	case BT_MINKEY:
	case BT_MAXKEY:
	case BT_UNDEFINED:
		push_special(L, bt, NULL, 0);
		break;
	case BT_REGEX: {
		const unsigned char *start = r->p;
		size_t l1, l2;
		take_cstr(r, &l1);
		take_cstr(r, &l2);
		push_special(L, BT_REGEX, start, l1 + l2 + 2);
		break;
	}
	case BT_INT32:
		lua_pushinteger(L, (int32_t)get_u32(take(r, 4, "int32")));
		break;
	case BT_TIMESTAMP:
		push_special(L, BT_TIMESTAMP, take(r, 8, "timestamp"), 8);
		break;
	case BT_INT64:
		lua_pushinteger(L, (lua_Integer)(int64_t)get_u64(take(r, 8, "int64")));
		break;
	case BT_JSCODE:
	case BT_SYMBOL: {
		const unsigned char *start = r->p;
		int32_t sz = (int32_t)get_u32(take(r, 4, "length"));
		if (sz <= 0)
			luaL_error(L, "Invalid bson block: length %d", (int)sz);
		take(r, (size_t)sz, "string");
		push_special(L, bt, start, (size_t)sz + 4);
		break;
	}
	case BT_CODEWS: {
		const unsigned char *start = r->p;
		int32_t sz = (int32_t)get_u32(take(r, 4, "length"));
		if (sz < 4)
			luaL_error(L, "Invalid bson block: length %d", (int)sz);
		take(r, (size_t)sz - 4, "code with scope");
		push_special(L, bt, start, (size_t)sz);
		break;
	}
	case BT_DBPOINTER: {
		const unsigned char *start = r->p;
		int32_t sz = (int32_t)get_u32(take(r, 4, "length"));
		if (sz <= 0)
			luaL_error(L, "Invalid bson block: length %d", (int)sz);
		take(r, (size_t)sz + 12, "dbpointer");
		push_special(L, bt, start, (size_t)sz + 16);
		break;
	}
	default:
		luaL_error(L, "Invalid bson type : %d", bt);
	}
}

/* Reads one document (length, elements, 0) from r and pushes a table. */
static void decode_doc(struct breader *r, int array, int depth) {
	lua_State *L = r->L;
	luaL_checkstack(L, 8, NULL);
	int32_t sz = (int32_t)get_u32(take(r, 4, "document length"));
	if (sz < 5)
		luaL_error(L, "Invalid bson block: document length %d", (int)sz);
	const unsigned char *body = take(r, (size_t)sz - 4, "document");
	if (body[sz - 5] != 0)
		luaL_error(L, "Invalid bson block: document does not end with 0");
	struct breader in = { L, body, (size_t)sz - 5 };
	lua_newtable(L);
	while (in.left > 0) {
		int bt = *take(&in, 1, "type");
		size_t klen;
		const char *key = take_cstr(&in, &klen);
		if (array) {
			lua_pushinteger(L, strtoll(key, NULL, 10) + 1);
		} else {
			lua_pushlstring(L, key, klen);
		}
		decode_value(&in, bt, depth);
		lua_rawset(L, -3);
	}
}

static void decode_bytes(lua_State *L, const void *p, size_t n) {
	struct breader r = { L, p, n };
	decode_doc(&r, 0, 0);
}

static int ldecode(lua_State *L) {
	switch (lua_type(L, 1)) {
	case LUA_TSTRING: {
		size_t n;
		const char *s = lua_tolstring(L, 1, &n);
		decode_bytes(L, s, n);
		return 1;
	}
	case LUA_TUSERDATA: {
		void *p = luaL_checkudata(L, 1, BSON_META);
		decode_bytes(L, p, lua_rawlen(L, 1));
		return 1;
	}
	case LUA_TLIGHTUSERDATA: {
		/* a document in memory the caller owns: its own length bounds it */
		const unsigned char *p = lua_touserdata(L, 1);
		if (p == NULL)
			return 0;
		decode_bytes(L, p, get_u32(p));
		return 1;
	}
	default:
		return luaL_error(L, "bson.decode: a bson object or string expected, got %s", luaL_typename(L, 1));
	}
}

/* ---- in-place replacement (skynet's makeindex / __newindex) ---- */

/* obj:makeindex(): remembers where each top-level field of a fixed-size type
 * lives (key -> type | offset << 8), so `obj.key = value` can overwrite it in
 * place without re-encoding. */
static int lmakeindex(lua_State *L) {
	unsigned char *doc = luaL_checkudata(L, 1, BSON_META);
	size_t total = lua_rawlen(L, 1);
	struct breader r = { L, doc + 4, total - 5 };
	lua_newtable(L);
	while (r.left > 0) {
		int bt = *take(&r, 1, "type");
		size_t klen;
		const char *key = take_cstr(&r, &klen);
		size_t fixed = 0;
		switch (bt) {
		case BT_DOUBLE: case BT_DATE: case BT_TIMESTAMP: case BT_INT64: fixed = 8; break;
		case BT_BOOLEAN: fixed = 1; break;
		case BT_OBJECTID: fixed = 12; break;
		case BT_INT32: fixed = 4; break;
		}
		size_t off = (size_t)(r.p - doc);
		if (fixed) {
			take(&r, fixed, "field");
			lua_pushlstring(L, key, klen);
			lua_pushinteger(L, (lua_Integer)(bt | off << 8));
			lua_rawset(L, -3);
		} else {
			decode_value(&r, bt, 0); /* skips the value */
			lua_pop(L, 1);
		}
	}
	lua_setiuservalue(L, 1, 1);
	lua_settop(L, 1);
	return 1;
}

static void replace_special(lua_State *L, int type, unsigned char *dst) {
	size_t n;
	const char *s = luaL_checklstring(L, 3, &n);
	if (n < 2 || s[0] != 0 || (unsigned char)s[1] != type)
		luaL_error(L, "Type mismatch, need bson type %d", type);
	const unsigned char *d = (const unsigned char *)s + 2;
	switch (type) {
	case BT_OBJECTID:
		if (n != 14)
			luaL_error(L, "Invalid object id");
		memcpy(dst, d, 12);
		break;
	case BT_DATE: {
		if (n != 6)
			luaL_error(L, "Invalid date");
		uint64_t ms = (uint64_t)get_u32(d) * 1000;
		for (int i = 0; i < 8; i++)
			dst[i] = (ms >> (i * 8)) & 0xff;
		break;
	}
	case BT_TIMESTAMP:
		if (n != 10)
			luaL_error(L, "Invalid timestamp");
		memcpy(dst, d, 8);
		break;
	}
}

static int lreplace(lua_State *L) {
	unsigned char *doc = luaL_checkudata(L, 1, BSON_META);
	if (lua_getiuservalue(L, 1, 1) != LUA_TTABLE)
		return luaL_error(L, "call makeindex first");
	lua_pushvalue(L, 2);
	if (lua_rawget(L, -2) != LUA_TNUMBER)
		return luaL_error(L, "Can't replace key : %s", luaL_tolstring(L, 2, NULL));
	lua_Integer id = lua_tointeger(L, -1);
	int type = (int)(id & 0xff);
	unsigned char *dst = doc + (id >> 8);
	switch (type) {
	case BT_DOUBLE: {
		double v = luaL_checknumber(L, 3);
		uint64_t u;
		memcpy(&u, &v, 8);
		for (int i = 0; i < 8; i++)
			dst[i] = (u >> (i * 8)) & 0xff;
		break;
	}
	case BT_BOOLEAN:
		dst[0] = (unsigned char)lua_toboolean(L, 3);
		break;
	case BT_INT32: {
		if (!lua_isinteger(L, 3))
			return luaL_error(L, "%f must be a 32bit integer ", lua_tonumber(L, 3));
		uint32_t v = (uint32_t)lua_tointeger(L, 3);
		for (int i = 0; i < 4; i++)
			dst[i] = (v >> (i * 8)) & 0xff;
		break;
	}
	case BT_INT64: {
		if (!lua_isinteger(L, 3))
			return luaL_error(L, "%f must be a 64bit integer ", lua_tonumber(L, 3));
		uint64_t v = (uint64_t)lua_tointeger(L, 3);
		for (int i = 0; i < 8; i++)
			dst[i] = (v >> (i * 8)) & 0xff;
		break;
	}
	case BT_OBJECTID:
	case BT_DATE:
	case BT_TIMESTAMP:
		replace_special(L, type, dst);
		break;
	default:
		return luaL_error(L, "Can't replace type %d", type);
	}
	return 0;
}

static int ltostring(lua_State *L) {
	void *p = luaL_checkudata(L, 1, BSON_META);
	lua_pushlstring(L, p, lua_rawlen(L, 1));
	return 1;
}

static int llen(lua_State *L) {
	luaL_checkudata(L, 1, BSON_META);
	lua_pushinteger(L, (lua_Integer)lua_rawlen(L, 1));
	return 1;
}

/* ---- special values ---- */

static int ldate(lua_State *L) {
	lua_Integer sec = luaL_checkinteger(L, 1);
	uint32_t v = (uint32_t)sec;
	unsigned char d[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };
	push_special(L, BT_DATE, d, 4);
	return 1;
}

static int ltimestamp(lua_State *L) {
	static uint32_t counter;
	uint32_t ts = (uint32_t)luaL_checkinteger(L, 1);
	uint32_t inc = lua_isnoneornil(L, 2) ? __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED)
	                                     : (uint32_t)luaL_checkinteger(L, 2);
	unsigned char d[8];
	for (int i = 0; i < 4; i++) {
		d[i] = (inc >> (i * 8)) & 0xff;
		d[4 + i] = (ts >> (i * 8)) & 0xff;
	}
	push_special(L, BT_TIMESTAMP, d, 8);
	return 1;
}

static int lint64(lua_State *L) {
	uint64_t v = (uint64_t)luaL_checkinteger(L, 1);
	unsigned char d[8];
	for (int i = 0; i < 8; i++)
		d[i] = (v >> (i * 8)) & 0xff;
	push_special(L, BT_INT64, d, 8);
	return 1;
}

static int lregex(lua_State *L) {
	size_t l1, l2 = 0;
	const char *pat = luaL_checklstring(L, 1, &l1);
	const char *opt = luaL_optlstring(L, 2, "", &l2);
	if (memchr(pat, 0, l1) || memchr(opt, 0, l2))
		return luaL_error(L, "bson.regex: zero byte in pattern or options");
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	luaL_addchar(&b, 0);
	luaL_addchar(&b, BT_REGEX);
	luaL_addlstring(&b, pat, l1);
	luaL_addchar(&b, 0);
	luaL_addlstring(&b, opt, l2);
	luaL_addchar(&b, 0);
	luaL_pushresult(&b);
	return 1;
}

static int lbinary(lua_State *L) {
	size_t n;
	const char *s = luaL_checklstring(L, 1, &n);
	int subtype = (int)luaL_optinteger(L, 2, 0);
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	luaL_addchar(&b, 0);
	luaL_addchar(&b, BT_BINARY);
	luaL_addchar(&b, (char)subtype);
	luaL_addlstring(&b, s, n);
	luaL_pushresult(&b);
	return 1;
}

static unsigned char oid_machine[5];
static uint32_t oid_counter;

static void oid_init(void) {
	uint32_t h = 2166136261u;
	char host[256] = { 0 };
	if (gethostname(host, sizeof(host) - 1) == 0) {
		for (const char *c = host; *c; c++)
			h = (h ^ (unsigned char)*c) * 16777619u;
	}
	pid_t pid = getpid();
	oid_machine[0] = h & 0xff;
	oid_machine[1] = (h >> 8) & 0xff;
	oid_machine[2] = (h >> 16) & 0xff;
	oid_machine[3] = pid & 0xff;
	oid_machine[4] = (pid >> 8) & 0xff;
	uint32_t c = h ^ (uint32_t)time(NULL) ^ (uint32_t)(uintptr_t)&h;
	uint32_t zero = 0;
	__atomic_compare_exchange_n(&oid_counter, &zero, c ? c : 1, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

static int hexval(int c) {
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int lobjectid(lua_State *L) {
	unsigned char id[12];
	if (lua_type(L, 1) == LUA_TSTRING) {
		size_t n;
		const char *s = lua_tolstring(L, 1, &n);
		if (n != 24)
			return luaL_error(L, "Invalid objectid %s", s);
		for (int i = 0; i < 12; i++) {
			int hi = hexval(s[i * 2]), lo = hexval(s[i * 2 + 1]);
			if (hi < 0 || lo < 0)
				return luaL_error(L, "Invalid objectid %s", s);
			id[i] = (unsigned char)(hi << 4 | lo);
		}
	} else {
		uint32_t t = (uint32_t)time(NULL);
		uint32_t c = __atomic_fetch_add(&oid_counter, 1, __ATOMIC_RELAXED);
		id[0] = t >> 24;
		id[1] = (t >> 16) & 0xff;
		id[2] = (t >> 8) & 0xff;
		id[3] = t & 0xff;
		memcpy(id + 4, oid_machine, 5);
		id[9] = (c >> 16) & 0xff;
		id[10] = (c >> 8) & 0xff;
		id[11] = c & 0xff;
	}
	push_special(L, BT_OBJECTID, id, 12);
	return 1;
}

/* bson.type(v) -> type name, then the value's parts (skynet's order). */
static int ltype_special(lua_State *L, int t, const unsigned char *d, size_t n) {
	switch (t) {
	case BT_BINARY:
		if (n < 1)
			break;
		lua_pushliteral(L, "binary");
		lua_pushlstring(L, (const char *)d + 1, n - 1);
		lua_pushinteger(L, d[0]);
		return 3;
	case BT_OBJECTID: {
		if (n != 12)
			break;
		static const char hex[] = "0123456789abcdef";
		char s[24];
		for (int i = 0; i < 12; i++) {
			s[i * 2] = hex[d[i] >> 4];
			s[i * 2 + 1] = hex[d[i] & 0xf];
		}
		lua_pushliteral(L, "objectid");
		lua_pushlstring(L, s, 24);
		return 2;
	}
	case BT_DATE:
		if (n != 4)
			break;
		lua_pushliteral(L, "date");
		lua_pushinteger(L, get_u32(d));
		return 2;
	case BT_TIMESTAMP:
		if (n != 8)
			break;
		lua_pushliteral(L, "timestamp");
		lua_pushinteger(L, get_u32(d + 4));
		lua_pushinteger(L, get_u32(d));
		return 3;
	case BT_INT64:
		if (n != 8)
			break;
		lua_pushliteral(L, "int64");
		lua_pushinteger(L, (lua_Integer)(int64_t)get_u64(d));
		return 2;
	case BT_REGEX: {
		const unsigned char *z = memchr(d, 0, n);
		if (z == NULL || n < 2 || d[n - 1] != 0)
			break;
		size_t l1 = (size_t)(z - d);
		lua_pushliteral(L, "regex");
		lua_pushlstring(L, (const char *)d, l1);
		lua_pushlstring(L, (const char *)d + l1 + 1, n - l1 - 2);
		return 3;
	}
	case BT_MINKEY:
		lua_pushliteral(L, "minkey");
		return 1;
	case BT_MAXKEY:
		lua_pushliteral(L, "maxkey");
		return 1;
	case BT_NULL:
		lua_pushliteral(L, "nil");
		return 1;
	case BT_JSCODE:
	case BT_DBPOINTER:
	case BT_SYMBOL:
	case BT_CODEWS:
	case BT_UNDEFINED:
		lua_pushliteral(L, "unsupported");
		lua_pushlstring(L, (const char *)d, n);
		return 2;
	}
	return luaL_error(L, "Invalid subtype %d", t);
}

static int ltype(lua_State *L) {
	int t = lua_type(L, 1);
	switch (t) {
	case LUA_TNUMBER:
		lua_pushliteral(L, "number");
		break;
	case LUA_TBOOLEAN:
		lua_pushliteral(L, "boolean");
		break;
	case LUA_TTABLE:
		lua_pushliteral(L, "table");
		break;
	case LUA_TNIL:
		lua_pushliteral(L, "nil");
		return 1;
	case LUA_TSTRING: {
		size_t n;
		const char *s = lua_tolstring(L, 1, &n);
		if (n >= 2 && s[0] == 0)
			return ltype_special(L, (unsigned char)s[1], (const unsigned char *)s + 2, n - 2);
		lua_pushliteral(L, "string");
		break;
	}
	default:
		return luaL_error(L, "Invalid type %s", lua_typename(L, t));
	}
	lua_pushvalue(L, 1);
	return 2;
}

LUAMOD_API int luaopen_bson(lua_State *L) {
	luaL_checkversion(L);
	oid_init();
	if (luaL_newmetatable(L, BSON_META)) {
		luaL_Reg m[] = {
			{ "decode", ldecode },
			{ "makeindex", lmakeindex },
			{ NULL, NULL },
		};
		luaL_newlib(L, m);
		lua_setfield(L, -2, "__index");
		lua_pushcfunction(L, ltostring);
		lua_setfield(L, -2, "__tostring");
		lua_pushcfunction(L, llen);
		lua_setfield(L, -2, "__len");
		lua_pushcfunction(L, lreplace);
		lua_setfield(L, -2, "__newindex");
	}
	lua_pop(L, 1);
	luaL_Reg l[] = {
		{ "encode", lencode },
		{ "encode_order", lencode_order },
		{ "decode", ldecode },
		{ "date", ldate },
		{ "timestamp", ltimestamp },
		{ "regex", lregex },
		{ "binary", lbinary },
		{ "objectid", lobjectid },
		{ "int64", lint64 },
		{ "type", ltype },
		{ NULL, NULL },
	};
	luaL_newlib(L, l);
	push_special(L, BT_NULL, NULL, 0);
	lua_setfield(L, -2, "null");
	push_special(L, BT_MINKEY, NULL, 0);
	lua_setfield(L, -2, "minkey");
	push_special(L, BT_MAXKEY, NULL, 0);
	lua_setfield(L, -2, "maxkey");
	return 1;
}
