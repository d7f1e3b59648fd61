/* lua-crypt.c: the Lua module skynet.crypt (also opened as client.crypt by
 * the stand-alone client library). Names, arguments, byte orders and error
 * texts follow skynet's module, so code written for it runs unchanged:
 *
 *   hashkey(s) -> 8 bytes       two 32-bit string hashes (djb2, then JS),
 *                               each little-endian
 *   randomkey() -> 8 bytes      random, never all zero (a valid DH key)
 *   desencode(key, text [, padding]) / desdecode(key, text [, padding])
 *                               DES, each 8-byte block on its own (ECB); the
 *                               text is always padded (crypt.padding.iso7816_4
 *                               = 0, the default, or crypt.padding.pkcs7 = 1)
 *   hexencode(s) / hexdecode(s) lowercase hex
 *   hmac64(x, y)                skynet's 64-bit MAC: MD5's 64 steps over the
 *                               words x1 x0 y1 y0 (repeated 4 times), no
 *                               feed-forward, result (c ^ d, a ^ b)
 *   hmac64_md5(x, y)            m = md5((x .. y):rep(3)); m[1..8] xor m[9..16]
 *   hmac_hash(key, text)        hmac64(hashkey(text), key)
 *   dhexchange(x) / dhsecret(x, y)
 *                               5^x and x^y modulo p = 2^64 - 59 (the largest
 *                               64-bit prime); 8-byte little-endian numbers
 *   base64encode(s) / base64decode(s)
 *                               RFC 4648 with padding; decoding skips bytes
 *                               outside the alphabet (line breaks)
 *   sha1(s), hmac_sha1(key, s)  20-byte digests
 *   xor_str(s, key)             s xor key repeated
 *
 * Each function returns one string; bad input raises a Lua error. */
#include <lua.h>
#include <lauxlib.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>

#include "crypt_des.h"
#include "crypt_hash.h"

#define PADDING_ISO7816_4 0
#define PADDING_PKCS7 1
#define PADDING_MODES 2

#define DH_P 0xffffffffffffffc5ull
#define DH_G 5

#define B64_PAD -2
#define B64_SKIP -1

static const char crypt_b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Little-endian 64-bit number <-> 8 bytes, the layout of every skynet key. */
static uint64_t
crypt_get64(const uint8_t *p) {
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static int
crypt_push64(lua_State *L, uint64_t v) {
	uint8_t b[8];
	for (int i = 0; i < 8; i++, v >>= 8)
		b[i] = (uint8_t)v;
	lua_pushlstring(L, (const char *)b, 8);
	return 1;
}

static const uint8_t *
crypt_check8(lua_State *L, int arg, const char *msg) {
	size_t sz;
	const char *s = luaL_checklstring(L, arg, &sz);
	if (sz != 8)
		luaL_error(L, "%s", msg);
	return (const uint8_t *)s;
}

static uint64_t
crypt_check64(lua_State *L, int arg, const char *msg) {
	return crypt_get64(crypt_check8(L, arg, msg));
}

static uint64_t
crypt_hash64(const char *s, size_t n) {
	uint32_t djb = 5381, js = 1315423911;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)s[i];
		djb = djb * 33 + c;
		js ^= (js << 5) + c + (js >> 2);
	}
	return (uint64_t)js << 32 | djb;
}

static uint64_t
crypt_mac64(uint64_t x, uint64_t y) {
	uint32_t w[16], r[4];
	for (int i = 0; i < 16; i += 4) {
		w[i] = (uint32_t)(x >> 32);
		w[i + 1] = (uint32_t)x;
		w[i + 2] = (uint32_t)(y >> 32);
		w[i + 3] = (uint32_t)y;
	}
	md5_rounds(w, r);
	return (uint64_t)(r[0] ^ r[1]) << 32 | (r[2] ^ r[3]);
}

static uint64_t
crypt_mulmod(uint64_t a, uint64_t b) {
	return (uint64_t)((unsigned __int128)a * b % DH_P);
}

static uint64_t
crypt_powmod(uint64_t base, uint64_t e) {
	uint64_t r = 1;
	base %= DH_P;
	for (; e; e >>= 1) {
		if (e & 1)
			r = crypt_mulmod(r, base);
		base = crypt_mulmod(base, base);
	}
	return r;
}

