/* lua-cluster.c: the Lua module skynet.cluster.core, the frames of skynet's
 * cluster protocol (used by clustersender, clusteragent and clusterd).
 *
 * Every frame on the wire is a 2-byte big-endian length and that many bytes.
 * Inside a frame the 32-bit fields (address, session, size) are little-endian.
 * A payload of a request below 32 KiB (MULTI_PART) travels in one frame; a
 * larger one is announced by a header frame with its total size and follows in
 * parts of at most 32 KiB (type 2, the last one type 3), tied by the session.
 *
 * Request frames (first byte after the length):
 *   0x00 addr:4 session:4 msg        0x80 len:1 name session:4 msg
 *   0x01 addr:4 session:4 size:4     0x81 len:1 name session:4 size:4
 *   0x41 (as 0x01, a push)           0xc1 (as 0x81, a push)
 *   0x02/0x03 session:4 part         0x04 trace tag
 *   0x05 nonce:16 proof:20           (beyond skynet: cluster_secret answer)
 * A one-frame push has session 0. Response frames: session:4 type:1 data, type
 * 0 error text, 1 ok, 2 multi begin (data = size:4), 3 a part, 4 the last part.
 *
 * Lua API (internal to the cluster services):
 *   packrequest(addr, session, msg, sz) -> frame, next_session, parts|nil
 *   packpush(addr, session, msg, sz)    -> frame, next_session, parts|nil
 *       msg/sz as skynet.pack returns them; msg is freed here.
 *   packtrace(tag) -> frame
 *   unpackrequest(body) -> one of
 *       addr, session, msg, false, is_push   a whole request (is_push: session 0)
 *       addr, session, size, true, is_push   a multi-part header
 *       false, session, part, more           a part (more: not the last one)
 *       tag                                  a trace tag (second value nil)
 *     body is a frame without its length; a malformed one raises.
 *   packresponse(session, ok, msg [, sz]) -> frame | { frames }
 *       msg is a string or the pointer of a reply (not freed: it belongs to
 *       the dispatch); an error text is cut to 32 KiB.
 *   unpackresponse(body) -> session, ok, data [, padding] | nothing if malformed
 *   header(two bytes) -> length
 *   isname(addr) -> true for a cluster.register name ("@name")
 */
#include "skynet.h"

#include <lua.h>
#include <lauxlib.h>

#include <stdint.h>
#include <string.h>

#define MULTI_PART 0x8000
#define FRAME_MAX 0xffff
#define NAME_MAX_LEN 255

static void
cluster_put16(uint8_t *p, size_t n) {
	p[0] = (n >> 8) & 0xff;
	p[1] = n & 0xff;
}

static void
cluster_put32(uint8_t *p, uint32_t v) {
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = (v >> 24) & 0xff;
}

