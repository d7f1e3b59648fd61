/* skynet_socket.c: skynet_socket.h on top of the socket server. Owns the one
 * socket server of the process; turns each report of it into a PTYPE_SOCKET
 * message for the owning service (the opaque is its handle).
 *
 * Who polls: the socket thread, and idle workers while they spin before
 * sleeping (skynet_socket_poll_idle), one at a time under POLL_LOCK. A worker
 * that reads a packet itself runs its owner next on the same core, where a
 * hand-over from the socket thread would cost a wake-up or a context switch
 * (most of a loopback round trip, on a VM). The socket thread keeps polling
 * (yielding its core in between) for a while after anyone read something
 * (SOCKET_SPIN_FACTOR), and only then blocks (socket_server_wait: until an
 * event is ready, or a worker's socket_server_wakeup): it still reads while
 * the workers are busy (a busy service keeps its input flowing), and a core
 * it polls on is not halted when a co-located peer (a database, another
 * node) is woken. */
#include "skynet.h"
#include "skynet_socket.h"
#include "skynet_server.h"
#include "skynet_mq.h"
#include "skynet_env.h"
#include "skynet_handle.h"
#include "socket_server.h"

#include <ctype.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WRITE_LIMIT_DEFAULT ((int64_t)64 << 20)
#define INPUT_LIMIT_DEFAULT ((int64_t)2 << 20)

#define WORKER_DRAIN_MAX 64 /* reports an idle worker forwards per turn */
/* The socket thread polls this many idle_spin after the last read by anyone:
 * longer than a worker, as it is the one thread that keeps a core awake
 * while a co-located peer (a database, another node) prepares its answer;
 * measured: redis round trips -10% with 1, +17% with 4 (vs no worker reads). */
#define SOCKET_SPIN_FACTOR 4

static struct socket_server *SOCKET_SERVER = NULL;
static uint64_t SPIN_NS;               /* config idle_spin */

static pthread_mutex_t POLL_LOCK = PTHREAD_MUTEX_INITIALIZER;
static atomic_int EXITING;             /* SOCKET_EXIT was polled */
/* When the socket thread's blocking wait ends by itself (ns; 0: it is not
 * waiting, UINT64_MAX: no timeout), set under POLL_LOCK. */
static _Atomic uint64_t WAIT_UNTIL;
static _Atomic uint64_t WORKER_READ;   /* when a worker last read something (ns) */

static uint64_t
now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
log_line(void *ud, const char *text) {
	(void)ud;
	skynet_error(NULL, "%s", text);
}

/* Messages waiting at a service (the input throttle's view of an owner). */
static int
owner_queued(void *ud, uintptr_t opaque) {
	(void)ud;
	struct skynet_context *ctx = handle_grab((uint32_t)opaque);
	if (ctx == NULL)
		return 0;
	int n = mq_length(skynet_context_queue(ctx));
	skynet_context_release(ctx);
	return n;
}

/* A byte count config key: digits with an optional K, M or G suffix; 0 means
 * unlimited. A bad value is logged and the default used. */
static int64_t
config_size(const char *key, int64_t def) {
	const char *v = env_get(key);
	if (v == NULL || v[0] == '\0')
		return def;
	char *end;
	long long n = strtoll(v, &end, 10);
	int shift = 0;
	switch (toupper((unsigned char)*end)) {
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	}
	if (end == v || *end != '\0' || n < 0 || n > (INT64_MAX >> shift)) {
		skynet_error(NULL, "socket: %s must be a byte count (digits, optional K, M or G), got '%s'; using %lld",
			key, v, (long long)def);
		return def;
	}
	return (int64_t)n << shift;
}

int
skynet_socket_init(uint64_t spin_ns) {
	SPIN_NS = spin_ns;
	SOCKET_SERVER = socket_server_create(skynet_now());
	if (SOCKET_SERVER == NULL)
		return -1;
	socket_server_callbacks(SOCKET_SERVER, log_line, owner_queued, NULL);
	socket_server_limits(SOCKET_SERVER, config_size("socket_write_limit", WRITE_LIMIT_DEFAULT),
		config_size("socket_input_limit", INPUT_LIMIT_DEFAULT));
	return 0;
}

