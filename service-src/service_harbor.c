/* service_harbor.c: the harbor C service of a multi-node (master/slave) node.
 * It owns the TCP links to the other harbors and everything waiting on them.
 *
 * Launched by cslave as skynet's: `harbor <id> <slave handle>`. It becomes the
 * node's harbor (skynet_harbor_start), so the core hands it, as PTYPE_SYSTEM
 * remote_message records, every message to another node's handle and every
 * message to a global name.
 *
 * From the slave (PTYPE_HARBOR text):
 *   "N name"       source is the handle now bound to the global name
 *   "S fd id"      fd: a connected socket to harbor id (we dialled it)
 *   "A fd id"      fd: an accepted socket from harbor id (its id byte read)
 *   "K id"         cut the link to harbor id (the master says it is gone)
 * To the slave (PTYPE_TEXT): "Q name" (resolve a name), "D id" (link down).
 *
 * Links: see harbor_frame.h for the wire layout and the handshake. A message
 * for a harbor whose link is not up yet waits in that link's queue; for a
 * harbor that went down it is dropped with a log line, and a request gets an
 * error back. Requests written to a link are remembered until answered, so
 * a link that drops fails every call still waiting on it ("harbor N is
 * down"). Messages to unknown names wait in the name's queue. Queues are
 * bounded by bytes (HARBOR_QUEUE_LIMIT). */
#include "skynet.h"
#include "skynet_harbor.h"
#include "skynet_mq.h"
#include "skynet_server.h"
#include "skynet_socket.h"
#include "harbor_frame.h"
#include "harbor_table.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define HARBOR_FRAME_LIMIT ((size_t)64 << 20)
#define HARBOR_QUEUE_LIMIT ((size_t)256 << 20)
#define HARBOR_WRITE_LIMIT (2 * HARBOR_FRAME_LIMIT + ((size_t)1 << 20))
#define HANDSHAKE_TIMEOUT "500" /* centiseconds */
#define NODE_MAX 256
#define OUT_FLUSH ((size_t)64 << 10) /* a link's batch is written at this size */
#define LINK_TIMEOUT 30 /* default link_timeout: seconds a silent peer is given */

enum link_status { LINK_WAIT, LINK_HANDSHAKE, LINK_UP, LINK_DOWN };
enum hs_step { HS_NONE, HS_C_START, HS_A_START, HS_C_HELLO, HS_C_PROOF, HS_A_PROOF };

struct link {
	int status;
	int fd;
	int step;
	int timer;              /* session of the handshake timeout */
	uint8_t nonce[HARBOR_NONCE];
	uint8_t peer_nonce[HARBOR_NONCE];
	struct harbor_reader rd;
	struct harbor_queue queue;
	int dirty;              /* listed in harbor.dirty */
	uint8_t *out;           /* frames batched for one write (see link_flush) */
	size_t out_len;
	size_t out_cap;
};

struct harbor {
	struct skynet_context *ctx;
	int id;
	uint32_t slave;
	char *secret;           /* NULL: skynet's handshake, no proof */
	int link_timeout;       /* config link_timeout: a silent peer is given up (s) */
	size_t queued;          /* bytes in every queue */
	struct link link[NODE_MAX];
	int dirty[NODE_MAX];    /* links with batched output */
	int ndirty;
	struct message_queue *mq; /* our own queue: empty means the batch is over */
	struct harbor_calls calls;
	struct harbor_names names;
};

static int
is_request(int type, int session) {
	return session != 0 && type != PTYPE_RESPONSE && type != PTYPE_ERROR;
}

static void
to_slave(struct harbor *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
to_slave(struct harbor *h, const char *fmt, ...) {
	char buf[64];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0 && n < (int)sizeof(buf))
		skynet_send(h->ctx, 0, h->slave, PTYPE_TEXT, 0, buf, (size_t)n);
}

/* An error answer to a waiting caller, as if from the callee. */
static void
fail_call(struct harbor *h, uint32_t callee, uint32_t caller, int session, const char *why) {
	skynet_send(h->ctx, callee, caller, PTYPE_ERROR, session, (void *)why, strlen(why));
}

