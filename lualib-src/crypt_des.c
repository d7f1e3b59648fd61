/* crypt_des.c: DES block cipher from the FIPS 46-3 tables. The S-boxes and the
 * P permutation are folded into eight 64-entry tables (built once, on first
 * use) so a round is eight lookups; the expansion E is done by rotation, since
 * each of its 6-bit groups is a window of R starting one bit left of 4*j. */
#include "crypt_des.h"

#include <pthread.h>

/* Bit positions count from 1 at the most significant bit, as in FIPS 46-3. */
static const uint8_t des_ip[64] = {
	58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4,
	62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40, 32, 24, 16, 8,
	57, 49, 41, 33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3,
	61, 53, 45, 37, 29, 21, 13, 5, 63, 55, 47, 39, 31, 23, 15, 7,
};

static const uint8_t des_p[32] = {
	16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10,
	2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25,
};

static const uint8_t des_pc1[56] = {
	57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18,
	10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36,
	63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22,
	14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4,
};

static const uint8_t des_pc2[48] = {
	14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10,
	23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2,
	41, 52, 31, 37, 47, 55, 30, 40, 51, 45, 33, 48,
	44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32,
};

static const uint8_t des_shifts[16] = { 1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1 };

/* S-box n, row r (outer bits), column c (inner four bits). */
static const uint8_t des_sbox[8][4][16] = {
	{ { 14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7 },
	  { 0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8 },
	  { 4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0 },
	  { 15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13 } },
	{ { 15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10 },
	  { 3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5 },
	  { 0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15 },
	  { 13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9 } },
	{ { 10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8 },
	  { 13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1 },
	  { 13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7 },
	  { 1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12 } },
	{ { 7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15 },
	  { 13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9 },
	  { 10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4 },
	  { 3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14 } },
	{ { 2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9 },
	  { 14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6 },
	  { 4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14 },
	  { 11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3 } },
	{ { 12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11 },
	  { 10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8 },
	  { 9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6 },
	  { 4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13 } },
	{ { 4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1 },
	  { 13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6 },
	  { 1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2 },
	  { 6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12 } },
	{ { 13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7 },
	  { 1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2 },
	  { 7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8 },
	  { 2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11 } },
};

/* des_sp[j][v]: S-box j applied to v, placed at its nibble, then P. */
static uint32_t des_sp[8][64];
static uint8_t des_fp[64];
static pthread_once_t des_once = PTHREAD_ONCE_INIT;

/* Permutes the n-bit value in (its bit 1 is bit `width` from the right) by
 * table t of n entries into an n-bit result. */
static uint64_t
des_permute(uint64_t in, int width, const uint8_t *t, int n) {
	uint64_t out = 0;
	for (int i = 0; i < n; i++)
		out = (out << 1) | ((in >> (width - t[i])) & 1);
	return out;
}

static void
des_tables_init(void) {
	for (int j = 0; j < 8; j++) {
		for (int v = 0; v < 64; v++) {
			int row = ((v >> 4) & 2) | (v & 1);
			int col = (v >> 1) & 0xf;
			uint32_t s = (uint32_t)des_sbox[j][row][col] << (28 - 4 * j);
			des_sp[j][v] = (uint32_t)des_permute(s, 32, des_p, 32);
		}
	}
	for (int i = 0; i < 64; i++)
		des_fp[des_ip[i] - 1] = (uint8_t)(i + 1);
}

static inline uint32_t
des_rotl(uint32_t x, int n) {
	n &= 31;
	return n ? (x << n) | (x >> (32 - n)) : x;
}

static inline uint32_t
des_f(uint32_t r, const uint8_t k[8]) {
	uint32_t out = 0;
	for (int j = 0; j < 8; j++) {
		uint32_t group = des_rotl(r, 4 * j - 1) >> 26;
		out ^= des_sp[j][group ^ k[j]];
	}
	return out;
}

static uint64_t
des_load(const uint8_t b[DES_BLOCK]) {
	uint64_t v = 0;
	for (int i = 0; i < DES_BLOCK; i++)
		v = (v << 8) | b[i];
	return v;
}

static void
des_store(uint64_t v, uint8_t b[DES_BLOCK]) {
	for (int i = DES_BLOCK - 1; i >= 0; i--) {
		b[i] = (uint8_t)v;
		v >>= 8;
	}
}

void
des_schedule_init(struct des_schedule *ks, const uint8_t key[DES_BLOCK], int decrypt) {
	pthread_once(&des_once, des_tables_init);
	uint64_t cd = des_permute(des_load(key), 64, des_pc1, 56);
	uint32_t c = (uint32_t)(cd >> 28) & 0x0fffffff;
	uint32_t d = (uint32_t)cd & 0x0fffffff;
	for (int round = 0; round < 16; round++) {
		int s = des_shifts[round];
		c = ((c << s) | (c >> (28 - s))) & 0x0fffffff;
		d = ((d << s) | (d >> (28 - s))) & 0x0fffffff;
		uint64_t k48 = des_permute(((uint64_t)c << 28) | d, 56, des_pc2, 48);
		uint8_t *k = ks->k[decrypt ? 15 - round : round];
		for (int j = 0; j < 8; j++)
			k[j] = (uint8_t)((k48 >> (42 - 6 * j)) & 0x3f);
	}
}

void
des_block(const struct des_schedule *ks, const uint8_t in[DES_BLOCK], uint8_t out[DES_BLOCK]) {
	uint64_t v = des_permute(des_load(in), 64, des_ip, 64);
	uint32_t l = (uint32_t)(v >> 32), r = (uint32_t)v;
	for (int round = 0; round < 16; round++) {
		uint32_t t = r;
		r = l ^ des_f(r, ks->k[round]);
		l = t;
	}
	/* The last round does not swap: the output is R16 L16. */
	v = ((uint64_t)r << 32) | l;
	des_store(des_permute(v, 64, des_fp, 64), out);
}
