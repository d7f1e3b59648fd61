/* crypt_sha1.c: SHA-1 as FIPS 180-4 describes it (big-endian words, an
 * 80-word schedule, four 20-step stages). */
#include "crypt_hash.h"

#include <string.h>

static inline uint32_t
sha1_rotl(uint32_t x, int n) {
	return (x << n) | (x >> (32 - n));
}

static void
sha1_compress(uint32_t h[5], const uint8_t *p) {
	uint32_t w[80];
	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 80; i++)
		w[i] = sha1_rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
	for (int i = 0; i < 80; i++) {
		uint32_t f, k;
		if (i < 20) {
			f = (b & c) | (~b & d);
			k = 0x5a827999;
		} else if (i < 40) {
			f = b ^ c ^ d;
			k = 0x6ed9eba1;
		} else if (i < 60) {
			f = (b & c) | (b & d) | (c & d);
			k = 0x8f1bbcdc;
		} else {
			f = b ^ c ^ d;
			k = 0xca62c1d6;
		}
		uint32_t t = sha1_rotl(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = sha1_rotl(b, 30);
		b = a;
		a = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

void
sha1_init(struct sha1_ctx *c) {
	static const uint32_t iv[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0 };
	memcpy(c->h, iv, sizeof(iv));
	c->bytes = 0;
}

void
sha1_update(struct sha1_ctx *c, const void *data, size_t n) {
	hash_feed(c->h, c->buf, &c->bytes, data, n, sha1_compress);
}

void
sha1_final(struct sha1_ctx *c, uint8_t out[SHA1_DIGEST]) {
	uint64_t bits = c->bytes * 8;
	uint8_t pad[HASH_BLOCK + 8] = { 0x80 };
	size_t used = c->bytes % HASH_BLOCK;
	size_t padlen = (used < 56 ? 56 : 120) - used;
	uint8_t len[8];
	for (int i = 0; i < 8; i++)
		len[i] = (uint8_t)(bits >> (56 - 8 * i));
	sha1_update(c, pad, padlen);
	sha1_update(c, len, 8);
	for (int i = 0; i < SHA1_DIGEST; i++)
		out[i] = (uint8_t)(c->h[i / 4] >> (24 - 8 * (i % 4)));
}

void
sha1(const void *data, size_t n, uint8_t out[SHA1_DIGEST]) {
	struct sha1_ctx c;
	sha1_init(&c);
	sha1_update(&c, data, n);
	sha1_final(&c, out);
}

void
hmac_sha1(const void *key, size_t keylen, const void *msg, size_t len, uint8_t out[SHA1_DIGEST]) {
	uint8_t k[HASH_BLOCK] = { 0 };
	if (keylen > HASH_BLOCK)
		sha1(key, keylen, k);
	else
		memcpy(k, key, keylen);
	uint8_t pad[HASH_BLOCK], inner[SHA1_DIGEST];
	struct sha1_ctx c;
	for (int i = 0; i < HASH_BLOCK; i++)
		pad[i] = k[i] ^ 0x36;
	sha1_init(&c);
	sha1_update(&c, pad, HASH_BLOCK);
	sha1_update(&c, msg, len);
	sha1_final(&c, inner);
	for (int i = 0; i < HASH_BLOCK; i++)
		pad[i] = k[i] ^ 0x5c;
	sha1_init(&c);
	sha1_update(&c, pad, HASH_BLOCK);
	sha1_update(&c, inner, SHA1_DIGEST);
	sha1_final(&c, out);
}