static struct harbor_msg *
msg_new(uint32_t source, uint32_t destination, int type, int session, void *data, size_t sz) {
	struct harbor_msg *m = skynet_malloc(sizeof(*m));
	m->next = NULL;
	m->source = source;
	m->destination = destination;
	m->type = type;
	m->session = session;
	m->data = data;
	m->sz = sz;
	return m;
}

static void route(struct harbor *h, struct harbor_msg *m);

/* Drops a message nobody can deliver, answering a request with why. */
static void
drop_msg(struct harbor *h, struct harbor_msg *m, const char *why) {
	if (is_request(m->type, m->session))
		fail_call(h, m->destination, m->source, m->session, why);
	skynet_free(m->data);
	skynet_free(m);
}

static void
drop_cb(void *ud, struct harbor_msg *m) {
	drop_msg(ud, m, "harbor service exited");
}

static int
enqueue(struct harbor *h, struct harbor_queue *q, struct harbor_msg *m, const char *what) {
	if (h->queued + m->sz > HARBOR_QUEUE_LIMIT) {
		skynet_error(h->ctx, "harbor: queue full (%zu bytes waiting), drop message to %s from :%08x",
			h->queued, what, m->source);
		drop_msg(h, m, "harbor queue full");
		return -1;
	}
	h->queued += m->sz;
	harbor_queue_push(q, m);
	return 0;
}

static struct harbor_msg *
dequeue(struct harbor *h, struct harbor_queue *q) {
	struct harbor_msg *m = harbor_queue_pop(q);
	if (m)
		h->queued -= m->sz;
	return m;
}

/* ---- links ---- */

static void
link_write(struct harbor *h, struct link *l, const void *data, size_t sz) {
	void *buf = skynet_malloc(sz);
	memcpy(buf, data, sz);
	skynet_socket_send(h->ctx, l->fd, buf, (int)sz);
}

/* Frames for a link collect in its out buffer while more messages wait in
 * our queue, and go out in one write when the queue is empty (harbor_cb) or
 * the buffer is full: a burst of calls costs one syscall, not one each. */
static void
link_flush(struct harbor *h, struct link *l) {
	if (l->out_len == 0)
		return;
	skynet_socket_send(h->ctx, l->fd, l->out, (int)l->out_len);
	l->out = NULL;
	l->out_len = l->out_cap = 0;
}

static void
link_discard(struct link *l) {
	skynet_free(l->out);
	l->out = NULL;
	l->out_len = l->out_cap = 0;
}

static uint8_t *
link_reserve(struct harbor *h, int node, size_t n) {
	struct link *l = &h->link[node];
	if (!l->dirty) {
		l->dirty = 1;
		h->dirty[h->ndirty++] = node;
	}
	if (l->out_len + n > l->out_cap) {
		size_t cap = l->out_cap ? l->out_cap * 2 : 4096;
		while (cap < l->out_len + n)
			cap *= 2;
		l->out = skynet_realloc(l->out, cap);
		l->out_cap = cap;
	}
	uint8_t *p = l->out + l->out_len;
	l->out_len += n;
	return p;
}

static void
link_send(struct harbor *h, int node, struct harbor_msg *m) {
	struct link *l = &h->link[node];
	if (m->sz > HARBOR_FRAME_LIMIT) {
		skynet_error(h->ctx, "harbor: message from :%08x to :%08x too large for a link (%zu bytes)",
			m->source, m->destination, m->sz);
		drop_msg(h, m, "message too large for a harbor link");
		return;
	}
	uint32_t dest = (uint32_t)m->type << 24 | (m->destination & 0xffffff);
	if (is_request(m->type, m->session))
		harbor_calls_add(&h->calls, m->source, m->session, node);
	if (m->sz >= OUT_FLUSH) {
		/* A large message goes on its own, after what is batched. */
		size_t sz;
		uint8_t *frame = harbor_frame_pack(m->data, m->sz, m->source, dest, (uint32_t)m->session, &sz);
		link_flush(h, l);
		skynet_socket_send(h->ctx, l->fd, frame, (int)sz);
	} else {
		uint8_t *p = link_reserve(h, node, HARBOR_HEADER + m->sz + HARBOR_TRAILER);
		harbor_frame_write(p, m->data, m->sz, m->source, dest, (uint32_t)m->session);
		if (l->out_len >= OUT_FLUSH)
			link_flush(h, l);
	}
	skynet_free(m->data);
	skynet_free(m);
}

