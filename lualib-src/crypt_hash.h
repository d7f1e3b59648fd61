/* crypt_hash.h: SHA-1 (FIPS 180-4) and MD5 (RFC 1321) streaming digests, no
 * Lua. md5_rounds exposes MD5's 64 steps without the final feed-forward,
 * which skynet's hmac64 is defined on. */
#ifndef CRYPT_HASH_H
#define CRYPT_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Internal to each .so that links this: not exported, never interposed. */
#pragma GCC visibility push(hidden)

#define SHA1_DIGEST 20
#define MD5_DIGEST 16
#define HASH_BLOCK 64

struct sha1_ctx {
	uint32_t h[5];
	uint64_t bytes;
	uint8_t buf[HASH_BLOCK];
};

struct md5_ctx {
	uint32_t h[4];
	uint64_t bytes;
	uint8_t buf[HASH_BLOCK];
};

void sha1_init(struct sha1_ctx *c);
void sha1_update(struct sha1_ctx *c, const void *data, size_t n);
void sha1_final(struct sha1_ctx *c, uint8_t out[SHA1_DIGEST]);
void sha1(const void *data, size_t n, uint8_t out[SHA1_DIGEST]);
/* HMAC-SHA1 (RFC 2104); a key longer than the block is hashed first. */
void hmac_sha1(const void *key, size_t keylen, const void *msg, size_t len, uint8_t out[SHA1_DIGEST]);

/* The block buffering both digests share: feeds n bytes into buf (which holds
 * *bytes % HASH_BLOCK of them already), calling compress(h, block) for each
 * full block. */
static inline void
hash_feed(uint32_t *h, uint8_t buf[HASH_BLOCK], uint64_t *bytes, const void *data, size_t n,
	void (*compress)(uint32_t *h, const uint8_t *block)) {
	const uint8_t *p = data;
	size_t used = *bytes % HASH_BLOCK;
	*bytes += n;
	if (used) {
		size_t take = HASH_BLOCK - used;
		if (take > n)
			take = n;
		memcpy(buf + used, p, take);
		p += take;
		n -= take;
		if (used + take < HASH_BLOCK)
			return;
		compress(h, buf);
	}
	for (; n >= HASH_BLOCK; p += HASH_BLOCK, n -= HASH_BLOCK)
		compress(h, p);
	memcpy(buf, p, n);
}

void md5_init(struct md5_ctx *c);
void md5_update(struct md5_ctx *c, const void *data, size_t n);
void md5_final(struct md5_ctx *c, uint8_t out[MD5_DIGEST]);
void md5(const void *data, size_t n, uint8_t out[MD5_DIGEST]);

/* The 64 MD5 steps over message words w from MD5's initial state; the result
 * is the working state (a, b, c, d) before it is added back to the state. */
void md5_rounds(const uint32_t w[16], uint32_t out[4]);

#pragma GCC visibility pop

#endif
