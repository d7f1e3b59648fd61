/* service_gate.c: the gate C service. It listens on one address, frames client
 * traffic into packets (2-byte big-endian length with 'S', 4-byte with 'L') and
 * forwards each packet to the agent bound to the connection (PTYPE_CLIENT, session
 * = socket id, source = the client address given with "forward"), else to a
 * broker, else to the watchdog as text "<fd> data <bytes>".
 *
 * Init parameter: "S|L watchdog listen_address maxclient", or with the client
 * message type before maxclient: "S|L watchdog listen_address client_tag maxclient".
 * watchdog is a handle (":0100000a") or name; "!" means none. listen_address is
 * "host:port" or "port".
 *
 * Commands (PTYPE_TEXT): "kick fd", "forward fd agent client" (bind and start
 * reading), "start fd" and "accept fd" (start reading, packets go to the
 * watchdog/broker), "broker name", "close" (stop listening).
 * Reports to the watchdog (PTYPE_TEXT): "fd open addr", "fd close",
 * "fd error reason", "fd data <bytes>".
 * PTYPE_CLIENT sent to the gate: payload followed by the 4-byte little-endian
 * socket id; the payload is written to that socket as is.
 *
 * Back-pressure: every CHECK_BYTES forwarded to a connection's agent, the
 * agent's queue is looked at; past QUEUE_HIGH messages the connection stops
 * being read until the agent is down to QUEUE_LOW (looked at every 10 ms), so
 * a flooding client is slowed by TCP instead of filling the agent's queue. */
#include "skynet.h"
#include "skynet_socket.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PACKET_MAX_LONG (16 * 1024 * 1024)
#define CHECK_BYTES (64 * 1024)
#define QUEUE_HIGH 64
#define QUEUE_LOW 8

struct connection {
	int id;            /* socket id; 0 while the slot is free */
	uint32_t agent;
	uint32_t client;
	int next;          /* hash chain, or free list */
	int hread;         /* header bytes collected */
	uint8_t header[4];
	int need;          /* payload size of the packet being assembled */
	int got;
	char *pack;        /* NULL while reading a header */
	int fwd;           /* bytes forwarded to the agent since its queue was looked at */
	int paused;        /* reading stopped until the agent catches up */
};

struct gate {
	struct skynet_context *ctx;
	int listen_id;
	uint32_t watchdog;
	uint32_t broker;
	int client_tag;
	int header_size;
	int max_connection;
	int count;
	int paused;        /* connections paused for back-pressure */
	int timer;         /* a 10 ms check is pending */
	int free_head;
	int bucket_mask;
	int *bucket;
	struct connection *conn;
};

/* ---- connection table: socket id -> slot, chained hash over a fixed array ---- */

static int
conn_lookup(struct gate *g, int id) {
	if (id <= 0 || g->bucket == NULL)
		return -1;
	for (int i = g->bucket[id & g->bucket_mask]; i >= 0; i = g->conn[i].next)
		if (g->conn[i].id == id)
			return i;
	return -1;
}

static struct connection *
conn_insert(struct gate *g, int id) {
	if (g->free_head < 0)
		return NULL;
	int i = g->free_head;
	struct connection *c = &g->conn[i];
	g->free_head = c->next;
	memset(c, 0, sizeof(*c));
	c->id = id;
	int h = id & g->bucket_mask;
	c->next = g->bucket[h];
	g->bucket[h] = i;
	g->count++;
	return c;
}

static void
conn_remove(struct gate *g, int id) {
	int *p = &g->bucket[id & g->bucket_mask];
	for (; *p >= 0; p = &g->conn[*p].next) {
		struct connection *c = &g->conn[*p];
		if (c->id != id)
			continue;
		int i = *p;
		*p = c->next;
		if (c->paused)
			g->paused--;
		skynet_free(c->pack);
		memset(c, 0, sizeof(*c));
		c->next = g->free_head;
		g->free_head = i;
		g->count--;
		return;
	}
}

/* ---- reports and forwarding ---- */

static void
report(struct gate *g, const char *fmt, ...) {
	if (g->watchdog == 0)
		return;
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n >= (int)sizeof(buf))
		n = sizeof(buf) - 1;
	skynet_send(g->ctx, 0, g->watchdog, PTYPE_TEXT, 0, buf, n);
}

