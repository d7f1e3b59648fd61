/* crypt_md5.c: MD5 as RFC 1321 describes it (little-endian words, four
 * 16-step rounds). The step constants are floor(abs(sin(i + 1)) * 2^32),
 * listed rather than computed so neither libm nor an init guard is needed. */
#include "crypt_hash.h"

#include <string.h>

static const uint32_t md5_iv[4] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476 };

static const uint32_t md5_k[64] = {
	0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
	0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
	0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
	0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
	0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
	0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
	0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
	0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

/* Left-rotation amounts, four per round. */
static const uint8_t md5_s[4][4] = { { 7, 12, 17, 22 }, { 5, 9, 14, 20 }, { 4, 11, 16, 23 }, { 6, 10, 15, 21 } };

static void
md5_steps(const uint32_t in[4], const uint32_t w[16], uint32_t out[4]) {
	uint32_t a = in[0], b = in[1], c = in[2], d = in[3];
	for (int i = 0; i < 64; i++) {
		uint32_t f;
		int g, round = i / 16;
		switch (round) {
		case 0: f = (b & c) | (~b & d); g = i; break;
		case 1: f = (d & b) | (~d & c); g = (5 * i + 1) & 15; break;
		case 2: f = b ^ c ^ d; g = (3 * i + 5) & 15; break;
		default: f = c ^ (b | ~d); g = (7 * i) & 15; break;
		}
		uint32_t t = a + f + md5_k[i] + w[g];
		int s = md5_s[round][i & 3];
		a = d;
		d = c;
		c = b;
		b += (t << s) | (t >> (32 - s));
	}
	out[0] = a;
	out[1] = b;
	out[2] = c;
	out[3] = d;
}

static void
md5_compress(uint32_t h[4], const uint8_t *p) {
	uint32_t w[16], r[4];
	for (int i = 0; i < 16; i++)
		w[i] = p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 |
		       (uint32_t)p[4 * i + 3] << 24;
	md5_steps(h, w, r);
	for (int i = 0; i < 4; i++)
		h[i] += r[i];
}

void
md5_rounds(const uint32_t w[16], uint32_t out[4]) {
	md5_steps(md5_iv, w, out);
}

void
md5_init(struct md5_ctx *c) {
	memcpy(c->h, md5_iv, sizeof(md5_iv));
	c->bytes = 0;
}

void
md5_update(struct md5_ctx *c, const void *data, size_t n) {
	hash_feed(c->h, c->buf, &c->bytes, data, n, md5_compress);
}

void
md5_final(struct md5_ctx *c, uint8_t out[MD5_DIGEST]) {
	uint64_t bits = c->bytes * 8;
	uint8_t pad[HASH_BLOCK + 8] = { 0x80 };
	size_t used = c->bytes % HASH_BLOCK;
	size_t padlen = (used < 56 ? 56 : 120) - used;
	uint8_t len[8];
	for (int i = 0; i < 8; i++)
		len[i] = (uint8_t)(bits >> (8 * i));
	md5_update(c, pad, padlen);
	md5_update(c, len, 8);
	for (int i = 0; i < MD5_DIGEST; i++)
		out[i] = (uint8_t)(c->h[i / 4] >> (8 * (i % 4)));
}

void
md5(const void *data, size_t n, uint8_t out[MD5_DIGEST]) {
	struct md5_ctx c;
	md5_init(&c);
	md5_update(&c, data, n);
	md5_final(&c, out);
}
