/* harbor_frame.c: the harbor link's frame reader and writer and the HMAC of
 * its handshake (see harbor_frame.h for the layout). The reader is a small
 * state machine fed with whatever the socket delivered: it never holds more
 * than one frame, and a frame's buffer is allocated only once its length has
 * been checked against the limit. */
#include "harbor_frame.h"
#include "../lualib-src/crypt_hash.h"
#include "skynet_malloc.h"

#include <string.h>

static uint32_t
read_be32(const uint8_t *p) {
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
write_be32(uint8_t *p, uint32_t v) {
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static size_t
take(uint8_t *dst, uint32_t want, uint32_t *have, const uint8_t *data, size_t n) {
	size_t c = want - *have;
	if (c > n)
		c = n;
	memcpy(dst + *have, data, c);
	*have += (uint32_t)c;
	return c;
}

/* The body is complete: split off the trailer, hand the payload over. */
static void
finish_frame(struct harbor_reader *r, struct harbor_event *ev) {
	const uint8_t *t = r->body + r->need - HARBOR_TRAILER;
	ev->type = HARBOR_FRAME;
	ev->length = r->need;
	ev->source = read_be32(t);
	ev->destination = read_be32(t + 4);
	ev->session = read_be32(t + 8);
	ev->sz = r->need - HARBOR_TRAILER;
	if (ev->sz == 0) {
		skynet_free(r->body);
		ev->payload = NULL;
	} else {
		/* The trailer stays as slack behind the payload: no second copy. */
		ev->payload = r->body;
	}
	r->body = NULL;
	r->head_have = 0;
	r->need = r->have = 0;
}

static size_t
push_raw(struct harbor_reader *r, const uint8_t *data, size_t n, struct harbor_event *ev) {
	uint32_t have = (uint32_t)r->raw_have;
	size_t c = take(r->raw, (uint32_t)r->raw_need, &have, data, n);
	r->raw_have = (int)have;
	if (r->raw_have == r->raw_need) {
		ev->type = HARBOR_RAW;
		ev->length = (uint32_t)r->raw_need;
		r->raw_need = r->raw_have = 0;
	}
	return c;
}

/* Length bytes complete: check it before any allocation. */
static int
start_body(struct harbor_reader *r, struct harbor_event *ev) {
	uint32_t len = read_be32(r->head);
	ev->length = len;
	if (len < HARBOR_TRAILER) {
		ev->type = HARBOR_MALFORMED;
		r->broken = 1;
		return -1;
	}
	if ((size_t)len - HARBOR_TRAILER > r->limit) {
		ev->type = HARBOR_OVERSIZED;
		r->broken = 1;
		return -1;
	}
	r->need = len;
	r->have = 0;
	r->body = skynet_malloc(len);
	return 0;
}

void
harbor_reader_init(struct harbor_reader *r, size_t limit) {
	memset(r, 0, sizeof(*r));
	r->limit = limit;
}

void
harbor_reader_release(struct harbor_reader *r) {
	skynet_free(r->body);
	r->body = NULL;
	r->head_have = 0;
	r->need = r->have = 0;
}

void
harbor_reader_expect(struct harbor_reader *r, int n) {
	if (n < 0 || n > HARBOR_RAW_MAX)
		n = 0;
	r->raw_need = n;
	r->raw_have = 0;
}

size_t
harbor_reader_push(struct harbor_reader *r, const uint8_t *data, size_t n, struct harbor_event *ev) {
	memset(ev, 0, sizeof(*ev));
	ev->type = HARBOR_NEED_MORE;
	if (r->broken) {
		ev->type = HARBOR_MALFORMED;
		return 0;
	}
	if (r->raw_need > 0)
		return push_raw(r, data, n, ev);
	size_t used = 0;
	if (r->body == NULL) {
		uint32_t have = (uint32_t)r->head_have;
		used = take(r->head, HARBOR_HEADER, &have, data, n);
		r->head_have = (int)have;
		if (r->head_have < HARBOR_HEADER)
			return used;
		if (start_body(r, ev) < 0)
			return used;
	}
	used += take(r->body, r->need, &r->have, data + used, n - used);
	if (r->have == r->need)
		finish_frame(r, ev);
	return used;
}

void
harbor_frame_write(uint8_t *dst, const void *payload, size_t sz, uint32_t source, uint32_t destination,
	uint32_t session) {
	write_be32(dst, (uint32_t)(sz + HARBOR_TRAILER));
	if (sz)
		memcpy(dst + HARBOR_HEADER, payload, sz);
	uint8_t *t = dst + HARBOR_HEADER + sz;
	write_be32(t, source);
	write_be32(t + 4, destination);
	write_be32(t + 8, session);
}

uint8_t *
harbor_frame_pack(const void *payload, size_t sz, uint32_t source, uint32_t destination,
	uint32_t session, size_t *out_sz) {
	if (sz > UINT32_MAX - HARBOR_TRAILER - HARBOR_HEADER)
		return NULL;
	size_t total = HARBOR_HEADER + sz + HARBOR_TRAILER;
	uint8_t *buf = skynet_malloc(total);
	harbor_frame_write(buf, payload, sz, source, destination, session);
	*out_sz = total;
	return buf;
}

void
harbor_hmac_sha1(const void *key, size_t keylen, const void *msg, size_t len, uint8_t out[HARBOR_PROOF]) {
	hmac_sha1(key, keylen, msg, len, out);
}

void
harbor_proof(const char *secret, char role, const uint8_t challenge[HARBOR_NONCE],
	const uint8_t response[HARBOR_NONCE], int from_id, int to_id, uint8_t out[HARBOR_PROOF]) {
	/* "skynet-harbor" role from to challenge response: binding the role and
	 * both ids keeps a proof from being replayed in the other direction. */
	static const char tag[] = "skynet-harbor";
	uint8_t msg[sizeof(tag) - 1 + 3 + 2 * HARBOR_NONCE];
	size_t n = sizeof(tag) - 1;
	memcpy(msg, tag, n);
	msg[n++] = (uint8_t)role;
	msg[n++] = (uint8_t)from_id;
	msg[n++] = (uint8_t)to_id;
	memcpy(msg + n, challenge, HARBOR_NONCE);
	n += HARBOR_NONCE;
	memcpy(msg + n, response, HARBOR_NONCE);
	n += HARBOR_NONCE;
	harbor_hmac_sha1(secret, strlen(secret), msg, n, out);
}

int
harbor_proof_equal(const uint8_t a[HARBOR_PROOF], const uint8_t b[HARBOR_PROOF]) {
	uint8_t d = 0;
	for (int i = 0; i < HARBOR_PROOF; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}