void
skynet_socket_exit(void) {
	if (SOCKET_SERVER)
		socket_server_exit(SOCKET_SERVER);
}

void
skynet_socket_free(void) {
	socket_server_release(SOCKET_SERVER);
	SOCKET_SERVER = NULL;
}

void
skynet_socket_updatetime(void) {
	if (SOCKET_SERVER)
		socket_server_updatetime(SOCKET_SERVER, skynet_now());
}

/* text: copied after the struct (ACCEPT/OPEN/ERR), not counted with its NUL. */
static void
forward_message(int type, const struct socket_message *result, const char *text) {
	size_t tsz = text ? strlen(text) : 0;
	size_t sz = sizeof(struct skynet_socket_message) + tsz;
	struct skynet_socket_message *sm = skynet_malloc(sz + 1);
	sm->type = type;
	sm->id = result->id;
	sm->ud = result->ud;
	sm->buffer = text ? NULL : result->data;
	char *tail = (char *)(sm + 1);
	if (text)
		memcpy(tail, text, tsz);
	tail[tsz] = '\0';

	struct skynet_message message;
	message.source = 0;
	message.session = 0;
	message.data = sm;
	message.sz = sz | ((size_t)PTYPE_SOCKET << MESSAGE_TYPE_SHIFT);
	if (skynet_context_push((uint32_t)result->opaque, &message)) {
		/* The owner is gone: nobody will read or close this socket. We are
		 * the poller, so close directly instead of posting a request. */
		skynet_free(sm->buffer);
		skynet_free(sm);
		if (type == SKYNET_SOCKET_TYPE_ACCEPT)
			socket_server_abandon(SOCKET_SERVER, result->ud);
		if (type != SKYNET_SOCKET_TYPE_CLOSE && type != SKYNET_SOCKET_TYPE_ERROR)
			socket_server_abandon(SOCKET_SERVER, result->id);
	}
}

/* Forwards one report; 0 for SOCKET_EXIT, -1 for an unknown type. */
static int
forward(int type, struct socket_message *result) {
	switch (type) {
	case SOCKET_EXIT:
		atomic_store(&EXITING, 1);
		return 0;
	case SOCKET_DATA:
		forward_message(SKYNET_SOCKET_TYPE_DATA, result, NULL);
		break;
	case SOCKET_CLOSE:
		forward_message(SKYNET_SOCKET_TYPE_CLOSE, result, "");
		break;
	case SOCKET_OPEN:
		forward_message(SKYNET_SOCKET_TYPE_CONNECT, result, result->data ? result->data : "");
		break;
	case SOCKET_ERR:
		forward_message(SKYNET_SOCKET_TYPE_ERROR, result, result->data ? result->data : "");
		break;
	case SOCKET_ACCEPT:
		forward_message(SKYNET_SOCKET_TYPE_ACCEPT, result, result->data ? result->data : "");
		break;
	case SOCKET_UDP:
		forward_message(SKYNET_SOCKET_TYPE_UDP, result, NULL);
		break;
	case SOCKET_WARNING:
		forward_message(SKYNET_SOCKET_TYPE_WARNING, result, "");
		break;
	default:
		return -1;
	}
	return 1;
}

/* With POLL_LOCK held: forwards what is ready now, at most max reports (what
 * is left stays in the server for the next poller); returns how many, or -1
 * once SOCKET_EXIT came. */
static int
drain(struct socket_server *ss, int max) {
	struct socket_message result;
	int n = 0;
	while (n < max) {
		int type = socket_server_try_poll(ss, &result, NULL);
		if (type == SOCKET_NONE || type < 0)
			return n; /* -1: a transient epoll error, retried by the next poll */
		if (forward(type, &result) == 0)
			return -1;
		n++;
	}
	return n;
}

static bool
worker_read_lately(uint64_t now) {
	return now - atomic_load_explicit(&WORKER_READ, memory_order_relaxed) < SPIN_NS * SOCKET_SPIN_FACTOR;
}