static int
crypt_padding_mode(lua_State *L, int arg) {
	lua_Integer mode = luaL_optinteger(L, arg, PADDING_ISO7816_4);
	if (mode < 0 || mode >= PADDING_MODES)
		luaL_error(L, "Invalid padding mode %d", (int)mode);
	return (int)mode;
}

static void
crypt_des_key(lua_State *L, struct des_schedule *ks, int decrypt) {
	size_t sz;
	const char *key = luaL_checklstring(L, 1, &sz);
	if (sz != DES_BLOCK)
		luaL_error(L, "Invalid key size %d, need 8 bytes", (int)sz);
	des_schedule_init(ks, (const uint8_t *)key, decrypt);
}

/* Pad bytes at the end of a decrypted last block, or 0 if they are invalid. */
static int
crypt_padding_length(const uint8_t last[DES_BLOCK], int mode) {
	if (mode == PADDING_PKCS7) {
		int n = last[DES_BLOCK - 1];
		if (n < 1 || n > DES_BLOCK)
			return 0;
		for (int i = DES_BLOCK - n; i < DES_BLOCK; i++)
			if (last[i] != n)
				return 0;
		return n;
	}
	for (int i = DES_BLOCK - 1; i >= 0; i--) {
		if (last[i] == 0x80)
			return DES_BLOCK - i;
		if (last[i] != 0)
			return 0;
	}
	return 0;
}

static int
crypt_b64_value(uint8_t c) {
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return c == '=' ? B64_PAD : B64_SKIP;
}