static void
arm_timer(struct gate *g) {
	if (!g->timer) {
		g->timer = 1;
		skynet_command(g->ctx, "TIMEOUT", "1");
	}
}

/* The 10 ms check: resume the paused connections whose agent caught up. */
static void
check_paused(struct gate *g) {
	g->timer = 0;
	for (int i = 0; i < g->max_connection && g->paused > 0; i++) {
		struct connection *c = &g->conn[i];
		if (c->id == 0 || !c->paused)
			continue;
		if (c->agent && skynet_socket_queued(c->agent) > QUEUE_LOW)
			continue;
		c->paused = 0;
		g->paused--;
		skynet_socket_start(g->ctx, c->id);
	}
	if (g->paused > 0)
		arm_timer(g);
}

static void
check_agent(struct gate *g, struct connection *c, int size) {
	c->fwd += size;
	if (c->fwd < CHECK_BYTES || c->paused)
		return;
	c->fwd = 0;
	if (skynet_socket_queued(c->agent) <= QUEUE_HIGH)
		return;
	c->paused = 1;
	g->paused++;
	skynet_socket_pause(g->ctx, c->id);
	arm_timer(g);
}

/* Takes ownership of pack. */
static void
forward_packet(struct gate *g, struct connection *c, char *pack, int size) {
	if (g->broker) {
		skynet_send(g->ctx, 0, g->broker, g->client_tag | PTYPE_TAG_DONTCOPY, c->id, pack, size);
	} else if (c->agent) {
		skynet_send(g->ctx, c->client, c->agent, g->client_tag | PTYPE_TAG_DONTCOPY, c->id, pack, size);
		check_agent(g, c, size);
	} else if (g->watchdog) {
		char prefix[32];
		int n = snprintf(prefix, sizeof(prefix), "%d data ", c->id);
		char *msg = skynet_malloc(n + size);
		memcpy(msg, prefix, n);
		memcpy(msg + n, pack, size);
		skynet_free(pack);
		skynet_send(g->ctx, 0, g->watchdog, PTYPE_TEXT | PTYPE_TAG_DONTCOPY, 0, msg, n + size);
	} else {
		skynet_free(pack);
	}
}

/* Moves up to want - *have bytes from the input into dst + *have. */
static void
copy_in(uint8_t *dst, int *have, int want, const uint8_t **data, int *sz) {
	int take = want - *have;
	if (take > *sz)
		take = *sz;
	memcpy(dst + *have, *data, take);
	*have += take;
	*data += take;
	*sz -= take;
}

/* Cuts incoming bytes into packets; returns -1 if the client sent an oversized
 * header (the connection is then kicked). */
static int
feed(struct gate *g, struct connection *c, const uint8_t *data, int sz) {
	int id = c->id;
	while (sz > 0) {
		if (c->pack == NULL) {
			copy_in(c->header, &c->hread, g->header_size, &data, &sz);
			if (c->hread < g->header_size)
				return 0;
			uint32_t n = 0;
			for (int i = 0; i < g->header_size; i++)
				n = n << 8 | c->header[i];
			if (n > PACKET_MAX_LONG)
				return -1;
			c->hread = 0;
			c->need = (int)n;
			c->got = 0;
			c->pack = skynet_malloc(n > 0 ? n : 1);
		}
		copy_in((uint8_t *)c->pack, &c->got, c->need, &data, &sz);
		if (c->got == c->need) {
			char *pack = c->pack;
			c->pack = NULL;
			forward_packet(g, c, pack, c->need);
			/* A forward never removes the connection, but stay defensive. */
			if (conn_lookup(g, id) < 0)
				return 0;
		}
	}
	return 0;
}

/* ---- control commands ---- */

static uint32_t
parse_handle(struct gate *g, const char *s) {
	if (s == NULL || s[0] == '\0')
		return 0;
	if (s[0] == ':')
		return (uint32_t)strtoul(s + 1, NULL, 16);
	return skynet_queryname(g->ctx, s);
}

