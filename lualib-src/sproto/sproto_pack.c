/* sproto_pack.c: sproto's 0-packing. The input is cut into 8-byte words (the
 * last one padded with zeros). A word becomes a tag byte (bit i set = byte i is
 * not zero) followed by its non-zero bytes. A word with no zero byte starts a
 * raw run instead: 0xff, N, then (N+1) words copied as they are; while a run
 * is open, words with 6 or 7 non-zero bytes join it too (copying them costs no
 * more than tagging them), and a run holds at most 256 words. The output is
 * byte-identical to skynet's packer, so both sides agree on every message. */
#include "sproto_schema.h"

#include <string.h>

#define RUN_MAX 256

size_t sp_pack_bound(size_t sz) {
	size_t words = (sz + 7) / 8;
	return words * 8 + (words + RUN_MAX - 1) / RUN_MAX * 2 + 2;
}

static int count_nonzero(const uint8_t w[8]) {
	int n = 0;
	for (int i = 0; i < 8; i++)
		n += w[i] != 0;
	return n;
}

size_t sp_pack(const uint8_t *src, size_t sz, uint8_t *out) {
	size_t o = 0;
	size_t run_at = 0;   /* where the open run's 0xff byte is */
	int run = 0;         /* words in the open run, 0 = none */
	for (size_t i = 0; i < sz; i += 8) {
		uint8_t w[8] = { 0 };
		memcpy(w, src + i, sz - i < 8 ? sz - i : 8);
		int nz = count_nonzero(w);
		if (nz == 8 || (run > 0 && nz >= 6)) {
			if (run == 0) {
				run_at = o;
				out[o] = 0xff;
				o += 2;
			}
			memcpy(out + o, w, 8);
			o += 8;
			if (++run == RUN_MAX) {
				out[run_at + 1] = RUN_MAX - 1;
				run = 0;
			}
			continue;
		}
		if (run > 0) {
			out[run_at + 1] = (uint8_t)(run - 1);
			run = 0;
		}
		uint8_t tag = 0;
		size_t tag_at = o++;
		for (int b = 0; b < 8; b++) {
			if (w[b]) {
				tag |= (uint8_t)(1u << b);
				out[o++] = w[b];
			}
		}
		out[tag_at] = tag;
	}
	if (run > 0)
		out[run_at + 1] = (uint8_t)(run - 1);
	return o;
}

long sp_unpack(const uint8_t *src, size_t sz, uint8_t *out, size_t cap) {
	size_t i = 0, o = 0;
	while (i < sz) {
		uint8_t tag = src[i++];
		if (tag == 0xff) {
			if (i >= sz)
				return -1;
			size_t n = ((size_t)src[i++] + 1) * 8;
			if (sz - i < n)
				return -1;
			if (o + n <= cap)
				memcpy(out + o, src + i, n);
			i += n;
			o += n;
			continue;
		}
		for (int b = 0; b < 8; b++) {
			uint8_t v = 0;
			if (tag & (1u << b)) {
				if (i >= sz)
					return -1;
				v = src[i++];
			}
			if (o < cap)
				out[o] = v;
			o++;
		}
		if (o > 0x40000000)
			return -1;
	}
	return (long)o;
}
