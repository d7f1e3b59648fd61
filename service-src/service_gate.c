/* service_gate.c: the gate C service. It listens on one address, frames client
 * traffic into packets (2-byte big-endian length with 'S', 4-byte with 'L') and
 * forwards each packet to the agent bound to the connection (PTYPE_CLIENT, session
 * = socket id, source = the client address given with "forward"), else to a
 * broker, else to the watchdog as text "<fd> data <bytes>".
 *
 * Init parameter: "S|L watchdog listen_address maxclient", or with the client
 * message type before maxclient: "S|L watchdog listen_address client_tag maxclient"
 * (client_tag 0 means PTYPE_CLIENT; further numbers, such as older skynet's
 * buffer size, are ignored as skynet does), then optional "key=value" options
 * (beyond skynet, all off unless given):
 *   idle_timeout=SECONDS   a connection that sends nothing for this long is
 *                          closed (reported to the watchdog as a close)
 *   max_per_address=N      connections from one peer ip; more are closed at once
 * watchdog is a handle (":0100000a") or name; "!" means none. listen_address is
 * "host:port" or "port".
 *
 * Commands (PTYPE_TEXT): "kick fd", "forward fd agent client" (bind and start
 * reading), "start fd" and "accept fd" (start reading, packets go to the
 * watchdog/broker; a bare "start", older skynet's, is a no-op: the gate
 * listens from launch), "broker name", "close" (stop listening).
 * Reports to the watchdog (PTYPE_TEXT): "fd open addr", "fd close",
 * "fd error reason", "fd data <bytes>".
 * PTYPE_CLIENT sent to the gate: payload followed by the 4-byte little-endian
 * socket id; the payload is written to that socket as is.
 *
 * Back-pressure: every CHECK_BYTES forwarded to a connection's agent, the
 * agent's queue is looked at; past QUEUE_HIGH messages the connection stops
 * being read until the agent is down to QUEUE_LOW (looked at every 10 ms), so
 * a flooding client is slowed by TCP instead of filling the agent's queue.
 *
 * Slots: each connection keeps the time it last sent something; a sweep
 * (every idle_timeout/2, 0.1 s to 1 s) closes the silent ones and logs one
 * line with the count. Per-address counts live in a small hash table of the
 * peer ips currently connected (an entry is freed with its last connection).
 * Refusals (maxclient, max_per_address) are logged at most once a second
 * with counts, in the Lua gate's wording. */
#include "skynet.h"
#include "skynet_socket.h"
#include "gate_address.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PACKET_MAX_LONG (16 * 1024 * 1024)
#define CHECK_BYTES (64 * 1024)
#define QUEUE_HIGH 64
#define QUEUE_LOW 8
#define REPORT_INTERVAL 100        /* centiseconds between refusal log lines */
#define IDLE_MAX_SECONDS 1000000

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
	uint32_t active;   /* skynet_now() (centiseconds, truncated) of its last data */
	uint8_t paused;    /* reading stopped until the agent catches up */
	uint8_t closing;   /* closed for idleness; its close report is pending */
	struct gate_address *addr; /* its peer ip (with max_per_address), or NULL */
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
	int pause_session; /* session of the pending 10 ms check, or 0 */
	int tick_session;  /* session of the pending sweep / report timer, or 0 */
	int idle_timeout;  /* centiseconds, 0 = off */
	int max_per_address; /* 0 = off */
	int refused_max;   /* refusals since the last report */
	int refused_addr;
	uint64_t refused_at; /* skynet_now() of the last report */
	struct gate_address_table addrs; /* bucket NULL unless max_per_address */
	char binding[256];
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
		gate_address_release(&g->addrs, c->addr);
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

/* A timer of cs centiseconds; returns its session (the response's). */
static int
start_timer(struct gate *g, int cs) {
	char buf[16];
	snprintf(buf, sizeof(buf), "%d", cs);
	const char *session = skynet_command(g->ctx, "TIMEOUT", buf);
	return session ? atoi(session) : 0;
}

static void
arm_timer(struct gate *g) {
	if (g->pause_session == 0)
		g->pause_session = start_timer(g, 1);
}

/* The 10 ms check: resume the paused connections whose agent caught up. */
static void
check_paused(struct gate *g) {
	g->pause_session = 0;
	uint32_t now = (uint32_t)skynet_now();
	for (int i = 0; i < g->max_connection && g->paused > 0; i++) {
		struct connection *c = &g->conn[i];
		if (c->id == 0 || !c->paused)
			continue;
		if (c->agent && skynet_socket_queued(c->agent) > QUEUE_LOW)
			continue;
		c->paused = 0;
		c->active = now; /* we stopped reading it: its silence is ours */
		g->paused--;
		skynet_socket_start(g->ctx, c->id);
	}
	if (g->paused > 0)
		arm_timer(g);
}

/* ---- slots: idle sweep and refusal reports ---- */