static void
flush_dirty(struct harbor *h) {
	for (int i = 0; i < h->ndirty; i++) {
		struct link *l = &h->link[h->dirty[i]];
		l->dirty = 0;
		if (l->status == LINK_UP)
			link_flush(h, l);
	}
	h->ndirty = 0;
}

struct down_ctx {
	struct harbor *h;
	int node;
};

static void
fail_waiting_node(void *ud, uint32_t source, int session) {
	struct down_ctx *d = ud;
	char why[48];
	snprintf(why, sizeof(why), "harbor %d is down", d->node);
	fail_call(d->h, (uint32_t)d->node << 24, source, session, why);
}

/* The link to node is gone (closed, refused, failed): everything waiting on
 * it fails, the slave hears of it. */
static void
link_cut(struct harbor *h, int node, const char *reason, int report) {
	struct link *l = &h->link[node];
	int was = l->status;
	if (l->fd >= 0) {
		skynet_socket_close(h->ctx, l->fd);
		skynet_error(h->ctx, "harbor %d (fd=%d) is down: %s", node, l->fd, reason);
	}
	link_discard(l);
	l->fd = -1;
	l->status = LINK_DOWN;
	l->step = HS_NONE;
	l->timer = 0;
	harbor_reader_release(&l->rd);
	char why[48];
	snprintf(why, sizeof(why), "harbor %d is down", node);
	struct harbor_msg *m;
	while ((m = dequeue(h, &l->queue)) != NULL)
		drop_msg(h, m, why);
	struct down_ctx d = { h, node };
	harbor_calls_drop_node(&h->calls, node, fail_waiting_node, &d);
	if (was != LINK_DOWN && report)
		to_slave(h, "D %d", node);
}

static void
link_down(struct harbor *h, int node, const char *reason) {
	link_cut(h, node, reason, 1);
}

static void
link_ready(struct harbor *h, int node) {
	struct link *l = &h->link[node];
	l->status = LINK_UP;
	l->step = HS_NONE;
	l->timer = 0;
	harbor_reader_expect(&l->rd, 0);
	struct harbor_msg *m;
	while ((m = dequeue(h, &l->queue)) != NULL)
		link_send(h, node, m);
}

static void
random_bytes(uint8_t *p, size_t n) {
	while (n > 0) {
		ssize_t r = getrandom(p, n, 0);
		if (r <= 0)
			continue;
		p += r;
		n -= (size_t)r;
	}
}

/* Takes the socket over; the greeting waits for the socket thread's OPEN
 * (link_greet): until the start request is through, the peer's answer would
 * still go to the slave that opened the socket. */
static void
link_begin(struct harbor *h, int node, int fd, int accepted) {
	struct link *l = &h->link[node];
	if (l->fd >= 0 && l->fd != fd)
		link_cut(h, node, "replaced by a new link", 0); /* the slave knows */
	l->fd = fd;
	l->status = LINK_HANDSHAKE;
	l->step = accepted ? HS_A_START : HS_C_START;
	harbor_reader_release(&l->rd);
	harbor_reader_init(&l->rd, HARBOR_FRAME_LIMIT);
	skynet_socket_start(h->ctx, fd);
	skynet_socket_nodelay(h->ctx, fd);
	skynet_socket_keepalive(h->ctx, fd, h->link_timeout);
	/* Room for the largest message plus a backlog; a peer that stops reading
	 * longer than that loses the link (and its callers get errors). */
	skynet_socket_write_limit(h->ctx, fd, (int64_t)HARBOR_WRITE_LIMIT);
	const char *s = skynet_command(h->ctx, "TIMEOUT", HANDSHAKE_TIMEOUT);
	l->timer = s ? atoi(s) : 0;
}

