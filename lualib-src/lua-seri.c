/* lua-seri.c: Lua values <-> the byte stream skynet services exchange as
 * PTYPE_LUA messages (skynet.pack / skynet.unpack).
 *
 * Every value starts with a tag byte: low 3 bits type, high 5 bits cookie.
 *   0 nil | 1 boolean (cookie = value) | 2 number (cookie: 0 zero, 1 uint8,
 *   2 uint16, 4 int32, 6 int64, 8 double) | 3 light userdata (a pointer) |
 *   4 short string (cookie = length < 32) | 5 long string (cookie 2: uint16
 *   length, 4: uint32 length) | 6 table (cookie = array length, or 31 and the
 *   length as a number value; then the array values, then key/value pairs,
 *   ended by a nil tag).
 * Multi-byte fields are little-endian. Negative integers always take the
 * signed 32/64-bit forms: the 1- and 2-byte forms are unsigned on the wire, so
 * encoding -1 in one byte would be read back as 255 by any other peer.
 *
 * Pack writes into a buffer that lives on the C stack while it is small and
 * moves to the heap when it outgrows it, so a typical message costs one
 * allocation: the final buffer handed to the caller. Any error raised while
 * packing frees the heap buffer first; the only code that can raise on its
 * own (a __pairs metamethod or its iterator) runs under lua_pcall so the
 * buffer is released before the error travels on. */
#include "lua-seri.h"

#include <lauxlib.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "skynet_malloc.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "lua-seri copies host-order integers; the wire format is little-endian"
#endif

enum {
	SERI_NIL = 0,
	SERI_BOOLEAN = 1,
	SERI_NUMBER = 2,
	SERI_USERDATA = 3,
	SERI_SHORT_STRING = 4,
	SERI_LONG_STRING = 5,
	SERI_TABLE = 6,
};

enum {
	SERI_NUM_ZERO = 0,
	SERI_NUM_BYTE = 1,
	SERI_NUM_WORD = 2,
	SERI_NUM_DWORD = 4,
	SERI_NUM_QWORD = 6,
	SERI_NUM_REAL = 8,
};

#define SERI_TAG(type, cookie) ((uint8_t)((type) | ((cookie) << 3)))
#define SERI_SHORT_MAX 32        /* strings shorter than this carry length in the cookie */
#define SERI_ARRAY_EXT 31        /* table cookie meaning "array length follows" */
#define SERI_MAX_DEPTH 32        /* nested tables allowed when packing */
/* Decoding tolerates a little more nesting than we produce (other packers
 * count levels differently) but stays bounded so a hostile stream of table
 * tags cannot exhaust the C stack. */
#define SERI_DECODE_DEPTH 64
#define SERI_INLINE 128

/* ---------------------------------------------------------------- writing */

struct seri_wbuf {
	lua_State *L;
	uint8_t *ptr;                /* inl while small, then a skynet_malloc block */
	size_t len;
	size_t cap;
	uint8_t inl[SERI_INLINE];
};

static void
wb_release(struct seri_wbuf *wb) {
	if (wb->ptr != wb->inl)
		skynet_free(wb->ptr);
	wb->ptr = wb->inl;
	wb->len = 0;
	wb->cap = SERI_INLINE;
}

/* Raise a Lua error after giving the buffer back. */
static void __attribute__((noreturn, format(printf, 2, 3)))
wb_fail(struct seri_wbuf *wb, const char *fmt, ...) {
	lua_State *L = wb->L;
	va_list ap;
	wb_release(wb);
	luaL_where(L, 1);
	va_start(ap, fmt);
	lua_pushvfstring(L, fmt, ap);
	va_end(ap);
	lua_concat(L, 2);
	lua_error(L);
	for (;;) {}              /* lua_error does not return */
}

/* Propagate the error object a protected call left on the stack top. */
static void __attribute__((noreturn))
wb_rethrow(struct seri_wbuf *wb) {
	wb_release(wb);
	lua_error(wb->L);
	for (;;) {}
}