static int
sweep_period(struct gate *g) {
	int p = g->idle_timeout / 2;
	return p < 10 ? 10 : p > 100 ? 100 : p;
}

/* The sweep runs while idle_timeout is on; otherwise the timer only runs to
 * flush a pending refusal report. */
static void
arm_tick(struct gate *g) {
	if (g->tick_session != 0)
		return;
	if (g->idle_timeout > 0)
		g->tick_session = start_timer(g, sweep_period(g));
	else if (g->refused_max + g->refused_addr > 0)
		g->tick_session = start_timer(g, REPORT_INTERVAL);
}

/* At most one line a second about refused clients, with the counts. */
static void
report_refusals(struct gate *g) {
	uint64_t now = skynet_now();
	if (g->refused_max + g->refused_addr == 0 || now - g->refused_at < REPORT_INTERVAL)
		return;
	char cap[16] = "nil";
	if (g->max_per_address > 0)
		snprintf(cap, sizeof(cap), "%d", g->max_per_address);
	skynet_error(g->ctx, "gate: refused %d client(s) over maxclient (%d) and %d over max_per_address (%s) since the last report",
		g->refused_max, g->max_connection, g->refused_addr, cap);
	g->refused_max = g->refused_addr = 0;
	g->refused_at = now;
}

static void
sweep_idle(struct gate *g) {
	uint32_t now = (uint32_t)skynet_now();
	int n = 0;
	for (int i = 0; i < g->max_connection; i++) {
		struct connection *c = &g->conn[i];
		if (c->id == 0 || c->paused || c->closing || now - c->active < (uint32_t)g->idle_timeout)
			continue;
		c->closing = 1; /* the close report that follows goes to the watchdog */
		skynet_socket_close(g->ctx, c->id);
		n++;
	}
	if (n > 0)
		skynet_error(g->ctx, "gate: closed %d client(s) idle for %d s", n, g->idle_timeout / 100);
}

static void
on_tick(struct gate *g) {
	g->tick_session = 0;
	if (g->idle_timeout > 0)
		sweep_idle(g);
	report_refusals(g);
	arm_tick(g);
}