static void
link_greet(struct harbor *h, int node) {
	struct link *l = &h->link[node];
	int accepted = l->step == HS_A_START;
	uint8_t hello[1 + HARBOR_NONCE];
	hello[0] = (uint8_t)h->id;
	if (h->secret) {
		random_bytes(l->nonce, HARBOR_NONCE);
		memcpy(hello + 1, l->nonce, HARBOR_NONCE);
	}
	if (!accepted) {
		/* Dialler: our id first, then the peer's id (and nonce). */
		link_write(h, l, hello, 1);
		l->step = HS_C_HELLO;
		harbor_reader_expect(&l->rd, h->secret ? 1 + HARBOR_NONCE : 1);
	} else if (h->secret) {
		link_write(h, l, hello, 1 + HARBOR_NONCE);
		l->step = HS_A_PROOF;
		harbor_reader_expect(&l->rd, HARBOR_NONCE + HARBOR_PROOF);
	} else {
		link_write(h, l, hello, 1);
		link_ready(h, node);
	}
}

/* A raw handshake chunk arrived on node's link; returns -1 to end it. */
static int
link_handshake(struct harbor *h, int node, const uint8_t *raw) {
	struct link *l = &h->link[node];
	uint8_t proof[HARBOR_PROOF];
	switch (l->step) {
	case HS_C_HELLO:
		if (raw[0] != node) {
			skynet_error(h->ctx, "harbor: link to harbor %d answered as harbor %d, refused", node, raw[0]);
			return -1;
		}
		if (h->secret == NULL) {
			link_ready(h, node);
			return 0;
		}
		memcpy(l->peer_nonce, raw + 1, HARBOR_NONCE);
		uint8_t reply[HARBOR_NONCE + HARBOR_PROOF];
		memcpy(reply, l->nonce, HARBOR_NONCE);
		harbor_proof(h->secret, 'c', l->peer_nonce, l->nonce, h->id, node, reply + HARBOR_NONCE);
		link_write(h, l, reply, sizeof(reply));
		l->step = HS_C_PROOF;
		harbor_reader_expect(&l->rd, HARBOR_PROOF);
		return 0;
	case HS_C_PROOF:
		harbor_proof(h->secret, 'a', l->nonce, l->peer_nonce, node, h->id, proof);
		if (!harbor_proof_equal(proof, raw)) {
			skynet_error(h->ctx, "harbor: harbor %d cannot prove harbor_secret, refused", node);
			return -1;
		}
		link_ready(h, node);
		return 0;
	case HS_A_PROOF:
		memcpy(l->peer_nonce, raw, HARBOR_NONCE);
		harbor_proof(h->secret, 'c', l->nonce, l->peer_nonce, node, h->id, proof);
		if (!harbor_proof_equal(proof, raw + HARBOR_NONCE)) {
			skynet_error(h->ctx, "harbor: harbor %d cannot prove harbor_secret, refused", node);
			return -1;
		}
		harbor_proof(h->secret, 'a', l->peer_nonce, l->nonce, h->id, node, proof);
		link_write(h, l, proof, HARBOR_PROOF);
		link_ready(h, node);
		return 0;
	}
	return -1;
}

/* A frame from node: deliver it here, or bounce a request with an error. */
static int
link_frame(struct harbor *h, int node, struct harbor_event *ev) {
	int type = (int)(ev->destination >> 24);
	uint32_t dest = (ev->destination & 0xffffff) | (uint32_t)h->id << 24;
	int session = (int)ev->session;
	if (type == PTYPE_SYSTEM || type == PTYPE_HARBOR || type == PTYPE_SOCKET) {
		skynet_error(h->ctx, "harbor: harbor %d sent a message of type %d, refused", node, type);
		skynet_free(ev->payload);
		return -1;
	}
	if (!is_request(type, session) && session != 0)
		harbor_calls_remove(&h->calls, dest, session);
	if (skynet_send(h->ctx, ev->source, dest, type | PTYPE_TAG_DONTCOPY, session, ev->payload, ev->sz) < 0
		&& is_request(type, session)) {
		char why[64];
		snprintf(why, sizeof(why), "no service :%08x on harbor %d", dest, h->id);
		fail_call(h, dest, ev->source, session, why);
	}
	return 0;
}