static int
crypt_hex_value(char c) {
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
lhashkey(lua_State *L) {
	size_t sz;
	const char *s = luaL_checklstring(L, 1, &sz);
	return crypt_push64(L, crypt_hash64(s, sz));
}

static int
lrandomkey(lua_State *L) {
	uint8_t b[8];
	size_t got = 0;
	while (got < sizeof(b)) {
		ssize_t n = getrandom(b + got, sizeof(b) - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return luaL_error(L, "randomkey: %s", strerror(errno));
		}
		got += (size_t)n;
	}
	uint8_t x = 0;
	for (int i = 0; i < 8; i++)
		x ^= b[i];
	if (x == 0)
		b[0] ^= 1; /* the bytes' xor becomes 1: the key is never zero */
	lua_pushlstring(L, (const char *)b, 8);
	return 1;
}

static int
ldesencode(lua_State *L) {
	struct des_schedule ks;
	crypt_des_key(L, &ks, 0);
	size_t sz;
	const uint8_t *text = (const uint8_t *)luaL_checklstring(L, 2, &sz);
	int mode = crypt_padding_mode(L, 3);
	size_t full = sz & ~(size_t)(DES_BLOCK - 1);
	luaL_Buffer b;
	uint8_t *out = (uint8_t *)luaL_buffinitsize(L, &b, full + DES_BLOCK);
	for (size_t i = 0; i < full; i += DES_BLOCK)
		des_block(&ks, text + i, out + i);
	uint8_t last[DES_BLOCK];
	size_t rest = sz - full;
	memcpy(last, text + full, rest);
	if (mode == PADDING_PKCS7) {
		memset(last + rest, (int)(DES_BLOCK - rest), DES_BLOCK - rest);
	} else {
		last[rest] = 0x80;
		memset(last + rest + 1, 0, DES_BLOCK - rest - 1);
	}
	des_block(&ks, last, out + full);
	luaL_pushresultsize(&b, full + DES_BLOCK);
	return 1;
}

static int
ldesdecode(lua_State *L) {
	struct des_schedule ks;
	crypt_des_key(L, &ks, 1);
	size_t sz;
	const uint8_t *text = (const uint8_t *)luaL_checklstring(L, 2, &sz);
	if (sz == 0 || sz % DES_BLOCK)
		return luaL_error(L, "Invalid des crypt text length %d", (int)sz);
	int mode = crypt_padding_mode(L, 3);
	luaL_Buffer b;
	uint8_t *out = (uint8_t *)luaL_buffinitsize(L, &b, sz);
	for (size_t i = 0; i < sz; i += DES_BLOCK)
		des_block(&ks, text + i, out + i);
	int pad = crypt_padding_length(out + sz - DES_BLOCK, mode);
	if (pad == 0)
		return luaL_error(L, "Invalid des crypt text");
	luaL_pushresultsize(&b, sz - pad);
	return 1;
}

static int
lhexencode(lua_State *L) {
	static const char digits[] = "0123456789abcdef";
	size_t sz;
	const uint8_t *s = (const uint8_t *)luaL_checklstring(L, 1, &sz);
	luaL_Buffer b;
	char *out = luaL_buffinitsize(L, &b, sz * 2);
	for (size_t i = 0; i < sz; i++) {
		out[2 * i] = digits[s[i] >> 4];
		out[2 * i + 1] = digits[s[i] & 0xf];
	}
	luaL_pushresultsize(&b, sz * 2);
	return 1;
}

static int
lhexdecode(lua_State *L) {
	size_t sz;
	const char *s = luaL_checklstring(L, 1, &sz);
	if (sz & 1)
		return luaL_error(L, "Invalid hex text size %d", (int)sz);
	luaL_Buffer b;
	char *out = luaL_buffinitsize(L, &b, sz / 2);
	for (size_t i = 0; i < sz; i += 2) {
		int hi = crypt_hex_value(s[i]), lo = crypt_hex_value(s[i + 1]);
		if (hi < 0 || lo < 0)
			return luaL_error(L, "Invalid hex text");
		out[i / 2] = (char)(hi << 4 | lo);
	}
	luaL_pushresultsize(&b, sz / 2);
	return 1;
}

static int
lhmac64(lua_State *L) {
	uint64_t x = crypt_check64(L, 1, "Invalid uint64 x");
	uint64_t y = crypt_check64(L, 2, "Invalid uint64 y");
	return crypt_push64(L, crypt_mac64(x, y));
}

static int
lhmac64_md5(lua_State *L) {
	const uint8_t *x = crypt_check8(L, 1, "Invalid uint64 x");
	const uint8_t *y = crypt_check8(L, 2, "Invalid uint64 y");
	uint8_t msg[48], m[MD5_DIGEST];
	for (int i = 0; i < 48; i += 16) {
		memcpy(msg + i, x, 8);
		memcpy(msg + i + 8, y, 8);
	}
	md5(msg, sizeof(msg), m);
	for (int i = 0; i < 8; i++)
		m[i] ^= m[i + 8];
	lua_pushlstring(L, (const char *)m, 8);
	return 1;
}

static int
lhmac_hash(lua_State *L) {
	uint64_t key = crypt_check64(L, 1, "Invalid uint64 key");
	size_t sz;
	const char *text = luaL_checklstring(L, 2, &sz);
	return crypt_push64(L, crypt_mac64(crypt_hash64(text, sz), key));
}

static int
ldhexchange(lua_State *L) {
	uint64_t x = crypt_check64(L, 1, "Invalid dh uint64 key");
	if (x == 0)
		return luaL_error(L, "Can't be 0");
	return crypt_push64(L, crypt_powmod(DH_G, x));
}

static int
ldhsecret(lua_State *L) {
	uint64_t x = crypt_check64(L, 1, "Invalid uint64 x");
	uint64_t y = crypt_check64(L, 2, "Invalid uint64 y");
	if (x == 0 || y == 0)
		return luaL_error(L, "Can't be 0");
	return crypt_push64(L, crypt_powmod(x, y));
}

static int
lbase64encode(lua_State *L) {
	size_t sz;
	const uint8_t *s = (const uint8_t *)luaL_checklstring(L, 1, &sz);
	size_t outsz = (sz + 2) / 3 * 4;
	luaL_Buffer b;
	char *out = luaL_buffinitsize(L, &b, outsz);
	char *p = out;
	for (size_t i = 0; i < sz; i += 3) {
		size_t n = sz - i < 3 ? sz - i : 3;
		uint32_t v = (uint32_t)s[i] << 16;
		if (n > 1)
			v |= (uint32_t)s[i + 1] << 8;
		if (n > 2)
			v |= s[i + 2];
		p[0] = crypt_b64_alphabet[v >> 18];
		p[1] = crypt_b64_alphabet[(v >> 12) & 0x3f];
		p[2] = n > 1 ? crypt_b64_alphabet[(v >> 6) & 0x3f] : '=';
		p[3] = n > 2 ? crypt_b64_alphabet[v & 0x3f] : '=';
		p += 4;
	}
	luaL_pushresultsize(&b, outsz);
	return 1;
}

/* Reads the next four significant symbols from s[*i..]; returns how many
 * were found (fewer than 4 only at the end of the text). */
static int
crypt_b64_group(const uint8_t *s, size_t sz, size_t *i, int v[4]) {
	int got = 0;
	while (got < 4 && *i < sz) {
		int x = crypt_b64_value(s[(*i)++]);
		if (x != B64_SKIP)
			v[got++] = x;
	}
	return got;
}

static int
lbase64decode(lua_State *L) {
	size_t sz;
	const uint8_t *s = (const uint8_t *)luaL_checklstring(L, 1, &sz);
	luaL_Buffer b;
	uint8_t *out = (uint8_t *)luaL_buffinitsize(L, &b, sz / 4 * 3 + 3);
	size_t n = 0, i = 0;
	for (;;) {
		int v[4];
		int got = crypt_b64_group(s, sz, &i, v);
		if (got == 0)
			break;
		if (got < 4 || v[0] < 0 || v[1] < 0)
			return luaL_error(L, "Invalid base64 text");
		uint32_t bits = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12;
		if (v[2] == B64_PAD) {
			/* "xx==": one byte; the unused low bits must be zero */
			if (v[3] != B64_PAD || (v[1] & 0xf))
				return luaL_error(L, "Invalid base64 text");
			out[n++] = (uint8_t)(bits >> 16);
		} else if (v[3] == B64_PAD) {
			if (v[2] & 3)
				return luaL_error(L, "Invalid base64 text");
			bits |= (uint32_t)v[2] << 6;
			out[n++] = (uint8_t)(bits >> 16);
			out[n++] = (uint8_t)(bits >> 8);
		} else {
			bits |= (uint32_t)v[2] << 6 | (uint32_t)v[3];
			out[n++] = (uint8_t)(bits >> 16);
			out[n++] = (uint8_t)(bits >> 8);
			out[n++] = (uint8_t)bits;
		}
	}
	luaL_pushresultsize(&b, n);
	return 1;
}

static int
lsha1(lua_State *L) {
	size_t sz;
	const char *s = luaL_checklstring(L, 1, &sz);
	uint8_t d[SHA1_DIGEST];
	sha1(s, sz, d);
	lua_pushlstring(L, (const char *)d, SHA1_DIGEST);
	return 1;
}

/* RFC 2104 over SHA-1; a key longer than the block is hashed first. */
static int
lhmac_sha1(lua_State *L) {
	size_t keysz, sz;
	const char *key = luaL_checklstring(L, 1, &keysz);
	const char *text = luaL_checklstring(L, 2, &sz);
	uint8_t d[SHA1_DIGEST];
	hmac_sha1(key, keysz, text, sz, d);
	lua_pushlstring(L, (const char *)d, SHA1_DIGEST);
	return 1;
}

static int
lxor_str(lua_State *L) {
	size_t sz, keysz;
	const char *s = luaL_checklstring(L, 1, &sz);
	const char *key = luaL_checklstring(L, 2, &keysz);
	if (keysz == 0)
		return luaL_error(L, "Can't xor empty string");
	luaL_Buffer b;
	char *out = luaL_buffinitsize(L, &b, sz);
	for (size_t i = 0; i < sz; i++)
		out[i] = s[i] ^ key[i % keysz];
	luaL_pushresultsize(&b, sz);
	return 1;
}

LUAMOD_API int
luaopen_skynet_crypt(lua_State *L) {
	luaL_checkversion(L);
	luaL_Reg l[] = {
		{ "hashkey", lhashkey },
		{ "randomkey", lrandomkey },
		{ "desencode", ldesencode },
		{ "desdecode", ldesdecode },
		{ "hexencode", lhexencode },
		{ "hexdecode", lhexdecode },
		{ "hmac64", lhmac64 },
		{ "hmac64_md5", lhmac64_md5 },
		{ "dhexchange", ldhexchange },
		{ "dhsecret", ldhsecret },
		{ "base64encode", lbase64encode },
		{ "base64decode", lbase64decode },
		{ "sha1", lsha1 },
		{ "hmac_sha1", lhmac_sha1 },
		{ "hmac_hash", lhmac_hash },
		{ "xor_str", lxor_str },
		{ NULL, NULL },
	};
	luaL_newlib(L, l);
	lua_createtable(L, 0, PADDING_MODES);
	lua_pushinteger(L, PADDING_ISO7816_4);
	lua_setfield(L, -2, "iso7816_4");
	lua_pushinteger(L, PADDING_PKCS7);
	lua_setfield(L, -2, "pkcs7");
	lua_setfield(L, -2, "padding");
	return 1;
}

/* The same module for plain Lua clients: client.so links this file too. */
LUAMOD_API int
luaopen_client_crypt(lua_State *L) {
	return luaopen_skynet_crypt(L);
}
