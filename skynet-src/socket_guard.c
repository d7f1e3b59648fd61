/* socket_guard.c: what keeps one peer, or the lack of fds, from taking the node
 * down. Socket thread only.
 *
 * - Write limit: a socket whose unsent bytes pass its limit (default from
 *   socket_server_limits, per socket by socket_server_write_limit) is logged
 *   once, reported to its owner as ERR "write buffer overflow" and closed.
 * - Input throttle: a peer sending faster than its owner consumes would pile
 *   data messages into the owner's queue. Every INPUT_CHECK bytes read, the
 *   owner's queue is looked at (the `queued` callback): when what this socket
 *   may still have there (the sizes of its last reports, as many as the queue
 *   holds messages) passes input_limit, reading is held and looked at again
 *   after THROTTLE_MIN_MS, doubling to THROTTLE_MAX_MS while the owner stays
 *   behind (quick to resume a fast consumer, cheap for many stuck ones); TCP
 *   then slows the peer down.
 * - Accept back-off: without a free fd, accept fails and the pending connection
 *   keeps the listener readable, so polling it would spin. The listener is held
 *   for a growing interval (BACKOFF_MIN_MS doubling to BACKOFF_MAX_MS, reset by
 *   a successful accept); pending connections wait in the kernel's backlog and
 *   are served once fds come back. Refusals are counted and logged at most once
 *   a second. No fd is kept in reserve, so there is none a worker could take.
 * - Fd headroom: accepting until the last fd is gone would starve the workers
 *   (a new service cannot even open its Lua files, so every new client fails).
 *   When an accepted fd lands within HEADROOM of RLIMIT_NOFILE the listener is
 *   marked tight and held like a failed accept; while tight, each attempt first
 *   probes the lowest free fd (dup) and accepts only when it is below the
 *   watermark again. Normal accepts pay one compare.
 *
 * A hold suspends reading without touching the owner's wish (s->reading);
 * ss_set_events applies both. Holds live in a small array with deadlines; the
 * poll loop waits no longer than the nearest one. */
#include "socket_internal.h"
#include "skynet_malloc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#define INPUT_CHECK (256 * 1024)
#define THROTTLE_MIN_MS 1
#define THROTTLE_MAX_MS 16
#define BACKOFF_MIN_MS 10
#define BACKOFF_MAX_MS 1000
#define REFUSE_LOG_MS 1000
#define RECENT_N 8
#define HEADROOM_MAX 32