static int
find_link(struct harbor *h, int fd) {
	for (int i = 1; i < NODE_MAX; i++)
		if (h->link[i].fd == fd)
			return i;
	return -1;
}

static void
link_data(struct harbor *h, int node, const uint8_t *data, size_t n) {
	struct link *l = &h->link[node];
	while (n > 0 && l->fd >= 0) {
		struct harbor_event ev;
		size_t used = harbor_reader_push(&l->rd, data, n, &ev);
		data += used;
		n -= used;
		switch (ev.type) {
		case HARBOR_NEED_MORE:
			break;
		case HARBOR_RAW:
			if (l->status != LINK_HANDSHAKE || link_handshake(h, node, l->rd.raw) < 0) {
				link_down(h, node, "handshake failed");
				return;
			}
			break;
		case HARBOR_FRAME:
			if (l->status != LINK_UP) {
				skynet_free(ev.payload);
				link_down(h, node, "frame before the handshake");
				return;
			}
			if (link_frame(h, node, &ev) < 0) {
				link_down(h, node, "bad message type");
				return;
			}
			break;
		case HARBOR_MALFORMED:
			skynet_error(h->ctx, "harbor: malformed frame from harbor %d (length %u)", node, ev.length);
			link_down(h, node, "malformed frame");
			return;
		case HARBOR_OVERSIZED:
			skynet_error(h->ctx, "harbor: oversized frame from harbor %d (%u bytes, limit %zu)",
				node, ev.length, HARBOR_FRAME_LIMIT);
			link_down(h, node, "oversized frame");
			return;
		}
	}
}

static void
socket_event(struct harbor *h, const struct skynet_socket_message *m, size_t sz) {
	const char *text = (const char *)(m + 1);
	int tlen = sz > sizeof(*m) ? (int)(sz - sizeof(*m)) : 0;
	int node = find_link(h, m->id);
	switch (m->type) {
	case SKYNET_SOCKET_TYPE_DATA:
		if (node < 0)
			skynet_socket_close(h->ctx, m->id);
		else
			link_data(h, node, (const uint8_t *)m->buffer, (size_t)m->ud);
		skynet_free(m->buffer);
		break;
	case SKYNET_SOCKET_TYPE_CONNECT: /* our start request went through */
		if (node > 0 && (h->link[node].step == HS_C_START || h->link[node].step == HS_A_START))
			link_greet(h, node);
		break;
	case SKYNET_SOCKET_TYPE_CLOSE:
		if (node > 0)
			link_down(h, node, "closed");
		break;
	case SKYNET_SOCKET_TYPE_ERROR:
		if (node > 0) {
			char why[128];
			snprintf(why, sizeof(why), "%.*s", tlen, text);
			link_down(h, node, why);
		}
		break;
	case SKYNET_SOCKET_TYPE_WARNING:
		if (node > 0 && m->ud > 0)
			skynet_error(h->ctx, "harbor: link to harbor %d has %d KiB unsent", node, m->ud);
		break;
	case SKYNET_SOCKET_TYPE_UDP:
		skynet_free(m->buffer);
		break;
	}
}

/* ---- routing ---- */

static void
deliver_local(struct harbor *h, struct harbor_msg *m) {
	if (skynet_send(h->ctx, m->source, m->destination, m->type | PTYPE_TAG_DONTCOPY, m->session, m->data, m->sz) < 0
		&& is_request(m->type, m->session)) {
		fail_call(h, m->destination, m->source, m->session, "no such service");
	}
	skynet_free(m);
}

