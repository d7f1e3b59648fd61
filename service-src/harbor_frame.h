/* harbor_frame.h: the byte level of a harbor link, with no service in it, so
 * the unit tests can drive it directly.
 *
 * Wire layout (skynet's): each message is a 4-byte big-endian length N, then
 * N bytes: the payload followed by a 12-byte trailer of three big-endian
 * words: source handle, destination (message type in the high byte, the
 * destination's 24-bit local handle below), session. N < 12 is malformed; N
 * above 12 + the reader's limit is oversized: both end the link.
 *
 * Before frames, a link carries a handshake of fixed-size raw chunks; the
 * reader collects such a chunk when asked to (harbor_reader_expect).
 *
 * The secret proof is HMAC-SHA1 (RFC 2104) over the two nonces and both ids. */
#ifndef HARBOR_FRAME_H
#define HARBOR_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define HARBOR_TRAILER 12
#define HARBOR_HEADER 4
#define HARBOR_RAW_MAX 64
#define HARBOR_NONCE 16
#define HARBOR_PROOF 20

enum harbor_event_type {
	HARBOR_NEED_MORE = 0, /* every byte given was consumed, nothing complete */
	HARBOR_RAW,           /* a raw chunk is complete: reader->raw */
	HARBOR_FRAME,         /* a frame is complete: event fields */
	HARBOR_MALFORMED,     /* length below the trailer size */
	HARBOR_OVERSIZED,     /* length above the limit */
};

struct harbor_event {
	int type;
	uint32_t length;   /* the frame's declared length (for error reports) */
	void *payload;     /* skynet_malloc'ed, the receiver owns it (NULL if empty) */
	size_t sz;
	uint32_t source;
	uint32_t destination; /* type << 24 | local handle */
	uint32_t session;
};

struct harbor_reader {
	size_t limit;        /* largest payload accepted */
	int raw_need;        /* > 0: collecting a raw chunk of this size */
	int raw_have;
	uint8_t raw[HARBOR_RAW_MAX];
	int head_have;       /* length bytes collected */
	uint8_t head[HARBOR_HEADER];
	uint32_t need;       /* body bytes of the current frame (payload + trailer) */
	uint32_t have;
	uint8_t *body;       /* NULL while reading a length */
	int broken;          /* a malformed/oversized frame was seen: refuse more */
};

void harbor_reader_init(struct harbor_reader *r, size_t limit);
void harbor_reader_release(struct harbor_reader *r);
/* The next n bytes (1..HARBOR_RAW_MAX) form a raw chunk; 0 returns to frames. */
void harbor_reader_expect(struct harbor_reader *r, int n);
/* Consumes bytes until one event completes (or all are used); returns the
 * count consumed and fills ev. Call again with the rest. */
size_t harbor_reader_push(struct harbor_reader *r, const uint8_t *data, size_t n, struct harbor_event *ev);

/* Writes one whole frame (HARBOR_HEADER + sz + HARBOR_TRAILER bytes) at dst;
 * sz must be below the wire's 32-bit length. */
void harbor_frame_write(uint8_t *dst, const void *payload, size_t sz, uint32_t source, uint32_t destination,
	uint32_t session);
/* One whole frame in a fresh skynet_malloc'ed buffer; *out_sz gets its size.
 * NULL when the payload is above the wire's 32-bit length. */
uint8_t *harbor_frame_pack(const void *payload, size_t sz, uint32_t source, uint32_t destination,
	uint32_t session, size_t *out_sz);

void harbor_hmac_sha1(const void *key, size_t keylen, const void *msg, size_t len,
	uint8_t out[HARBOR_PROOF]);
/* The proof a side gives: HMAC(secret, role | my nonce... ) with a fixed
 * layout, role 'c' (connector) or 'a' (acceptor). */
void harbor_proof(const char *secret, char role, const uint8_t challenge[HARBOR_NONCE],
	const uint8_t response[HARBOR_NONCE], int from_id, int to_id, uint8_t out[HARBOR_PROOF]);
/* Constant-time comparison of two proofs: 1 when equal. */
int harbor_proof_equal(const uint8_t a[HARBOR_PROOF], const uint8_t b[HARBOR_PROOF]);

#endif