/* The socket thread, after a read by anyone: the next packet tends to follow
 * within tens of microseconds, so it keeps polling, yielding the core, until
 * nobody has read anything for SOCKET_SPIN_FACTOR * SPIN_NS. -1 once
 * SOCKET_EXIT came. */
static int
spin(struct socket_server *ss) {
	uint64_t start = now_ns();
	while (SPIN_NS > 0 && now_ns() - start < SPIN_NS * SOCKET_SPIN_FACTOR) {
		sched_yield();
		if (pthread_mutex_trylock(&POLL_LOCK) != 0)
			continue;
		int r = drain(ss, INT_MAX);
		pthread_mutex_unlock(&POLL_LOCK);
		if (r < 0)
			return r;
		uint64_t now = now_ns();
		if (r > 0 || worker_read_lately(now))
			start = now;
	}
	return 0;
}

int
skynet_socket_poll(void) {
	struct socket_server *ss = SOCKET_SERVER;
	if (ss == NULL)
		return 0;
	pthread_mutex_lock(&POLL_LOCK);
	int r = drain(ss, INT_MAX);
	pthread_mutex_unlock(&POLL_LOCK);
	if (r > 0 || worker_read_lately(now_ns()))
		r = spin(ss);
	if (r < 0 || atomic_load(&EXITING))
		return 0;
	/* The timeout (a held socket's next look, a listener's back-off) as of
	 * now; a worker that adds sooner timed work wakes us (timed_work). */
	pthread_mutex_lock(&POLL_LOCK);
	int timeout = socket_server_timeout(ss);
	atomic_store(&WAIT_UNTIL, timeout < 0 ? UINT64_MAX : now_ns() + (uint64_t)timeout * 1000000u);
	pthread_mutex_unlock(&POLL_LOCK);
	/* Waits for readiness without taking the events: a worker may take them. */
	socket_server_wait(ss, timeout);
	atomic_store(&WAIT_UNTIL, 0);
	return 1;
}

/* A worker, with POLL_LOCK held after its drain: true when timed work it left
 * (a socket it held for its owner's full queue, say) is due before the
 * blocked socket thread would look, and no worker may be polling then. */
static bool
timed_work(struct socket_server *ss) {
	int timeout = socket_server_timeout(ss);
	if (timeout < 0)
		return false;
	uint64_t due = now_ns() + (uint64_t)timeout * 1000000u;
	uint64_t until = atomic_load(&WAIT_UNTIL);
	if (until == 0 || due >= until)
		return false;
	atomic_store(&WAIT_UNTIL, due);
	return true;
}

int
skynet_socket_poll_idle(void) {
	struct socket_server *ss = SOCKET_SERVER;
	if (ss == NULL || atomic_load_explicit(&EXITING, memory_order_relaxed))
		return 0;
	if (pthread_mutex_trylock(&POLL_LOCK) != 0)
		return 0;
	/* Bounded: under a flood, the worker goes back to running what it read. */
	int r = drain(ss, WORKER_DRAIN_MAX);
	if (r > 0)
		atomic_store_explicit(&WORKER_READ, now_ns(), memory_order_relaxed);
	bool wake = timed_work(ss); /* cheap unless a socket is held */
	pthread_mutex_unlock(&POLL_LOCK);
	/* The wake-up goes to an eventfd of the socket thread's own: a request
	 * in the command pipe could be taken by another worker's poll, leaving
	 * the socket thread asleep past the timed work. */
	if (wake)
		socket_server_wakeup(ss);
	if (r < 0) {
		/* The exit request was the socket thread's: EXITING tells it, and
		 * keeps every worker from polling from now on. */
		socket_server_wakeup(ss);
		r = 0;
	}
	return r > 0;
}

static uintptr_t
owner(struct skynet_context *ctx) {
	return ctx ? skynet_context_handle(ctx) : 0;
}

int
skynet_socket_sendbuffer(struct skynet_context *ctx, int id, void *buffer, int sz) {
	(void)ctx;
	return socket_server_send(SOCKET_SERVER, id, buffer, sz);
}