static void
wb_grow(struct seri_wbuf *wb, size_t need) {
	size_t cap = wb->cap;
	while (cap - wb->len < need) {
		if (cap > SIZE_MAX / 2)
			wb_fail(wb, "serialize buffer too large");
		cap *= 2;
	}
	if (wb->ptr == wb->inl) {
		uint8_t *p = skynet_malloc(cap);
		memcpy(p, wb->inl, wb->len);
		wb->ptr = p;
	} else {
		wb->ptr = skynet_realloc(wb->ptr, cap);
	}
	wb->cap = cap;
}

/* Room for n more bytes; the caller advances len after writing. */
static inline uint8_t *
wb_reserve(struct seri_wbuf *wb, size_t n) {
	if (wb->cap - wb->len < n)
		wb_grow(wb, n);
	return wb->ptr + wb->len;
}

static inline void
wb_byte(struct seri_wbuf *wb, uint8_t b) {
	uint8_t *p = wb_reserve(wb, 1);
	*p = b;
	wb->len++;
}

static void
wb_integer(struct seri_wbuf *wb, lua_Integer v) {
	uint8_t *p = wb_reserve(wb, 1 + sizeof(int64_t));
	if (v == 0) {
		p[0] = SERI_TAG(SERI_NUMBER, SERI_NUM_ZERO);
		wb->len += 1;
	} else if (v != (lua_Integer)(int32_t)v) {
		int64_t x = (int64_t)v;
		p[0] = SERI_TAG(SERI_NUMBER, SERI_NUM_QWORD);
		memcpy(p + 1, &x, sizeof(x));
		wb->len += 1 + sizeof(x);
	} else if (v < 0 || v >= 0x10000) {
		int32_t x = (int32_t)v;
		p[0] = SERI_TAG(SERI_NUMBER, SERI_NUM_DWORD);
		memcpy(p + 1, &x, sizeof(x));
		wb->len += 1 + sizeof(x);
	} else if (v < 0x100) {
		p[0] = SERI_TAG(SERI_NUMBER, SERI_NUM_BYTE);
		p[1] = (uint8_t)v;
		wb->len += 2;
	} else {
		uint16_t x = (uint16_t)v;
		p[0] = SERI_TAG(SERI_NUMBER, SERI_NUM_WORD);
		memcpy(p + 1, &x, sizeof(x));
		wb->len += 1 + sizeof(x);
	}
}

static void
wb_real(struct seri_wbuf *wb, lua_Number v) {
	double d = (double)v;
	uint8_t *p = wb_reserve(wb, 1 + sizeof(d));
	p[0] = SERI_TAG(SERI_NUMBER, SERI_NUM_REAL);
	memcpy(p + 1, &d, sizeof(d));
	wb->len += 1 + sizeof(d);
}

static void
wb_pointer(struct seri_wbuf *wb, void *ptr) {
	uint8_t *p = wb_reserve(wb, 1 + sizeof(ptr));
	p[0] = SERI_TAG(SERI_USERDATA, 0);
	memcpy(p + 1, &ptr, sizeof(ptr));
	wb->len += 1 + sizeof(ptr);
}

static void
wb_string(struct seri_wbuf *wb, const char *s, size_t n) {
	uint8_t *p;
	size_t head;
	if (n < SERI_SHORT_MAX) {
		p = wb_reserve(wb, 1 + n);
		p[0] = SERI_TAG(SERI_SHORT_STRING, n);
		head = 1;
	} else if (n < 0x10000) {
		uint16_t x = (uint16_t)n;
		p = wb_reserve(wb, 3 + n);
		p[0] = SERI_TAG(SERI_LONG_STRING, 2);
		memcpy(p + 1, &x, sizeof(x));
		head = 3;
	} else {
		uint32_t x = (uint32_t)n;
		if ((size_t)x != n)
			wb_fail(wb, "serialize can't pack a string of %zu bytes (limit 4 GiB)", n);
		p = wb_reserve(wb, 5 + n);
		p[0] = SERI_TAG(SERI_LONG_STRING, 4);
		memcpy(p + 1, &x, sizeof(x));
		head = 5;
	}
	memcpy(p + head, s, n);
	wb->len += head + n;
}

