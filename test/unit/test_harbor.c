/* test_harbor.c: the harbor link's byte level and bookkeeping without a
 * node: the frame reader against random chunking of valid streams and
 * against random and mutated bytes (it must end every stream in an event,
 * never read past its input, never hold more than one frame), the frame
 * writer, HMAC-SHA1 (RFC 2202 vectors) and the handshake proof, the table
 * of pending calls and the global names. */
#include "testlib.h"
#include "skynet_malloc.h"
#include "../../service-src/harbor_frame.h"
#include "../../service-src/harbor_table.h"

#include <stdint.h>
#include <string.h>

static uint64_t rng = 88172645463325252ULL;

static uint32_t
rnd(void) {
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

struct sample {
	uint8_t *payload;
	size_t sz;
	uint32_t source, destination, session;
};

/* Appends one packed frame to *buf (grown), returns the new length. */
static size_t
append(uint8_t **buf, size_t len, const struct sample *s) {
	size_t fsz;
	uint8_t *f = harbor_frame_pack(s->payload, s->sz, s->source, s->destination, s->session, &fsz);
	*buf = skynet_realloc(*buf, len + fsz);
	memcpy(*buf + len, f, fsz);
	skynet_free(f);
	return len + fsz;
}

static void
test_roundtrip_random_chunks(void) {
	enum { N = 300 };
	static struct sample s[N];
	uint8_t *stream = NULL;
	size_t len = 0;
	for (int i = 0; i < N; i++) {
		s[i].sz = i % 7 == 0 ? 0 : rnd() % 5000;
		s[i].payload = skynet_malloc(s[i].sz + 1);
		for (size_t j = 0; j < s[i].sz; j++)
			s[i].payload[j] = (uint8_t)rnd();
		s[i].source = rnd();
		s[i].destination = rnd();
		s[i].session = rnd();
		len = append(&stream, len, &s[i]);
	}
	for (int round = 0; round < 20; round++) {
		struct harbor_reader r;
		harbor_reader_init(&r, 8192);
		size_t pos = 0;
		int got = 0, bad = 0;
		while (pos < len) {
			size_t chunk = round == 0 ? 1 : 1 + rnd() % (round * 97);
			if (chunk > len - pos)
				chunk = len - pos;
			const uint8_t *p = stream + pos;
			size_t n = chunk;
			while (n > 0) {
				struct harbor_event ev;
				size_t used = harbor_reader_push(&r, p, n, &ev);
				CHECK(used <= n);
				p += used;
				n -= used;
				if (ev.type == HARBOR_FRAME) {
					struct sample *w = &s[got++];
					if (ev.sz != w->sz || ev.source != w->source || ev.destination != w->destination
						|| ev.session != w->session || (w->sz && memcmp(ev.payload, w->payload, w->sz)))
						bad++;
					CHECK((ev.payload == NULL) == (ev.sz == 0));
					skynet_free(ev.payload);
				} else {
					CHECK(ev.type == HARBOR_NEED_MORE);
					CHECK(n == 0);
				}
			}
			pos += chunk;
		}
		CHECKF(got == N && bad == 0, "round %d: %d frames, %d wrong", round, got, bad);
		CHECK(r.body == NULL && r.head_have == 0);
		harbor_reader_release(&r);
	}
	for (int i = 0; i < N; i++)
		skynet_free(s[i].payload);
	skynet_free(stream);
}

static void
test_raw_then_frames(void) {
	uint8_t buf[64] = { 7, 1, 2, 3 };
	struct sample s = { (uint8_t *)"hello", 5, 0x01000002, 10u << 24 | 5, 42 };
	size_t fsz;
	uint8_t *f = harbor_frame_pack(s.payload, s.sz, s.source, s.destination, s.session, &fsz);
	memcpy(buf + 4, f, fsz);
	skynet_free(f);
	struct harbor_reader r;
	harbor_reader_init(&r, 100);
	harbor_reader_expect(&r, 1);
	struct harbor_event ev;
	size_t used = harbor_reader_push(&r, buf, 4 + fsz, &ev);
	CHECK(used == 1 && ev.type == HARBOR_RAW && r.raw[0] == 7);
	harbor_reader_expect(&r, 3);
	used += harbor_reader_push(&r, buf + used, 4 + fsz - used, &ev);
	CHECK(used == 4 && ev.type == HARBOR_RAW && memcmp(r.raw, "\1\2\3", 3) == 0);
	harbor_reader_expect(&r, 0);
	used += harbor_reader_push(&r, buf + used, 4 + fsz - used, &ev);
	CHECK(used == 4 + fsz && ev.type == HARBOR_FRAME && ev.sz == 5 && ev.session == 42);
	CHECK(memcmp(ev.payload, "hello", 5) == 0 && ev.destination == (10u << 24 | 5));
	skynet_free(ev.payload);
	harbor_reader_release(&r);
}

static void
test_malformed_and_oversized(void) {
	struct harbor_reader r;
	struct harbor_event ev;
	harbor_reader_init(&r, 1000);
	uint8_t shortlen[8] = { 0, 0, 0, 11, 1, 2, 3, 4 };
	size_t used = harbor_reader_push(&r, shortlen, sizeof(shortlen), &ev);
	CHECK(ev.type == HARBOR_MALFORMED && ev.length == 11 && used == 4);
	/* once broken, nothing more is taken */
	used = harbor_reader_push(&r, shortlen + 4, 4, &ev);
	CHECK(ev.type == HARBOR_MALFORMED && used == 0);
	harbor_reader_release(&r);

	harbor_reader_init(&r, 1000);
	uint8_t big[4] = { 0, 0, 0x03, 0xf5 }; /* 1013 = 1001 + trailer */
	used = harbor_reader_push(&r, big, 4, &ev);
	CHECK(ev.type == HARBOR_OVERSIZED && ev.length == 1013 && r.body == NULL);
	harbor_reader_release(&r);

	harbor_reader_init(&r, 1000);
	uint8_t huge[4] = { 0xff, 0xff, 0xff, 0xff };
	harbor_reader_push(&r, huge, 4, &ev);
	CHECK(ev.type == HARBOR_OVERSIZED && r.body == NULL);
	harbor_reader_release(&r);

	harbor_reader_init(&r, 1000);
	uint8_t exact[4] = { 0, 0, 0x03, 0xf4 }; /* 1000 + trailer: accepted */
	used = harbor_reader_push(&r, exact, 4, &ev);
	CHECK(ev.type == HARBOR_NEED_MORE && used == 4 && r.body != NULL);
	harbor_reader_release(&r); /* a truncated frame is freed with the reader */
	CHECK(r.body == NULL);
}

/* Feeds bytes in random chunks until the stream ends or breaks; returns the
 * number of frames seen. */
static int
feed_all(const uint8_t *p, size_t len, size_t limit, int *broke) {
	struct harbor_reader r;
	harbor_reader_init(&r, limit);
	int frames = 0;
	*broke = 0;
	while (len > 0 && !*broke) {
		size_t chunk = 1 + rnd() % 300;
		if (chunk > len)
			chunk = len;
		size_t n = chunk;
		const uint8_t *q = p;
		while (n > 0) {
			struct harbor_event ev;
			size_t used = harbor_reader_push(&r, q, n, &ev);
			if (used > n)
				abort();
			q += used;
			n -= used;
			if (ev.type == HARBOR_FRAME) {
				if (ev.sz > limit)
					abort();
				skynet_free(ev.payload);
				frames++;
			} else if (ev.type == HARBOR_MALFORMED || ev.type == HARBOR_OVERSIZED) {
				*broke = 1;
				break;
			} else if (used == 0) {
				abort(); /* no progress without an event */
			}
		}
		p += chunk;
		len -= chunk;
	}
	harbor_reader_release(&r);
	return frames;
}

static void
test_fuzz(void) {
	enum { LIMIT = 4096 };
	uint8_t *buf = skynet_malloc(1 << 16);
	int broke_total = 0;
	for (int round = 0; round < 3000; round++) {
		size_t len = 1 + rnd() % (1 << 16);
		if (round % 2 == 0) {
			/* pure noise, with small lengths now and then so frames do complete */
			for (size_t i = 0; i < len; i++)
				buf[i] = (uint8_t)rnd();
			for (size_t i = 0; i + 4 < len; i += 1 + rnd() % 400)
				if (rnd() % 2)
					buf[i] = buf[i + 1] = 0;
		} else {
			/* a valid stream, then mutated: flipped bytes, a cut */
			uint8_t *stream = NULL;
			size_t sl = 0;
			while (sl < len) {
				struct sample s = { buf, rnd() % (LIMIT + 50), rnd(), rnd(), rnd() };
				sl = append(&stream, sl, &s);
			}
			memcpy(buf, stream, len);
			skynet_free(stream);
			int flips = rnd() % 4;
			for (int i = 0; i < flips; i++)
				buf[rnd() % len] ^= (uint8_t)(1 + rnd() % 255);
			len -= rnd() % (len / 2 + 1);
		}
		int broke;
		feed_all(buf, len, LIMIT, &broke);
		broke_total += broke;
	}
	skynet_free(buf);
	CHECKF(broke_total > 100, "only %d streams broke", broke_total);
}

static void
hex(const uint8_t *p, int n, char *out) {
	for (int i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static void
test_hmac_sha1_rfc2202(void) {
	uint8_t key[80], out[20];
	char h[41];
	memset(key, 0x0b, 20);
	harbor_hmac_sha1(key, 20, "Hi There", 8, out);
	hex(out, 20, h);
	CHECKF(strcmp(h, "b617318655057264e28bc0b6fb378c8ef146be00") == 0, "%s", h);
	harbor_hmac_sha1("Jefe", 4, "what do ya want for nothing?", 28, out);
	hex(out, 20, h);
	CHECKF(strcmp(h, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79") == 0, "%s", h);
	memset(key, 0xaa, 80);
	const char *m = "Test Using Larger Than Block-Size Key - Hash Key First";
	harbor_hmac_sha1(key, 80, m, strlen(m), out);
	hex(out, 20, h);
	CHECKF(strcmp(h, "aa4ae5e15272d00e95705637ce8a3b55ed402112") == 0, "%s", h);
}

static void
test_proof(void) {
	uint8_t a[HARBOR_NONCE], b[HARBOR_NONCE], p1[HARBOR_PROOF], p2[HARBOR_PROOF];
	for (int i = 0; i < HARBOR_NONCE; i++) {
		a[i] = (uint8_t)rnd();
		b[i] = (uint8_t)rnd();
	}
	harbor_proof("secret", 'c', a, b, 2, 3, p1);
	harbor_proof("secret", 'c', a, b, 2, 3, p2);
	CHECK(harbor_proof_equal(p1, p2));
	harbor_proof("secreT", 'c', a, b, 2, 3, p2);
	CHECK(!harbor_proof_equal(p1, p2));
	harbor_proof("secret", 'a', a, b, 2, 3, p2);
	CHECK(!harbor_proof_equal(p1, p2));
	harbor_proof("secret", 'c', a, b, 3, 2, p2);
	CHECK(!harbor_proof_equal(p1, p2));
	harbor_proof("secret", 'c', b, a, 2, 3, p2);
	CHECK(!harbor_proof_equal(p1, p2));
}

struct seen_calls {
	int *seen;
	int count;
};

static void
seen_call(void *ud, uint32_t source, int session) {
	(void)source;
	struct seen_calls *c = ud;
	c->seen[session - 1]++;
	c->count++;
}

static void
test_calls(void) {
	enum { N = 20000 };
	static uint32_t src[N];
	static int sess[N], node[N], live[N];
	struct harbor_calls t = { 0 };
	for (int i = 0; i < N; i++) {
		src[i] = 0x01000000 | (rnd() % 64);
		sess[i] = i + 1;
		node[i] = 2 + rnd() % 5;
		live[i] = 1;
		harbor_calls_add(&t, src[i], sess[i], node[i]);
	}
	CHECK(t.count == N);
	for (int i = 0; i < N; i += 3) {
		CHECK(harbor_calls_remove(&t, src[i], sess[i]) == node[i]);
		live[i] = 0;
	}
	CHECK(harbor_calls_remove(&t, src[0], sess[0]) == -1);
	CHECK(harbor_calls_remove(&t, 0x05000000, 1) == -1);
	/* drop node 4: exactly its live calls come back */
	static int seen[N];
	memset(seen, 0, sizeof(seen));
	struct seen_calls ctx = { seen, 0 };
	harbor_calls_drop_node(&t, 4, seen_call, &ctx);
	int want = 0;
	for (int i = 0; i < N; i++) {
		if (live[i] && node[i] == 4) {
			want++;
			CHECK(seen[i] == 1);
			live[i] = 0;
		} else {
			CHECK(seen[i] == 0);
		}
	}
	CHECK(ctx.count == want);
	for (int i = 0; i < N; i++)
		CHECK(harbor_calls_remove(&t, src[i], sess[i]) == (live[i] ? node[i] : -1));
	CHECK(t.count == 0);
	harbor_calls_release(&t);
}

static void
drop_counted(void *ud, struct harbor_msg *m) {
	(*(int *)ud)++;
	skynet_free(m->data);
	skynet_free(m);
}

static void
test_names(void) {
	struct harbor_names t;
	harbor_names_init(&t);
	char name[16];
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "NAME%d", i);
		harbor_names_get(&t, name)->handle = (uint32_t)i + 1;
	}
	CHECK(t.count == 1000);
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "NAME%d", i);
		struct harbor_name *n = harbor_names_find(&t, name);
		CHECK(n && n->handle == (uint32_t)i + 1);
		CHECK(harbor_names_get(&t, name) == n);
	}
	CHECK(harbor_names_find(&t, "NOBODY") == NULL);
	struct harbor_name *w = harbor_names_get(&t, "WAITING");
	struct harbor_msg *m = skynet_malloc(sizeof(*m));
	memset(m, 0, sizeof(*m));
	m->data = skynet_malloc(10);
	m->sz = 10;
	harbor_queue_push(&w->waiting, m);
	CHECK(w->waiting.bytes == 10 && w->waiting.count == 1);
	int dropped = 0;
	harbor_names_release(&t, drop_counted, &dropped);
	CHECK(dropped == 1);
}

int
main(void) {
	RUN(test_roundtrip_random_chunks);
	RUN(test_raw_then_frames);
	RUN(test_malformed_and_oversized);
	RUN(test_fuzz);
	RUN(test_hmac_sha1_rfc2202);
	RUN(test_proof);
	RUN(test_calls);
	RUN(test_names);
	return TESTS_DONE();
}