/* Sends m (owned) toward its destination handle. */
static void
route(struct harbor *h, struct harbor_msg *m) {
	int node = (int)(m->destination >> 24);
	if (node == 0 || node == h->id) {
		deliver_local(h, m);
		return;
	}
	struct link *l = &h->link[node];
	char what[32];
	switch (l->status) {
	case LINK_UP:
		link_send(h, node, m);
		return;
	case LINK_WAIT:
	case LINK_HANDSHAKE:
		snprintf(what, sizeof(what), "harbor %d", node);
		enqueue(h, &l->queue, m, what);
		return;
	default:
		/* skynet's wording */
		skynet_error(h->ctx, "Drop message to harbor %d from %x to %x (session = %d, msgsz = %zu)",
			node, m->source, m->destination, m->session, m->sz);
		snprintf(what, sizeof(what), "harbor %d is down", node);
		drop_msg(h, m, what);
	}
}

static void
route_name(struct harbor *h, const char *name, struct harbor_msg *m) {
	struct harbor_name *n = harbor_names_get(&h->names, name);
	if (n->handle) {
		m->destination = n->handle;
		route(h, m);
		return;
	}
	int first = n->waiting.count == 0;
	if (enqueue(h, &n->waiting, m, name) == 0 && first)
		to_slave(h, "Q %s", n->name);
}

static void
name_update(struct harbor *h, const char *name, size_t len, uint32_t handle) {
	char key[HARBOR_NAME_MAX] = { 0 };
	if (len == 0 || len >= HARBOR_NAME_MAX || handle == 0) {
		skynet_error(h->ctx, "harbor: invalid name update '%.*s' -> :%08x", (int)len, name, handle);
		return;
	}
	memcpy(key, name, len);
	struct harbor_name *n = harbor_names_get(&h->names, key);
	n->handle = handle;
	struct harbor_msg *m;
	while ((m = dequeue(h, &n->waiting)) != NULL) {
		m->destination = handle;
		route(h, m);
	}
}

static void
remote_message(struct harbor *h, uint32_t source, int session, const struct remote_message *r) {
	struct harbor_msg *m = msg_new(source, r->destination.handle, r->type, session, (void *)r->message, r->sz);
	if (r->destination.name[0]) {
		char name[HARBOR_NAME_MAX] = { 0 };
		memcpy(name, r->destination.name, HARBOR_NAME_MAX - 1);
		route_name(h, name, m);
	} else {
		route(h, m);
	}
}

static void
command(struct harbor *h, uint32_t source, const char *msg, size_t sz) {
	char buf[64];
	if (sz < 2 || sz >= sizeof(buf) || msg[1] != ' ') {
		skynet_error(h->ctx, "harbor: bad command '%.*s'", (int)(sz < 60 ? sz : 60), msg);
		return;
	}
	memcpy(buf, msg, sz);
	buf[sz] = '\0';
	int fd = -1, id = 0;
	switch (buf[0]) {
	case 'N':
		name_update(h, buf + 2, sz - 2, source);
		return;
	case 'S':
	case 'A':
		if (sscanf(buf + 2, "%d %d", &fd, &id) != 2 || id <= 0 || id >= NODE_MAX || id == h->id) {
			skynet_error(h->ctx, "harbor: bad command '%s'", buf);
			return;
		}
		link_begin(h, id, fd, buf[0] == 'A');
		return;
	case 'K':
		id = atoi(buf + 2);
		if (id > 0 && id < NODE_MAX && id != h->id && h->link[id].status != LINK_DOWN)
			link_down(h, id, "the master reports it gone");
		return;
	}
	skynet_error(h->ctx, "harbor: unknown command '%s'", buf);
}

/* The handshake timer: a link still shaking hands after it is refused. */
static void
timer_expired(struct harbor *h, int session) {
	for (int i = 1; i < NODE_MAX; i++) {
		struct link *l = &h->link[i];
		if (l->timer == session && l->status == LINK_HANDSHAKE) {
			skynet_error(h->ctx, "harbor: handshake with harbor %d timed out (wrong or missing harbor_secret?)", i);
			link_down(h, i, "handshake timeout");
			return;
		}
	}
}