static void pack_typed(struct seri_wbuf *wb, int idx, int t, int depth);
#define pack_value(wb, idx, depth) pack_typed((wb), (idx), lua_type((wb)->L, (idx)), (depth))

/* A table with __pairs is walked through it, so proxies and views pack as
 * what they present. Everything goes to the hash part. Stack on entry: the
 * __pairs metamethod on top. */
static void
pack_table_meta(struct seri_wbuf *wb, int idx, int depth) {
	lua_State *L = wb->L;
	wb_byte(wb, SERI_TAG(SERI_TABLE, 0));
	lua_pushvalue(L, idx);
	if (lua_pcall(L, 1, 3, 0) != LUA_OK)
		wb_rethrow(wb);
	/* stack: iter state control */
	for (;;) {
		lua_pushvalue(L, -3);
		lua_pushvalue(L, -3);
		lua_pushvalue(L, -3);
		if (lua_pcall(L, 2, 2, 0) != LUA_OK)
			wb_rethrow(wb);
		/* stack: iter state control key value */
		if (lua_isnil(L, -2)) {
			lua_pop(L, 5);
			break;
		}
		pack_value(wb, -2, depth);
		pack_value(wb, -1, depth);
		lua_pop(L, 1);
		lua_replace(L, -2);      /* the key becomes the next control value */
	}
	wb_byte(wb, SERI_NIL);
}

static void
pack_table_raw(struct seri_wbuf *wb, int idx, int depth) {
	lua_State *L = wb->L;
	lua_Unsigned n = lua_rawlen(L, idx);
	lua_Unsigned i;
	if (n < SERI_ARRAY_EXT) {
		wb_byte(wb, SERI_TAG(SERI_TABLE, n));
	} else {
		wb_byte(wb, SERI_TAG(SERI_TABLE, SERI_ARRAY_EXT));
		wb_integer(wb, (lua_Integer)n);
	}
	for (i = 1; i <= n; i++) {
		int t = lua_rawgeti(L, idx, (lua_Integer)i);
		pack_typed(wb, -1, t, depth);
		lua_pop(L, 1);
	}
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		if (lua_isinteger(L, -2)) {
			lua_Integer k = lua_tointeger(L, -2);
			if (k > 0 && (lua_Unsigned)k <= n) {
				lua_pop(L, 1);   /* already sent in the array part */
				continue;
			}
		}
		pack_value(wb, -2, depth);
		pack_value(wb, -1, depth);
		lua_pop(L, 1);
	}
	wb_byte(wb, SERI_NIL);
}

static void
pack_table(struct seri_wbuf *wb, int idx, int depth) {
	lua_State *L = wb->L;
	if (depth > SERI_MAX_DEPTH)
		wb_fail(wb, "serialize can't pack too depth table (more than %d levels)", SERI_MAX_DEPTH);
	/* Room for this level's key, value and __pairs triple plus a call. */
	if (!lua_checkstack(L, 8))
		wb_fail(wb, "serialize: Lua stack overflow");
	idx = lua_absindex(L, idx);
	/* Most tables have no metatable: test that before paying for the
	 * "__pairs" string lookup. */
	if (lua_getmetatable(L, idx)) {
		lua_pop(L, 1);
		if (luaL_getmetafield(L, idx, "__pairs") != LUA_TNIL) {
			pack_table_meta(wb, idx, depth);
			return;
		}
	}
	pack_table_raw(wb, idx, depth);
}

/* t is lua_type(idx), passed in when the caller already has it: the array
 * walk gets it from lua_rawgeti for free, and each API call counts here. */