uint64_t
sg_now_ms(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
guard_log(struct socket_server *ss, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
guard_log(struct socket_server *ss, const char *fmt, ...) {
	if (ss->log == NULL)
		return;
	char text[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	ss->log(ss->cb_ud, text);
}

/* ---- holds ---- */

static void
hold(struct socket_server *ss, struct socket *s, int kind, int ms) {
	if (!s->held) {
		if (ss->hold_n == ss->hold_cap) {
			int cap = ss->hold_cap ? ss->hold_cap * 2 : 16;
			struct ss_hold *h = skynet_realloc(ss->holds, cap * sizeof(*h));
			if (h == NULL)
				return; /* not held: the next read or accept tries again */
			ss->holds = h;
			ss->hold_cap = cap;
		}
		ss->holds[ss->hold_n].id = ATOM_LOAD(&s->id);
		ss->holds[ss->hold_n].due_ms = sg_now_ms() + ms;
		ss->hold_n++;
		s->held = true;
	}
	s->hold_kind = (uint8_t)kind;
	ss_set_events(ss, s, s->reading, s->writing);
}

static void
unhold(struct socket_server *ss, struct socket *s) {
	s->held = false;
	s->hold_kind = HOLD_NONE;
	ss_set_events(ss, s, s->reading, s->writing);
}

int
sg_timeout(struct socket_server *ss) {
	if (ss->hold_n == 0)
		return -1;
	uint64_t now = sg_now_ms(), first = UINT64_MAX;
	for (int i = 0; i < ss->hold_n; i++)
		if (ss->holds[i].due_ms < first)
			first = ss->holds[i].due_ms;
	return first <= now ? 0 : (int)(first - now);
}

/* ---- input throttle ---- */

/* Bytes this socket may still have waiting at its owner: its last reports, as
 * many as the owner's queue holds messages. */
static int64_t
queued_estimate(struct socket_server *ss, struct socket *s) {
	int m = ss->queued(ss->cb_ud, s->opaque);
	if (m <= 0)
		return 0;
	int64_t sum = 0;
	for (int i = 0; i < RECENT_N && i < m; i++)
		sum += s->recent[(s->recent_i + RECENT_N - 1 - i) % RECENT_N];
	return sum;
}

void
sg_input(struct socket_server *ss, struct socket *s, int n) {
	s->recent[s->recent_i] = (uint32_t)n;
	s->recent_i = (uint8_t)((s->recent_i + 1) % RECENT_N);
	s->unchecked += n;
	if (s->unchecked < INPUT_CHECK || ss->input_limit <= 0 || ss->queued == NULL)
		return;
	s->unchecked = 0;
	if (queued_estimate(ss, s) > ss->input_limit) {
		s->backoff_ms = THROTTLE_MIN_MS;
		hold(ss, s, HOLD_INPUT, s->backoff_ms);
	}
}

/* ---- accept back-off ---- */

static void
refuse_log(struct socket_server *ss, struct socket *s) {
	uint64_t now = sg_now_ms();
	if (ss->refused == 0 || (now - ss->refuse_log_ms < REFUSE_LOG_MS))
		return;
	guard_log(ss, "socket: accept on listener %d failed: %s (%" PRIu64
		" refusals since the last report); connections wait in the backlog, retrying in %d ms",
		ATOM_LOAD(&s->id), strerror(ss->refuse_err), ss->refused, s->backoff_ms);
	ss->refused = 0;
	ss->refuse_log_ms = now;
}

void
sg_accept_failed(struct socket_server *ss, struct socket *s, int err) {
	s->backoff_ms = s->backoff_ms ? s->backoff_ms * 2 : BACKOFF_MIN_MS;
	if (s->backoff_ms > BACKOFF_MAX_MS)
		s->backoff_ms = BACKOFF_MAX_MS;
	ss->refused++;
	ss->refuse_err = err;
	refuse_log(ss, s);
	hold(ss, s, HOLD_ACCEPT, s->backoff_ms);
}

/* The fd number from which accepting is tight: the soft limit less headroom. */
static int
fd_watermark(void) {
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1 << 30))
		return 1 << 30;
	int limit = (int)rl.rlim_cur;
	int headroom = limit / 8 < HEADROOM_MAX ? limit / 8 : HEADROOM_MAX;
	return limit - headroom;
}

bool
sg_accept_tight(struct socket_server *ss, struct socket *s) {
	if (!s->tight)
		return false;
	int probe = dup(s->fd);
	if (probe < 0) {
		sg_accept_failed(ss, s, errno);
		return true;
	}
	close(probe);
	ss->fd_watermark = fd_watermark();
	if (probe >= ss->fd_watermark) {
		sg_accept_failed(ss, s, EMFILE);
		return true;
	}
	s->tight = false;
	return false;
}

void
sg_accept_ok(struct socket_server *ss, struct socket *s, int fd) {
	s->backoff_ms = 0;
	if (fd < ss->fd_watermark)
		return;
	ss->fd_watermark = fd_watermark(); /* the limit may have changed */
	if (fd >= ss->fd_watermark) {
		s->tight = true;
		sg_accept_failed(ss, s, EMFILE);
	}
}

/* ---- releasing holds ---- */

void
sg_release_due(struct socket_server *ss) {
	if (ss->hold_n == 0)
		return;
	uint64_t now = sg_now_ms();
	int i = 0;
	while (i < ss->hold_n) {
		struct ss_hold *h = &ss->holds[i];
		if (h->due_ms > now) {
			i++;
			continue;
		}
		int id = h->id;
		*h = ss->holds[--ss->hold_n]; /* unordered: swap the last one in */
		struct socket *s = ss_live(ss, id);
		if (s == NULL || !s->held)
			continue;
		s->held = false;
		if (s->hold_kind == HOLD_INPUT && queued_estimate(ss, s) > ss->input_limit / 2) {
			/* owner still behind */
			if (s->backoff_ms < THROTTLE_MAX_MS)
				s->backoff_ms *= 2;
			hold(ss, s, HOLD_INPUT, s->backoff_ms);
			continue;
		}
		if (s->hold_kind == HOLD_INPUT)
			s->backoff_ms = 0;
		unhold(ss, s);
	}
}

/* ---- write limit ---- */

void
sg_overflow(struct socket_server *ss, struct socket *s) {
	int64_t limit = STAT_GET(s->write_limit);
	guard_log(ss, "socket %d: write buffer overflow: %" PRId64 " bytes unsent (limit %" PRId64
		"), closed", ATOM_LOAD(&s->id), s->wb_size, limit);
	ss_fail(ss, s, "write buffer overflow");
}

bool
sg_write_overflow(struct socket_server *ss, struct socket *s) {
	int64_t limit = STAT_GET(s->write_limit);
	if (limit <= 0 || s->wb_size <= limit)
		return false;
	sg_overflow(ss, s);
	return true;
}