int
skynet_socket_send(struct skynet_context *ctx, int id, void *buffer, int sz) {
	(void)ctx;
	return socket_server_send(SOCKET_SERVER, id, buffer, sz);
}

int
skynet_socket_send_lowpriority(struct skynet_context *ctx, int id, void *buffer, int sz) {
	(void)ctx;
	return socket_server_send_lowpriority(SOCKET_SERVER, id, buffer, sz);
}

int
skynet_socket_listen(struct skynet_context *ctx, const char *host, int port, int backlog) {
	return socket_server_listen(SOCKET_SERVER, owner(ctx), host, port, backlog);
}

int
skynet_socket_connect(struct skynet_context *ctx, const char *host, int port) {
	return socket_server_connect(SOCKET_SERVER, owner(ctx), host, port);
}

int
skynet_socket_bind(struct skynet_context *ctx, int fd) {
	return socket_server_bind(SOCKET_SERVER, owner(ctx), fd);
}

void
skynet_socket_close(struct skynet_context *ctx, int id) {
	socket_server_close(SOCKET_SERVER, owner(ctx), id);
}

void
skynet_socket_shutdown(struct skynet_context *ctx, int id) {
	socket_server_shutdown(SOCKET_SERVER, owner(ctx), id);
}

void
skynet_socket_start(struct skynet_context *ctx, int id) {
	socket_server_start(SOCKET_SERVER, owner(ctx), id);
}

void
skynet_socket_pause(struct skynet_context *ctx, int id) {
	socket_server_pause(SOCKET_SERVER, owner(ctx), id);
}

void
skynet_socket_nodelay(struct skynet_context *ctx, int id) {
	(void)ctx;
	socket_server_nodelay(SOCKET_SERVER, id);
}

int
skynet_socket_udp(struct skynet_context *ctx, const char *addr, int port) {
	return socket_server_udp(SOCKET_SERVER, owner(ctx), addr, port);
}

int
skynet_socket_udp_connect(struct skynet_context *ctx, int id, const char *addr, int port) {
	(void)ctx;
	return socket_server_udp_connect(SOCKET_SERVER, id, addr, port);
}

/* The buffer is const in the public signature, so it is copied: callers keep
 * ownership of what they pass. */
int
skynet_socket_udp_send(struct skynet_context *ctx, int id, const char *address,
	const void *buffer, int sz) {
	(void)ctx;
	if (buffer == NULL || sz < 0)
		return -1;
	void *copy = skynet_malloc(sz > 0 ? sz : 1);
	memcpy(copy, buffer, sz);
	return socket_server_udp_send(SOCKET_SERVER, id, (const uint8_t *)address, copy, sz);
}

const char *
skynet_socket_udp_address(struct skynet_socket_message *msg, int *addrsz) {
	if (msg == NULL || msg->type != SKYNET_SOCKET_TYPE_UDP)
		return NULL;
	struct socket_message sm;
	sm.id = msg->id;
	sm.opaque = 0;
	sm.ud = msg->ud;
	sm.data = msg->buffer;
	return (const char *)socket_server_udp_address(&sm, addrsz);
}

int
skynet_socket_udp_listen(struct skynet_context *ctx, const char *addr, int port) {
	return socket_server_udp_listen(SOCKET_SERVER, owner(ctx), addr, port);
}

int
skynet_socket_udp_dial(struct skynet_context *ctx, const char *addr, int port) {
	return socket_server_udp_dial(SOCKET_SERVER, owner(ctx), addr, port);
}

struct socket_info *
skynet_socket_info(void) {
	return SOCKET_SERVER ? socket_server_info(SOCKET_SERVER) : NULL;
}

void
skynet_socket_keepalive(struct skynet_context *ctx, int id, int seconds) {
	(void)ctx;
	socket_server_keepalive(SOCKET_SERVER, id, seconds);
}

void
skynet_socket_write_limit(struct skynet_context *ctx, int id, int64_t bytes) {
	(void)ctx;
	socket_server_write_limit(SOCKET_SERVER, id, bytes);
}

int
skynet_socket_queued(uint32_t handle) {
	return owner_queued(NULL, handle);
}