static int
harbor_cb(struct skynet_context *ctx, void *ud, int type, int session, uint32_t source,
	const void *msg, size_t sz) {
	(void)ctx;
	struct harbor *h = ud;
	switch (type) {
	case PTYPE_SOCKET:
		if (sz >= sizeof(struct skynet_socket_message))
			socket_event(h, msg, sz);
		break;
	case PTYPE_SYSTEM:
		if (sz == sizeof(struct remote_message))
			remote_message(h, source, session, msg);
		break;
	case PTYPE_HARBOR:
		command(h, source, msg, sz);
		break;
	case PTYPE_RESPONSE:
		if (source == 0)
			timer_expired(h, session);
		break;
	default:
		skynet_error(h->ctx, "harbor: unexpected message type %d from :%08x", type, source);
	}
	if (h->ndirty > 0 && mq_length(h->mq) == 0)
		flush_dirty(h);
	return 0;
}

/* ---- module interface ---- */

/* Config link_timeout: whole seconds 0..86400, default LINK_TIMEOUT. */
static int
read_link_timeout(struct skynet_context *ctx, int *out) {
	const char *v = skynet_command(ctx, "GETENV", "link_timeout");
	*out = LINK_TIMEOUT;
	if (v == NULL)
		return 0;
	char *end;
	long n = strtol(v, &end, 10);
	if (end == v || *end != '\0' || n < 0 || n > 86400) {
		skynet_error(ctx, "harbor: config link_timeout must be whole seconds (0..86400), not \"%s\"", v);
		return 1;
	}
	*out = (int)n;
	return 0;
}

struct harbor *
harbor_create(void) {
	struct harbor *h = skynet_malloc(sizeof(*h));
	memset(h, 0, sizeof(*h));
	for (int i = 0; i < NODE_MAX; i++) {
		h->link[i].fd = -1;
		harbor_reader_init(&h->link[i].rd, HARBOR_FRAME_LIMIT);
	}
	harbor_names_init(&h->names);
	return h;
}

void
harbor_release(struct harbor *h) {
	for (int i = 0; i < NODE_MAX; i++) {
		struct link *l = &h->link[i];
		if (l->fd >= 0 && h->ctx)
			skynet_socket_close(h->ctx, l->fd);
		harbor_reader_release(&l->rd);
		link_discard(l);
		struct harbor_msg *m;
		while ((m = dequeue(h, &l->queue)) != NULL)
			drop_msg(h, m, "harbor service exited");
	}
	harbor_names_release(&h->names, drop_cb, h);
	harbor_calls_release(&h->calls);
	skynet_free(h->secret);
	skynet_free(h);
}

int
harbor_init(struct harbor *h, struct skynet_context *ctx, const char *args) {
	h->ctx = ctx;
	char slave[64] = "";
	if (args == NULL || sscanf(args, "%d %63s", &h->id, slave) != 2 || h->id <= 0 || h->id >= NODE_MAX) {
		skynet_error(ctx, "harbor: bad parameter '%s' (want \"harbor_id slave_handle\")", args ? args : "");
		return 1;
	}
	h->slave = slave[0] == ':' ? (uint32_t)strtoul(slave + 1, NULL, 16) : (uint32_t)strtoul(slave, NULL, 10);
	if (h->slave == 0) {
		skynet_error(ctx, "harbor: bad slave handle '%s'", slave);
		return 1;
	}
	if (read_link_timeout(ctx, &h->link_timeout))
		return 1;
	const char *secret = skynet_command(ctx, "GETENV", "harbor_secret");
	if (secret && secret[0]) {
		size_t n = strlen(secret) + 1;
		h->secret = skynet_malloc(n);
		memcpy(h->secret, secret, n);
	}
	h->mq = skynet_context_queue(ctx);
	skynet_callback(ctx, h, harbor_cb);
	skynet_harbor_start(ctx);
	return 0;
}