static void
pack_typed(struct seri_wbuf *wb, int idx, int t, int depth) {
	lua_State *L = wb->L;
	switch (t) {
	case LUA_TNIL:
		wb_byte(wb, SERI_NIL);
		break;
	case LUA_TBOOLEAN:
		wb_byte(wb, SERI_TAG(SERI_BOOLEAN, lua_toboolean(L, idx) ? 1 : 0));
		break;
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx))
			wb_integer(wb, lua_tointeger(L, idx));
		else
			wb_real(wb, lua_tonumber(L, idx));
		break;
	case LUA_TSTRING: {
		size_t n;
		const char *s = lua_tolstring(L, idx, &n);
		wb_string(wb, s, n);
		break;
	}
	case LUA_TLIGHTUSERDATA:
		wb_pointer(wb, lua_touserdata(L, idx));
		break;
	case LUA_TTABLE:
		pack_table(wb, idx, depth + 1);
		break;
	default:
		wb_fail(wb, "Unsupported type %s to serialize", lua_typename(L, t));
	}
}

/* ---------------------------------------------------------------- reading */

struct seri_rbuf {
	lua_State *L;
	const uint8_t *begin;
	const uint8_t *p;
	const uint8_t *end;
};

static void __attribute__((noreturn))
rb_fail(struct seri_rbuf *rb, const char *why) {
	luaL_error(rb->L, "Invalid serialize stream: %s at offset %d of %d", why,
		(int)(rb->p - rb->begin), (int)(rb->end - rb->begin));
	for (;;) {}
}

static inline const uint8_t *
rb_take(struct seri_rbuf *rb, size_t n) {
	const uint8_t *q = rb->p;
	if ((size_t)(rb->end - q) < n)
		rb_fail(rb, "truncated");
	rb->p = q + n;
	return q;
}

static lua_Integer
rb_integer(struct seri_rbuf *rb, int cookie) {
	switch (cookie) {
	case SERI_NUM_ZERO:
		return 0;
	case SERI_NUM_BYTE:
		return *rb_take(rb, 1);
	case SERI_NUM_WORD: {
		uint16_t x;
		memcpy(&x, rb_take(rb, sizeof(x)), sizeof(x));
		return x;
	}
	case SERI_NUM_DWORD: {
		int32_t x;
		memcpy(&x, rb_take(rb, sizeof(x)), sizeof(x));
		return x;
	}
	case SERI_NUM_QWORD: {
		int64_t x;
		memcpy(&x, rb_take(rb, sizeof(x)), sizeof(x));
		return (lua_Integer)x;
	}
	default:
		rb_fail(rb, "bad number cookie");
	}
}

static void unpack_value(struct seri_rbuf *rb, uint8_t tag, int depth);

static inline void
unpack_one(struct seri_rbuf *rb, int depth) {
	uint8_t tag = *rb_take(rb, 1);
	unpack_value(rb, tag, depth);
}

static void
unpack_table(struct seri_rbuf *rb, int cookie, int depth) {
	lua_State *L = rb->L;
	lua_Integer n, i;
	if (depth > SERI_DECODE_DEPTH)
		rb_fail(rb, "tables nested too deep");
	if (!lua_checkstack(L, 4))
		luaL_error(L, "unpack: Lua stack overflow");
	if (cookie == SERI_ARRAY_EXT) {
		uint8_t tag = *rb_take(rb, 1);
		if ((tag & 7) != SERI_NUMBER || (tag >> 3) == SERI_NUM_REAL)
			rb_fail(rb, "array length is not an integer");
		n = rb_integer(rb, tag >> 3);
		/* Each element needs at least its tag byte: a bigger count is a lie
		 * that would only make us preallocate a huge table. */
		if (n < 0 || n > rb->end - rb->p)
			rb_fail(rb, "bad array length");
	} else {
		n = cookie;
	}
	lua_createtable(L, n > INT32_MAX ? INT32_MAX : (int)n, 0);
	for (i = 1; i <= n; i++) {
		unpack_one(rb, depth);
		lua_rawseti(L, -2, i);
	}
	for (;;) {
		uint8_t tag = *rb_take(rb, 1);
		if ((tag & 7) == SERI_NIL)
			break;
		unpack_value(rb, tag, depth);
		unpack_one(rb, depth);
		lua_rawset(L, -3);
	}
}