static uint32_t
cluster_get32(const uint8_t *p) {
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The message of a pack call: a skynet.pack pointer (owned) or a string. */
struct cluster_msg {
	const uint8_t *data;
	size_t size;
	void *owned;
};

static void
cluster_checkmsg(lua_State *L, int idx, struct cluster_msg *m) {
	m->owned = NULL;
	if (lua_type(L, idx) == LUA_TSTRING) {
		m->data = (const uint8_t *)lua_tolstring(L, idx, &m->size);
		return;
	}
	luaL_checktype(L, idx, LUA_TLIGHTUSERDATA);
	m->owned = lua_touserdata(L, idx);
	lua_Integer sz = luaL_checkinteger(L, idx + 1);
	if (sz < 0) {
		skynet_free(m->owned);
		luaL_error(L, "cluster: invalid message size %d", (int)sz);
	}
	m->data = m->owned;
	m->size = (size_t)sz;
}

/* The frames of a payload split in parts, type 2 then 3 for the last. */
static void
cluster_pushparts(lua_State *L, uint32_t session, const uint8_t *p, size_t sz) {
	size_t n = (sz + MULTI_PART - 1) / MULTI_PART;
	lua_createtable(L, (int)n, 0);
	uint8_t buf[MULTI_PART + 7];
	size_t i;
	for (i = 0; i < n; i++) {
		size_t s = sz > MULTI_PART ? MULTI_PART : sz;
		buf[2] = sz > MULTI_PART ? 2 : 3;
		cluster_put16(buf, s + 5);
		cluster_put32(buf + 3, session);
		memcpy(buf + 7, p, s);
		lua_pushlstring(L, (const char *)buf, s + 7);
		lua_rawseti(L, -2, (lua_Integer)(i + 1));
		p += s;
		sz -= s;
	}
}

/* Writes the request head (type, address) into buf; returns its length. */
static size_t
cluster_head(lua_State *L, uint8_t *buf, int multi, int push, struct cluster_msg *m) {
	if (lua_type(L, 1) == LUA_TSTRING) {
		size_t len;
		const char *name = lua_tolstring(L, 1, &len);
		if (len == 0 || len > NAME_MAX_LEN) {
			skynet_free(m->owned);
			luaL_error(L, "cluster: invalid name length %d", (int)len);
		}
		buf[2] = multi ? (push ? 0xc1 : 0x81) : 0x80;
		buf[3] = (uint8_t)len;
		memcpy(buf + 4, name, len);
		return 4 + len;
	}
	if (!lua_isinteger(L, 1)) {
		skynet_free(m->owned);
		luaL_error(L, "cluster: address must be an integer or a string, got %s", luaL_typename(L, 1));
	}
	buf[2] = multi ? (push ? 0x41 : 1) : 0;
	cluster_put32(buf + 3, (uint32_t)lua_tointeger(L, 1));
	return 7;
}

static int
cluster_pack(lua_State *L, int push) {
	struct cluster_msg m;
	cluster_checkmsg(L, 3, &m);
	lua_Integer session = lua_tointeger(L, 2);
	if (session <= 0 || session > 0x7fffffff) {
		skynet_free(m.owned);
		return luaL_error(L, "cluster: invalid request session %d", (int)session);
	}
	uint8_t buf[MULTI_PART + NAME_MAX_LEN + 16];
	int multi = m.size >= MULTI_PART;
	size_t h = cluster_head(L, buf, multi, push, &m);
	if (!multi) {
		cluster_put32(buf + h, push ? 0 : (uint32_t)session);
		memcpy(buf + h + 4, m.data, m.size);
		cluster_put16(buf, h + 4 + m.size - 2);
		lua_pushlstring(L, (const char *)buf, h + 4 + m.size);
	} else {
		cluster_put32(buf + h, (uint32_t)session);
		cluster_put32(buf + h + 4, (uint32_t)m.size);
		cluster_put16(buf, h + 8 - 2);
		lua_pushlstring(L, (const char *)buf, h + 8);
	}
	lua_Integer next = session >= 0x7fffffff ? 1 : session + 1;
	lua_pushinteger(L, next);
	if (multi) {
		cluster_pushparts(L, (uint32_t)session, m.data, m.size);
	} else {
		lua_pushnil(L);
	}
	skynet_free(m.owned);
	return 3;
}

static int
lcluster_packrequest(lua_State *L) {
	return cluster_pack(L, 0);
}

static int
lcluster_packpush(lua_State *L) {
	return cluster_pack(L, 1);
}

static int
lcluster_packtrace(lua_State *L) {
	size_t len;
	const char *tag = luaL_checklstring(L, 1, &len);
	if (len + 1 > FRAME_MAX) {
		return luaL_error(L, "cluster: trace tag too long");
	}
	uint8_t buf[FRAME_MAX + 2];
	cluster_put16(buf, len + 1);
	buf[2] = 4;
	memcpy(buf + 3, tag, len);
	lua_pushlstring(L, (const char *)buf, len + 3);
	return 1;
}

static int
cluster_unpack_whole(lua_State *L, const uint8_t *p, size_t sz, size_t at) {
	/* at: offset of the session field */
	if (sz < at + 4) {
		return luaL_error(L, "Invalid cluster message (size=%d)", (int)sz);
	}
	uint32_t session = cluster_get32(p + at);
	lua_pushinteger(L, session);
	lua_pushlstring(L, (const char *)p + at + 4, sz - at - 4);
	lua_pushboolean(L, 0);
	lua_pushboolean(L, session == 0);
	return 5;
}

static int
cluster_unpack_multi(lua_State *L, const uint8_t *p, size_t sz, size_t at, int push) {
	if (sz != at + 8) {
		return luaL_error(L, "Invalid cluster multi req header (size=%d)", (int)sz);
	}
	uint32_t session = cluster_get32(p + at);
	if (session == 0) {
		return luaL_error(L, "Invalid cluster multi req session 0");
	}
	lua_pushinteger(L, session);
	lua_pushinteger(L, cluster_get32(p + at + 4));
	lua_pushboolean(L, 1);
	lua_pushboolean(L, push);
	return 5;
}

/* Pushes the name of a 0x80-family request; returns the session offset. */
static size_t
cluster_pushname(lua_State *L, const uint8_t *p, size_t sz) {
	if (sz < 2 || p[1] == 0 || sz < 2u + p[1]) {
		luaL_error(L, "Invalid cluster message name (size=%d)", (int)sz);
	}
	lua_pushlstring(L, (const char *)p + 2, p[1]);
	return 2u + p[1];
}

static int
lcluster_unpackrequest(lua_State *L) {
	size_t sz;
	const uint8_t *p;
	if (lua_type(L, 1) == LUA_TLIGHTUSERDATA) {
		p = lua_touserdata(L, 1);
		sz = (size_t)luaL_checkinteger(L, 2);
	} else {
		p = (const uint8_t *)luaL_checklstring(L, 1, &sz);
	}
	if (sz == 0) {
		return luaL_error(L, "Invalid req package. size == 0");
	}
	switch (p[0]) {
	case 0x00:
	case 0x01:
	case 0x41:
		if (sz < 5) {
			return luaL_error(L, "Invalid cluster message (size=%d)", (int)sz);
		}
		lua_pushinteger(L, cluster_get32(p + 1));
		return p[0] == 0 ? cluster_unpack_whole(L, p, sz, 5) : cluster_unpack_multi(L, p, sz, 5, p[0] == 0x41);
	case 0x80:
		return cluster_unpack_whole(L, p, sz, cluster_pushname(L, p, sz));
	case 0x81:
	case 0xc1:
		return cluster_unpack_multi(L, p, sz, cluster_pushname(L, p, sz), p[0] == 0xc1);
	case 0x02:
	case 0x03:
		if (sz < 5) {
			return luaL_error(L, "Invalid cluster multi part message (size=%d)", (int)sz);
		}
		lua_pushboolean(L, 0);
		lua_pushinteger(L, cluster_get32(p + 1));
		lua_pushlstring(L, (const char *)p + 5, sz - 5);
		lua_pushboolean(L, p[0] == 2);
		return 4;
	case 0x04:
		lua_pushlstring(L, (const char *)p + 1, sz - 1);
		return 1;
	default:
		return luaL_error(L, "Invalid req package type %d", p[0]);
	}
}

static int
lcluster_packresponse(lua_State *L) {
	uint32_t session = (uint32_t)luaL_checkinteger(L, 1);
	int ok = lua_toboolean(L, 2);
	const uint8_t *msg;
	size_t sz;
	if (lua_type(L, 3) == LUA_TSTRING) {
		msg = (const uint8_t *)lua_tolstring(L, 3, &sz);
	} else if (lua_type(L, 3) == LUA_TLIGHTUSERDATA) {
		msg = lua_touserdata(L, 3);
		lua_Integer n = luaL_checkinteger(L, 4);
		sz = n < 0 ? 0 : (size_t)n;
	} else {
		msg = (const uint8_t *)"";
		sz = 0;
	}
	uint8_t buf[MULTI_PART + 8];
	if (!ok && sz > MULTI_PART) {
		sz = MULTI_PART;
	}
	if (sz <= MULTI_PART) {
		cluster_put16(buf, sz + 5);
		cluster_put32(buf + 2, session);
		buf[6] = ok ? 1 : 0;
		memcpy(buf + 7, msg, sz);
		lua_pushlstring(L, (const char *)buf, sz + 7);
		return 1;
	}
	size_t n = (sz + MULTI_PART - 1) / MULTI_PART;
	lua_createtable(L, (int)n + 1, 0);
	cluster_put16(buf, 9);
	cluster_put32(buf + 2, session);
	buf[6] = 2;
	cluster_put32(buf + 7, (uint32_t)sz);
	lua_pushlstring(L, (const char *)buf, 11);
	lua_rawseti(L, -2, 1);
	size_t i;
	for (i = 0; i < n; i++) {
		size_t s = sz > MULTI_PART ? MULTI_PART : sz;
		cluster_put16(buf, s + 5);
		cluster_put32(buf + 2, session);
		buf[6] = sz > MULTI_PART ? 3 : 4;
		memcpy(buf + 7, msg, s);
		lua_pushlstring(L, (const char *)buf, s + 7);
		lua_rawseti(L, -2, (lua_Integer)(i + 2));
		msg += s;
		sz -= s;
	}
	return 1;
}

static int
lcluster_unpackresponse(lua_State *L) {
	size_t sz;
	const uint8_t *p = (const uint8_t *)luaL_checklstring(L, 1, &sz);
	if (sz < 5) {
		return 0;
	}
	lua_pushinteger(L, cluster_get32(p));
	switch (p[4]) {
	case 0:
	case 1:
	case 4:
		lua_pushboolean(L, p[4] != 0);
		lua_pushlstring(L, (const char *)p + 5, sz - 5);
		return 3;
	case 2:
		if (sz != 9) {
			return 0;
		}
		lua_pushboolean(L, 1);
		lua_pushinteger(L, cluster_get32(p + 5));
		lua_pushboolean(L, 1);
		return 4;
	case 3:
		lua_pushboolean(L, 1);
		lua_pushlstring(L, (const char *)p + 5, sz - 5);
		lua_pushboolean(L, 1);
		return 4;
	default:
		return 0;
	}
}

static int
lcluster_header(lua_State *L) {
	size_t sz;
	const uint8_t *p = (const uint8_t *)luaL_checklstring(L, 1, &sz);
	if (sz != 2) {
		return luaL_error(L, "cluster: a header is 2 bytes, got %d", (int)sz);
	}
	lua_pushinteger(L, (lua_Integer)p[0] << 8 | p[1]);
	return 1;
}

static int
lcluster_isname(lua_State *L) {
	const char *s = lua_tostring(L, 1);
	lua_pushboolean(L, lua_type(L, 1) == LUA_TSTRING && s[0] == '@');
	return 1;
}

LUAMOD_API int
luaopen_skynet_cluster_core(lua_State *L) {
	luaL_checkversion(L);
	luaL_Reg l[] = {
		{ "packrequest", lcluster_packrequest },
		{ "packpush", lcluster_packpush },
		{ "packtrace", lcluster_packtrace },
		{ "unpackrequest", lcluster_unpackrequest },
		{ "packresponse", lcluster_packresponse },
		{ "unpackresponse", lcluster_unpackresponse },
		{ "header", lcluster_header },
		{ "isname", lcluster_isname },
		{ NULL, NULL },
	};
	luaL_newlib(L, l);
	return 1;
}
