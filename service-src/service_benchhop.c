/* service_benchhop.c: a tiny C service for the `hop` benchmark (bench/bench_hop.lua).
 * Two instances bounce one message between them with no Lua involved, so the
 * figure is what the runtime itself costs per delivery: skynet_send, the
 * service queue, the global queue and one callback.
 *
 * Protocol (uses only skynet.h):
 *   PTYPE_TEXT, session != 0, "PEER COUNT": start a run of COUNT hops against
 *     PEER (a decimal handle or ":hex"). The reply (PTYPE_RESPONSE to the same
 *     session) is "COUNT NANOSECONDS" once the last hop has arrived; a bad
 *     request or a missing peer gets PTYPE_ERROR instead.
 *   PTYPE_CLIENT, 8-byte payload: one hop; the payload is the number of hops
 *     still to go after this one. The receiver bounces it back with one less;
 *     at zero the run is over and the starter is told with PTYPE_TEXT "done".
 * Each hop carries a small payload the runtime copies, like a real message. */
#include "skynet.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct benchhop {
	uint32_t reply_to;  /* who asked for the run in progress, 0 when idle */
	int reply_session;
	uint64_t count;
	uint64_t t0;        /* monotonic ns when the run started */
};

static uint64_t
benchhop_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
benchhop_reply(struct skynet_context *ctx, uint32_t to, int session, int type, const char *text) {
	skynet_send(ctx, 0, to, type, session, (void *)text, strlen(text));
}

static int
benchhop_hop(struct skynet_context *ctx, uint32_t to, uint64_t remaining) {
	return skynet_send(ctx, 0, to, PTYPE_CLIENT, 0, &remaining, sizeof(remaining));
}

static void
benchhop_finish(struct skynet_context *ctx, struct benchhop *h) {
	uint64_t elapsed = benchhop_ns() - h->t0;
	char text[64];
	snprintf(text, sizeof(text), "%" PRIu64 " %" PRIu64, h->count, elapsed);
	skynet_error(ctx, "benchhop: %" PRIu64 " hops in %.3f s (%.0f hops/s)", h->count,
		elapsed / 1e9, elapsed ? h->count * 1e9 / elapsed : 0.0);
	benchhop_reply(ctx, h->reply_to, h->reply_session, PTYPE_RESPONSE, text);
	h->reply_to = 0;
}

/* Parses "PEER COUNT"; returns 0 on success. */
static int
benchhop_parse(const char *msg, size_t sz, uint32_t *peer, uint64_t *count) {
	char text[64];
	if (sz == 0 || sz >= sizeof(text))
		return -1;
	memcpy(text, msg, sz);
	text[sz] = '\0';
	char *p = text, *end;
	int base = 10;
	if (*p == ':') {
		p++;
		base = 16;
	}
	unsigned long long h = strtoull(p, &end, base);
	if (end == p || h == 0 || h > UINT32_MAX)
		return -1;
	p = end;
	unsigned long long n = strtoull(p, &end, 10);
	if (end == p || n == 0 || *end != '\0')
		return -1;
	*peer = (uint32_t)h;
	*count = n;
	return 0;
}

static void
benchhop_start(struct skynet_context *ctx, struct benchhop *h, uint32_t source, int session,
	const char *msg, size_t sz) {
	uint32_t peer;
	uint64_t count;
	if (h->reply_to != 0) {
		benchhop_reply(ctx, source, session, PTYPE_ERROR, "benchhop: a run is already in progress");
		return;
	}
	if (benchhop_parse(msg, sz, &peer, &count) != 0) {
		benchhop_reply(ctx, source, session, PTYPE_ERROR, "benchhop: expected \"PEER COUNT\"");
		return;
	}
	if (skynet_isremote(ctx, peer, NULL)) {
		/* A hop through the harbor would measure the network, not the runtime. */
		benchhop_reply(ctx, source, session, PTYPE_ERROR, "benchhop: the peer must be local");
		return;
	}
	h->reply_to = source;
	h->reply_session = session;
	h->count = count;
	h->t0 = benchhop_ns();
	if (benchhop_hop(ctx, peer, count - 1) < 0) {
		h->reply_to = 0;
		benchhop_reply(ctx, source, session, PTYPE_ERROR, "benchhop: no such peer");
	}
}

static int
benchhop_cb(struct skynet_context *ctx, void *ud, int type, int session, uint32_t source,
	const void *msg, size_t sz) {
	struct benchhop *h = ud;
	switch (type) {
	case PTYPE_TEXT:
		if (session != 0) {
			benchhop_start(ctx, h, source, session, msg, sz);
		} else if (sz == 4 && memcmp(msg, "done", 4) == 0 && h->reply_to != 0) {
			benchhop_finish(ctx, h);
		}
		break;
	case PTYPE_CLIENT: {
		uint64_t remaining;
		if (sz != sizeof(remaining))
			break;
		memcpy(&remaining, msg, sizeof(remaining));
		if (remaining > 0)
			benchhop_hop(ctx, source, remaining - 1);
		else if (h->reply_to != 0)
			benchhop_finish(ctx, h);
		else
			skynet_send(ctx, 0, source, PTYPE_TEXT, 0, "done", 4);
		break;
	}
	default:
		break;
	}
	return 0;
}

struct benchhop *
benchhop_create(void) {
	struct benchhop *h = skynet_malloc(sizeof(*h));
	memset(h, 0, sizeof(*h));
	return h;
}

int
benchhop_init(struct benchhop *h, struct skynet_context *ctx, const char *param) {
	(void)param;
	skynet_callback(ctx, h, benchhop_cb);
	return 0;
}

void
benchhop_release(struct benchhop *h) {
	skynet_free(h);
}