static void
command(struct gate *g, const char *msg, size_t sz) {
	char buf[256];
	if (sz >= sizeof(buf))
		sz = sizeof(buf) - 1;
	memcpy(buf, msg, sz);
	buf[sz] = '\0';
	char cmd[32] = "", a1[64] = "", a2[64] = "", a3[64] = "";
	sscanf(buf, "%31s %63s %63s %63s", cmd, a1, a2, a3);
	struct skynet_context *ctx = g->ctx;
	if (strcmp(cmd, "kick") == 0) {
		int id = atoi(a1);
		if (conn_lookup(g, id) >= 0)
			skynet_socket_close(ctx, id);
	} else if (strcmp(cmd, "forward") == 0) {
		int id = atoi(a1);
		int i = conn_lookup(g, id);
		if (i < 0) {
			skynet_error(ctx, "gate: forward to unknown connection %d", id);
			return;
		}
		g->conn[i].agent = parse_handle(g, a2);
		g->conn[i].client = parse_handle(g, a3);
		skynet_socket_start(ctx, id);
	} else if (strcmp(cmd, "start") == 0 || strcmp(cmd, "accept") == 0) {
		int id = atoi(a1);
		if (conn_lookup(g, id) >= 0)
			skynet_socket_start(ctx, id);
		else
			skynet_error(ctx, "gate: %s unknown connection %d", cmd, id);
	} else if (strcmp(cmd, "broker") == 0) {
		g->broker = parse_handle(g, a1);
	} else if (strcmp(cmd, "close") == 0) {
		if (g->listen_id >= 0) {
			skynet_socket_close(ctx, g->listen_id);
			g->listen_id = -1;
		}
	} else {
		skynet_error(ctx, "gate: unknown command '%s'", buf);
	}
}

/* ---- socket events ---- */

static void
socket_event(struct gate *g, const struct skynet_socket_message *m, size_t sz) {
	struct skynet_context *ctx = g->ctx;
	const char *text = (const char *)(m + 1);
	int tlen = sz > sizeof(*m) ? (int)(sz - sizeof(*m)) : 0;
	switch (m->type) {
	case SKYNET_SOCKET_TYPE_DATA: {
		int i = conn_lookup(g, m->id);
		if (i < 0) {
			skynet_error(ctx, "gate: drop data from unknown connection %d", m->id);
			skynet_socket_close(ctx, m->id);
		} else if (feed(g, &g->conn[i], (const uint8_t *)m->buffer, m->ud) < 0) {
			skynet_error(ctx, "gate: connection %d sent an oversized packet", m->id);
			skynet_socket_close(ctx, m->id);
		}
		skynet_free(m->buffer);
		break;
	}
	case SKYNET_SOCKET_TYPE_CONNECT:
		break; /* listen or start acknowledged */
	case SKYNET_SOCKET_TYPE_CLOSE:
	case SKYNET_SOCKET_TYPE_ERROR:
		if (m->id == g->listen_id) {
			skynet_error(ctx, "gate: listen socket %s: %.*s",
				m->type == SKYNET_SOCKET_TYPE_CLOSE ? "closed" : "error", tlen, text);
			if (m->type == SKYNET_SOCKET_TYPE_CLOSE)
				g->listen_id = -1;
		} else if (conn_lookup(g, m->id) >= 0) {
			conn_remove(g, m->id);
			if (m->type == SKYNET_SOCKET_TYPE_CLOSE)
				report(g, "%d close", m->id);
			else
				report(g, "%d error %.*s", m->id, tlen, text);
		}
		break;
	case SKYNET_SOCKET_TYPE_ACCEPT:
		if (g->count >= g->max_connection || conn_insert(g, m->ud) == NULL) {
			skynet_socket_close(ctx, m->ud);
			skynet_error(ctx, "gate: refuse %.*s, %d connections already", tlen, text, g->count);
		} else {
			report(g, "%d open %.*s", m->ud, tlen, text);
		}
		break;
	case SKYNET_SOCKET_TYPE_WARNING:
		if (m->ud > 0)
			skynet_error(ctx, "gate: connection %d has %d KiB unsent", m->id, m->ud);
		break;
	case SKYNET_SOCKET_TYPE_UDP:
		skynet_free(m->buffer);
		break;
	}
}