static void
refuse(struct gate *g, int id, int *counter) {
	skynet_socket_close(g->ctx, id);
	(*counter)++;
	report_refusals(g);
	arm_tick(g);
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
		if (a1[0] == '\0')
			return; /* older skynet's "start" (of the listener): it listens from launch */
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
accept_connection(struct gate *g, int id, const char *text, int tlen) {
	if (g->count >= g->max_connection) {
		refuse(g, id, &g->refused_max);
		return;
	}
	struct gate_address *a = g->addrs.bucket ? gate_address_find(&g->addrs, text, (size_t)tlen) : NULL;
	if (a && a->count >= g->max_per_address) {
		refuse(g, id, &g->refused_addr);
		return;
	}
	struct connection *c = conn_insert(g, id);
	if (c == NULL) { /* count < max_connection keeps a slot free; stay defensive */
		if (a) {
			a->count++;
			gate_address_release(&g->addrs, a); /* frees an entry made for this one */
		}
		refuse(g, id, &g->refused_max);
		return;
	}
	if (a) {
		a->count++;
		c->addr = a;
	}
	c->active = (uint32_t)skynet_now();
	report(g, "%d open %.*s", id, tlen, text);
}

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
		} else {
			g->conn[i].active = (uint32_t)skynet_now();
			if (feed(g, &g->conn[i], (const uint8_t *)m->buffer, m->ud) < 0) {
				skynet_error(ctx, "gate: connection %d sent an oversized packet", m->id);
				skynet_socket_close(ctx, m->id);
			}
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
		accept_connection(g, m->ud, text, tlen);
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
	case PTYPE_RESPONSE: /* a timer */
		if (session == g->pause_session)
			check_paused(g);
		else if (session == g->tick_session)
			on_tick(g);
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
	gate_address_free(&g->addrs);
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

/* A whole token as an integer in lo..hi. */
static int
parse_int(const char *s, long lo, long hi, int *out) {
	char *end;
	long v = strtol(s, &end, 10);
	if (end == s || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

/* One "key=value" option of the init parameter; logs and fails on a bad one. */
static int
parse_option(struct gate *g, const char *opt) {
	const char *eq = strchr(opt, '=');
	if (eq == NULL) {
		skynet_error(g->ctx, "gate: unexpected field '%s' after the options (want key=value)", opt);
		return -1;
	}
	size_t klen = (size_t)(eq - opt);
	const char *v = eq + 1;
	if (klen == strlen("idle_timeout") && memcmp(opt, "idle_timeout", klen) == 0) {
		char *end;
		double sec = strtod(v, &end);
		if (end == v || *end != '\0' || !(sec >= 0 && sec <= IDLE_MAX_SECONDS)) {
			skynet_error(g->ctx, "gate: bad option '%s' (idle_timeout wants seconds, 0 to %d; 0 = off)",
				opt, IDLE_MAX_SECONDS);
			return -1;
		}
		int cs = (int)(sec * 100);
		g->idle_timeout = sec > 0 && cs == 0 ? 1 : cs;
		return 0;
	}
	if (klen == strlen("max_per_address") && memcmp(opt, "max_per_address", klen) == 0) {
		if (parse_int(v, 0, 65536, &g->max_per_address) < 0) {
			skynet_error(g->ctx, "gate: bad option '%s' (max_per_address wants connections, 0 to 65536; 0 = off)", opt);
			return -1;
		}
		return 0;
	}
	skynet_error(g->ctx, "gate: unknown option '%s' (known: idle_timeout, max_per_address)", opt);
	return -1;
}

/* "S|L watchdog address [client_tag] maxclient [key=value ...]" */
static int
parse_parameter(struct gate *g, const char *parm) {
	struct skynet_context *ctx = g->ctx;
	char buf[1024];
	if (strlen(parm) >= sizeof(buf)) {
		skynet_error(ctx, "gate: parameter too long (%zu bytes)", strlen(parm));
		return -1;
	}
	strcpy(buf, parm);
	char *tok[16];
	int n = 0;
	char *save = NULL;
	for (char *t = strtok_r(buf, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == 16) {
			skynet_error(ctx, "gate: too many fields in '%s'", parm);
			return -1;
		}
		tok[n++] = t;
	}
	/* Fields without '=' after the address are client_tag and maxclient; any
	 * further number is ignored, as skynet's own parser does (older skynet
	 * code passes a buffer size there). */
	int nums = 0, extra = 0;
	while (3 + nums < n && strchr(tok[3 + nums], '=') == NULL)
		nums++;
	if (nums > 2) {
		int ignored;
		for (int i = 5; i < 3 + nums; i++)
			if (parse_int(tok[i], -2147483647L, 2147483647L, &ignored) < 0)
				nums = -1; /* not a number: a typo, say so */
		if (nums > 0) {
			extra = nums - 2;
			nums = 2;
		}
	}
	if (n < 4 || nums < 1 || (strcmp(tok[0], "S") != 0 && strcmp(tok[0], "L") != 0)) {
		skynet_error(ctx, "gate: bad parameter '%s' (want \"S|L watchdog address [client_tag] maxclient"
			" [idle_timeout=SECONDS] [max_per_address=N]\")", parm);
		return -1;
	}
	g->header_size = tok[0][0] == 'S' ? 2 : 4;
	int tag = 0;
	if (nums == 2 && parse_int(tok[3], 0, 255, &tag) < 0) {
		skynet_error(ctx, "gate: bad client_tag '%s' (want a message type, 0 to 255)", tok[3]);
		return -1;
	}
	g->client_tag = tag == 0 ? PTYPE_CLIENT : tag;
	if (parse_int(tok[2 + nums], 1, 65536, &g->max_connection) < 0) {
		skynet_error(ctx, "gate: maxclient must be 1..65536 (got '%s')", tok[2 + nums]);
		return -1;
	}
	for (int i = 3 + nums + extra; i < n; i++)
		if (parse_option(g, tok[i]) < 0)
			return -1;
	if (strcmp(tok[1], "!") != 0) {
		g->watchdog = parse_handle(g, tok[1]);
		if (g->watchdog == 0) {
			skynet_error(ctx, "gate: no watchdog named %s", tok[1]);
			return -1;
		}
	}
	if (strlen(tok[2]) >= sizeof(g->binding)) {
		skynet_error(ctx, "gate: listen address too long: %s", tok[2]);
		return -1;
	}
	strcpy(g->binding, tok[2]);
	return 0;
}

static int
power_of_two(int atleast) {
	int n = 16;
	while (n < atleast)
		n *= 2;
	return n;
}

int
gate_init(struct gate *g, struct skynet_context *ctx, const char *parm) {
	g->ctx = ctx;
	if (parse_parameter(g, parm ? parm : "") < 0)
		return 1;
	int buckets = power_of_two(g->max_connection);
	g->bucket_mask = buckets - 1;
	g->bucket = skynet_malloc(buckets * sizeof(int));
	for (int i = 0; i < buckets; i++)
		g->bucket[i] = -1;
	g->conn = skynet_malloc(g->max_connection * sizeof(struct connection));
	memset(g->conn, 0, g->max_connection * sizeof(struct connection));
	for (int i = 0; i < g->max_connection; i++)
		g->conn[i].next = i + 1 < g->max_connection ? i + 1 : -1;
	g->free_head = 0;
	if (g->max_per_address > 0) {
		gate_address_init(&g->addrs, g->max_connection / 2);
	}
	g->refused_at = skynet_now() - REPORT_INTERVAL; /* the first refusal is logged at once */
	skynet_callback(ctx, g, gate_cb);
	if (start_listen(g, g->binding) < 0) {
		skynet_error(ctx, "gate: cannot listen on %s", g->binding);
		return 1;
	}
	arm_tick(g);
	return 0;
}
