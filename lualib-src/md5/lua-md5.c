/* lua-md5.c: the Lua module md5.core (luaclib/md5.so), the C half of the md5
 * library skynet ships (lualib/md5.lua adds sumhexa and hmacmd5 on top):
 *
 *   sum(s) -> 16-byte MD5 digest
 *   exor(a, b) -> a xor b (equal lengths)
 *   crypt(msg, key [, seed]) -> char(#seed) .. seed .. cipher
 *   decrypt(cipher, key) -> msg
 *
 * crypt is MD5 in cipher-feedback mode: the state is a block of the seed
 * (zero-filled to 16 bytes) followed by the key; each 16-byte piece of the
 * message is xored with md5(block), and the resulting cipher bytes replace the
 * front of the block. The seed defaults to the bytes of the current time_t. */
#include <lua.h>
#include <lauxlib.h>

#include <string.h>
#include <time.h>

#include "../crypt_hash.h"

#define MD5_SEED_MAX MD5_DIGEST
#define MD5_KEY_MAX 256

struct md5_stream {
	uint8_t block[MD5_SEED_MAX + MD5_KEY_MAX];
	size_t len;
};

static void
md5_stream_init(lua_State *L, struct md5_stream *st, const char *seed, size_t seedsz) {
	size_t keysz;
	const char *key = luaL_checklstring(L, 2, &keysz);
	if (keysz > MD5_KEY_MAX)
		luaL_error(L, "key too long (> %d)", MD5_KEY_MAX);
	memset(st->block, 0, MD5_SEED_MAX);
	memcpy(st->block, seed, seedsz);
	memcpy(st->block + MD5_SEED_MAX, key, keysz);
	st->len = MD5_SEED_MAX + keysz;
}

/* Xors in[0..n) with the key stream into out; decrypting feeds back the
 * input (the cipher), encrypting the output. */
static void
md5_stream_run(struct md5_stream *st, const uint8_t *in, uint8_t *out, size_t n, int decrypt) {
	for (size_t off = 0; off < n; off += MD5_DIGEST) {
		uint8_t code[MD5_DIGEST];
		size_t piece = n - off < MD5_DIGEST ? n - off : MD5_DIGEST;
		md5(st->block, st->len, code);
		for (size_t i = 0; i < piece; i++)
			out[off + i] = code[i] ^ in[off + i];
		memcpy(st->block, (decrypt ? in : out) + off, piece);
	}
}

static int
lsum(lua_State *L) {
	size_t sz;
	const char *s = luaL_checklstring(L, 1, &sz);
	uint8_t d[MD5_DIGEST];
	md5(s, sz, d);
	lua_pushlstring(L, (const char *)d, MD5_DIGEST);
	return 1;
}

static int
lexor(lua_State *L) {
	size_t n1, n2;
	const char *a = luaL_checklstring(L, 1, &n1);
	const char *b = luaL_checklstring(L, 2, &n2);
	luaL_argcheck(L, n1 == n2, 2, "lengths must be equal");
	luaL_Buffer buf;
	char *out = luaL_buffinitsize(L, &buf, n1);
	for (size_t i = 0; i < n1; i++)
		out[i] = a[i] ^ b[i];
	luaL_pushresultsize(&buf, n1);
	return 1;
}

static int
lcrypt(lua_State *L) {
	size_t sz, seedsz;
	const char *msg = luaL_checklstring(L, 1, &sz);
	time_t now;
	const char *seed;
	if (lua_isnone(L, 3)) {
		now = time(NULL);
		seed = (const char *)&now;
		seedsz = sizeof(now);
	} else {
		seed = luaL_checklstring(L, 3, &seedsz);
	}
	if (seedsz > MD5_SEED_MAX)
		return luaL_error(L, "seed too long (> %d)", MD5_SEED_MAX);
	struct md5_stream st;
	md5_stream_init(L, &st, seed, seedsz);
	luaL_Buffer b;
	uint8_t *out = (uint8_t *)luaL_buffinitsize(L, &b, 1 + seedsz + sz);
	out[0] = (uint8_t)seedsz;
	memcpy(out + 1, seed, seedsz);
	md5_stream_run(&st, (const uint8_t *)msg, out + 1 + seedsz, sz, 0);
	luaL_pushresultsize(&b, 1 + seedsz + sz);
	return 1;
}

static int
ldecrypt(lua_State *L) {
	size_t sz;
	const uint8_t *c = (const uint8_t *)luaL_checklstring(L, 1, &sz);
	size_t seedsz = sz ? c[0] : 0;
	luaL_argcheck(L, sz >= 1 + seedsz && seedsz <= MD5_SEED_MAX, 1, "invalid cyphered string");
	struct md5_stream st;
	md5_stream_init(L, &st, (const char *)c + 1, seedsz);
	size_t n = sz - 1 - seedsz;
	luaL_Buffer b;
	uint8_t *out = (uint8_t *)luaL_buffinitsize(L, &b, n);
	md5_stream_run(&st, c + 1 + seedsz, out, n, 1);
	luaL_pushresultsize(&b, n);
	return 1;
}

LUAMOD_API int
luaopen_md5_core(lua_State *L) {
	luaL_checkversion(L);
	luaL_Reg l[] = {
		{ "sum", lsum },
		{ "exor", lexor },
		{ "crypt", lcrypt },
		{ "decrypt", ldecrypt },
		{ NULL, NULL },
	};
	luaL_newlib(L, l);
	return 1;
}