static int
gate_cb(struct skynet_context *ctx, void *ud, int type, int session, uint32_t source,
	const void *msg, size_t sz) {
	(void)session;
	struct gate *g = ud;
	switch (type) {
	case PTYPE_TEXT:
		command(g, msg, sz);
		break;
	case PTYPE_CLIENT: {
		if (sz <= 4) {
			skynet_error(ctx, "gate: client message from :%08x too short", source);
			break;
		}
		const uint8_t *tail = (const uint8_t *)msg + sz - 4;
		int id = (int)(tail[0] | tail[1] << 8 | tail[2] << 16 | (uint32_t)tail[3] << 24);
		if (conn_lookup(g, id) < 0) {
			skynet_error(ctx, "gate: client message to unknown connection %d", id);
			break;
		}
		/* The socket layer takes the message itself; the runtime must not free it. */
		skynet_socket_send(ctx, id, (void *)msg, (int)(sz - 4));
		return 1;
	}
	case PTYPE_SOCKET:
		if (sz >= sizeof(struct skynet_socket_message))
			socket_event(g, msg, sz);
		break;
	case PTYPE_RESPONSE:
		check_paused(g); /* the back-pressure timer */
		break;
	}
	return 0;
}

/* ---- module interface ---- */

struct gate *
gate_create(void) {
	struct gate *g = skynet_malloc(sizeof(*g));
	memset(g, 0, sizeof(*g));
	g->listen_id = -1;
	g->free_head = -1;
	return g;
}

void
gate_release(struct gate *g) {
	if (g->ctx && g->conn) {
		for (int i = 0; i < g->max_connection; i++) {
			if (g->conn[i].id > 0)
				skynet_socket_close(g->ctx, g->conn[i].id);
			skynet_free(g->conn[i].pack);
		}
		if (g->listen_id >= 0)
			skynet_socket_close(g->ctx, g->listen_id);
	}
	skynet_free(g->conn);
	skynet_free(g->bucket);
	skynet_free(g);
}

static int
start_listen(struct gate *g, const char *binding) {
	char host[256] = "0.0.0.0";
	const char *colon = strrchr(binding, ':');
	int port;
	if (colon) {
		size_t n = colon - binding;
		if (n >= sizeof(host))
			return -1;
		if (n > 0) {
			memcpy(host, binding, n);
			host[n] = '\0';
		}
		port = atoi(colon + 1);
	} else {
		port = atoi(binding);
	}
	g->listen_id = skynet_socket_listen(g->ctx, host, port, 0);
	if (g->listen_id < 0)
		return -1;
	skynet_socket_start(g->ctx, g->listen_id);
	return 0;
}

int
gate_init(struct gate *g, struct skynet_context *ctx, const char *parm) {
	if (parm == NULL)
		parm = "";
	char header = 0, watchdog[256] = "", binding[256] = "";
	int n1 = 0, n2 = 0;
	int n = sscanf(parm, "%c %255s %255s %d %d", &header, watchdog, binding, &n1, &n2);
	g->ctx = ctx;
	if (n < 4 || (header != 'S' && header != 'L')) {
		skynet_error(ctx, "gate: bad parameter '%s' (want \"S|L watchdog address maxclient\")", parm);
		return 1;
	}
	g->header_size = header == 'S' ? 2 : 4;
	g->client_tag = n == 5 ? n1 : PTYPE_CLIENT;
	g->max_connection = n == 5 ? n2 : n1;
	if (g->max_connection <= 0 || g->max_connection > 65536 || g->client_tag <= 0) {
		skynet_error(ctx, "gate: maxclient must be 1..65536 (got %d)", g->max_connection);
		return 1;
	}
	if (strcmp(watchdog, "!") != 0) {
		g->watchdog = parse_handle(g, watchdog);
		if (g->watchdog == 0) {
			skynet_error(ctx, "gate: no watchdog named %s", watchdog);
			return 1;
		}
	}
	int buckets = 16;
	while (buckets < g->max_connection)
		buckets *= 2;
	g->bucket_mask = buckets - 1;
	g->bucket = skynet_malloc(buckets * sizeof(int));
	for (int i = 0; i < buckets; i++)
		g->bucket[i] = -1;
	g->conn = skynet_malloc(g->max_connection * sizeof(struct connection));
	memset(g->conn, 0, g->max_connection * sizeof(struct connection));
	for (int i = 0; i < g->max_connection; i++)
		g->conn[i].next = i + 1 < g->max_connection ? i + 1 : -1;
	g->free_head = 0;
	skynet_callback(ctx, g, gate_cb);
	if (start_listen(g, binding) < 0) {
		skynet_error(ctx, "gate: cannot listen on %s", binding);
		return 1;
	}
	return 0;
}