static void
unpack_value(struct seri_rbuf *rb, uint8_t tag, int depth) {
	lua_State *L = rb->L;
	int cookie = tag >> 3;
	switch (tag & 7) {
	case SERI_NIL:
		lua_pushnil(L);
		break;
	case SERI_BOOLEAN:
		if (cookie > 1)
			rb_fail(rb, "bad boolean");
		lua_pushboolean(L, cookie);
		break;
	case SERI_NUMBER:
		if (cookie == SERI_NUM_REAL) {
			double d;
			memcpy(&d, rb_take(rb, sizeof(d)), sizeof(d));
			lua_pushnumber(L, (lua_Number)d);
		} else {
			lua_pushinteger(L, rb_integer(rb, cookie));
		}
		break;
	case SERI_USERDATA: {
		void *ptr;
		if (cookie != 0)
			rb_fail(rb, "bad userdata cookie");
		memcpy(&ptr, rb_take(rb, sizeof(ptr)), sizeof(ptr));
		lua_pushlightuserdata(L, ptr);
		break;
	}
	case SERI_SHORT_STRING:
		lua_pushlstring(L, (const char *)rb_take(rb, cookie), cookie);
		break;
	case SERI_LONG_STRING: {
		size_t n;
		if (cookie == 2) {
			uint16_t x;
			memcpy(&x, rb_take(rb, sizeof(x)), sizeof(x));
			n = x;
		} else if (cookie == 4) {
			uint32_t x;
			memcpy(&x, rb_take(rb, sizeof(x)), sizeof(x));
			n = x;
		} else {
			rb_fail(rb, "bad long string cookie");
		}
		lua_pushlstring(L, (const char *)rb_take(rb, n), n);
		break;
	}
	case SERI_TABLE:
		unpack_table(rb, cookie, depth + 1);
		break;
	default:
		rb_fail(rb, "unknown type");
	}
}

/* ------------------------------------------------------------ public API */

int
luaseri_pack(lua_State *L) {
	struct seri_wbuf wb;
	int n = lua_gettop(L);
	int i;
	void *out;
	wb.L = L;
	wb.ptr = wb.inl;
	wb.len = 0;
	wb.cap = SERI_INLINE;
	for (i = 1; i <= n; i++)
		pack_value(&wb, i, 0);
	if (wb.ptr == wb.inl) {
		/* Never hand out NULL, even for pack() of nothing: callers treat
		 * the pointer as a message body to free later. */
		out = skynet_malloc(wb.len ? wb.len : 1);
		memcpy(out, wb.inl, wb.len);
	} else {
		out = wb.ptr;
	}
	lua_pushlightuserdata(L, out);
	lua_pushinteger(L, (lua_Integer)wb.len);
	return 2;
}

int
luaseri_unpack(lua_State *L) {
	struct seri_rbuf rb;
	const void *buf;
	size_t sz;
	switch (lua_type(L, 1)) {
	case LUA_TNONE:
	case LUA_TNIL:
		return 0;
	case LUA_TSTRING:
		buf = lua_tolstring(L, 1, &sz);
		break;
	case LUA_TLIGHTUSERDATA: {
		lua_Integer n = luaL_checkinteger(L, 2);
		if (n < 0)
			return luaL_argerror(L, 2, "negative size");
		buf = lua_touserdata(L, 1);
		sz = (size_t)n;
		if (buf == NULL && sz > 0)
			return luaL_argerror(L, 1, "NULL buffer with non-zero size");
		break;
	}
	default:
		return luaL_typeerror(L, 1, "string or lightuserdata");
	}
	/* Slot 1 keeps a string argument alive while we read from it. */
	lua_settop(L, 1);
	rb.L = L;
	rb.begin = rb.p = buf;
	rb.end = rb.begin + sz;
	while (rb.p < rb.end) {
		luaL_checkstack(L, 1, "unpack: too many values");
		unpack_one(&rb, 0);
	}
	return lua_gettop(L) - 1;
}
