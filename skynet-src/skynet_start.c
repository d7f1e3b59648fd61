/* skynet_start.c: threads and the node's life cycle.
 *
 * Threads: `thread` workers, one timer thread (time, signals, shutdown), one
 * socket thread, one monitor thread. Idle workers poll for idle_spin (their
 * queues, stale run-next slots and the sockets, yielding the core between
 * rounds) and then sleep on a condition variable; a queue that becomes busy
 * wakes a sleeper only when no worker is polling, so the message hot path
 * rarely pays a futex wake. A worker that reads a packet runs its owner next
 * (skynet_socket.c: the socket thread polls as well).
 *
 * Run-next slot: a service woken by a worker (the callee of a call, the caller
 * of a response) goes into that worker's private slot and runs there as soon
 * as the current message is done, so a call and its answer stay on one core
 * instead of bouncing between two. Idle workers steal a slot left untaken for
 * RUNNEXT_GRACE_NS, and the timer thread moves one untaken for 1 ms (its
 * worker is in a long message and the others sleep) to the global queue.
 *
 * Shutdown (SIGINT/SIGTERM, ABORT, or no service left): the timer thread retires
 * every service but the logger, waits for them to be released, then stops the
 * other threads. A service a worker has been running one message for a while
 * (a timer tick, 2.5 ms) stays in the handle table until that message returns,
 * so the monitor can still break it out of a loop (after 1 s on it). The wait
 * is bounded (config shutdown_timeout); a worker still stuck when the others
 * have been joined is abandoned: its name is logged, the log flushed, and the
 * process exits with status 1 without freeing what the worker may still
 * touch. Otherwise, after the joins the logger's backlog is written out on the
 * main thread and everything is freed. */
#define _GNU_SOURCE /* pthread_timedjoin_np */
#include "skynet.h"
#include "skynet_config.h"
#include "skynet_crash.h"
#include "skynet_daemon.h"
#include "skynet_env.h"
#include "skynet_handle.h"
#include "skynet_harbor.h"
#include "skynet_module.h"
#include "skynet_monitor.h"
#include "skynet_mq.h"
#include "skynet_server.h"
#include "skynet_shutdown.h"
#include "skynet_socket.h"
#include "skynet_start.h"
#include "skynet_timer.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define IDLE_SPIN_US 50         /* default idle_spin: how long an idle thread polls before sleeping */
#define RUNNEXT_GRACE_NS 20000  /* a spinning worker steals a run-next slot this old */
#define RUNNEXT_STALE_NS 1000000 /* the timer thread requeues one this old */
#define SHUTDOWN_TIMEOUT_S 10   /* default shutdown_timeout */
#define SHUTDOWN_BREAK_MS 1000  /* shutting down: break a message this long */
#define JOIN_GRACE_S 2          /* after the deadline: a worker still busy is abandoned */
#define MONITOR_TICK_US 100000

struct worker_slot {
	struct message_queue *_Atomic next;
	_Atomic uint64_t since;
	char pad[48]; /* one cache line per slot */
};

struct node {
	int count;
	struct skynet_monitor **m;
	struct worker_slot *slot;
	pthread_mutex_t mutex;
	pthread_cond_t cond;
	atomic_int sleeping;
	atomic_int spinning;
	atomic_int quit;
	atomic_int stopping;      /* shutdown has begun */
	uint32_t logger;
	uint64_t endless_break_ms; /* config endless_break; 0: never */
	uint64_t shutdown_cs;      /* config shutdown_timeout */
	uint64_t spin_ns;          /* config idle_spin */
};

struct worker_parm {
	struct node *n;
	int id;
	int weight;
};

static struct node *N;
static __thread struct worker_slot *current_slot;
static volatile sig_atomic_t SIG_TERM = 0;
static volatile sig_atomic_t SIG_HUP = 0;

/* Counts: a second SIGTERM/SIGINT ends the shutdown hook phase at once. */
static void
on_term(int sig) {
	(void)sig;
	SIG_TERM = SIG_TERM + 1;
}

static void
on_hup(int sig) {
	(void)sig;
	SIG_HUP = 1;
}

static void
install_signals(void) {
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_term;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* Called by any thread that made a service queue busy. */
static void
wakeup(void) {
	struct node *n = N;
	if (atomic_load(&n->sleeping) > 0 && atomic_load(&n->spinning) == 0) {
		pthread_mutex_lock(&n->mutex);
		pthread_cond_signal(&n->cond);
		pthread_mutex_unlock(&n->mutex);
	}
}

/* A queue just became runnable. On a worker, keep it for this worker (a queue
 * already waiting there goes to the global queue); elsewhere (socket, timer,
 * main thread) link it into the global queue. */
static void
schedule(struct message_queue *q) {
	struct worker_slot *slot = current_slot;
	if (slot) {
		atomic_store_explicit(&slot->since, timer_hpc(), memory_order_relaxed);
		q = atomic_exchange(&slot->next, q);
		if (q == NULL)
			return;
	}
	mq_global_push(q);
	wakeup();
}

/* Moves a slot's queue to the global queue; 1 if there was one. */
static int
requeue_slot(struct worker_slot *slot) {
	struct message_queue *q = atomic_exchange(&slot->next, NULL);
	if (q == NULL)
		return 0;
	mq_global_push(q);
	return 1;
}

/* Another worker's slot left untaken for older_than ns: move it to the global
 * queue. Returns 1 if one was moved. */
static int
steal_stale(struct node *n, struct worker_slot *self, uint64_t older_than) {
	uint64_t now = timer_hpc();
	for (int i = 0; i < n->count; i++) {
		struct worker_slot *slot = &n->slot[i];
		if (slot == self || atomic_load_explicit(&slot->next, memory_order_relaxed) == NULL)
			continue;
		if (now - atomic_load_explicit(&slot->since, memory_order_relaxed) >= older_than &&
			requeue_slot(slot))
			return 1;
	}
	return 0;
}

static void
timer_expired(uint32_t handle, int session) {
	struct skynet_message msg;
	msg.source = 0;
	msg.session = session;
	msg.data = NULL;
	msg.sz = (size_t)PTYPE_RESPONSE << MESSAGE_TYPE_SHIFT;
	skynet_context_push(handle, &msg);
}

static bool
spin_for_work(struct node *n) {
	atomic_fetch_add(&n->spinning, 1);
	bool found = false;
	uint64_t until = timer_hpc() + n->spin_ns;
	do {
		for (int i = 0; i < 32; i++) {
			if (mq_global_length() > 0 || atomic_load_explicit(&n->quit, memory_order_relaxed)) {
				found = true;
				break;
			}
			__builtin_ia32_pause();
		}
		if (!found && steal_stale(n, current_slot, RUNNEXT_GRACE_NS))
			found = true;
		/* Read the sockets here: a packet this worker takes is handled
		 * on this core next, with no hand-over from the socket thread. */
		if (!found && skynet_socket_poll_idle())
			found = true;
		/* Let a thread waiting for this core run. */
		if (!found)
			sched_yield();
	} while (!found && timer_hpc() < until);
	atomic_fetch_sub(&n->spinning, 1);
	return found;
}

static void
sleep_for_work(struct node *n) {
	pthread_mutex_lock(&n->mutex);
	atomic_fetch_add(&n->sleeping, 1);
	/* Re-check after announcing the sleep: a pusher that saw no sleeper has
	 * already made its queue visible here (both sides are seq_cst). */
	if (!atomic_load(&n->quit) && mq_global_length() == 0)
		pthread_cond_wait(&n->cond, &n->mutex);
	atomic_fetch_sub(&n->sleeping, 1);
	pthread_mutex_unlock(&n->mutex);
}

static void *
thread_worker(void *p) {
	struct worker_parm *wp = p;
	struct node *n = wp->n;
	struct skynet_monitor *sm = n->m[wp->id];
	struct worker_slot *slot = &n->slot[wp->id];
	struct message_queue *q = NULL;
	skynet_malloc_thread_init();
	skynet_crash_thread_enter("worker", wp->id);
	current_slot = slot;
	while (!atomic_load_explicit(&n->quit, memory_order_relaxed)) {
		q = skynet_context_message_dispatch(sm, q, wp->weight, &slot->next);
		struct message_queue *next = atomic_exchange(&slot->next, NULL);
		if (next) {
			if (q) {
				mq_global_push(q);
				wakeup();
			}
			q = next;
		}
		if (q)
			continue;
		if (!spin_for_work(n))
			sleep_for_work(n);
	}
	current_slot = NULL;
	/* Queues held here are in no list: give them back so they are released. */
	if (q)
		mq_global_push(q);
	requeue_slot(slot);
	skynet_crash_thread_leave();
	return NULL;
}

static void *
thread_socket(void *p) {
	(void)p;
	skynet_malloc_thread_init();
	skynet_crash_thread_enter("socket", -1);
	while (skynet_socket_poll())
		;
	skynet_crash_thread_leave();
	return NULL;
}

static void *
thread_monitor(void *p) {
	struct node *n = p;
	skynet_malloc_thread_init();
	skynet_crash_thread_enter("monitor", -1);
	while (!atomic_load(&n->quit)) {
		uint64_t now_ms = timer_hpc() / 1000000;
		uint64_t break_ms = n->endless_break_ms;
		if (atomic_load(&n->stopping) && (break_ms == 0 || break_ms > SHUTDOWN_BREAK_MS))
			break_ms = SHUTDOWN_BREAK_MS;
		for (int i = 0; i < n->count; i++)
			skynet_monitor_check(n->m[i], now_ms, break_ms);
		usleep(MONITOR_TICK_US);
	}
	skynet_crash_thread_leave();
	return NULL;
}

/* The services workers have been running since the previous call (same
 * message: the worker's version has not moved; first call: every running
 * one); returns how many. A service busy with many short messages is not in
 * the list. */
static int
busy_services(struct node *n, uint32_t *list, int *last_version, bool first) {
	int k = 0;
	for (int i = 0; i < n->count; i++) {
		int version = skynet_monitor_version(n->m[i]);
		uint32_t h = skynet_monitor_destination(n->m[i], NULL);
		if (h && (first || version == last_version[i]))
			list[k++] = h;
		last_version[i] = version;
	}
	return k;
}

static void
reopen_logger(struct node *n) {
	if (n->logger)
		skynet_send(NULL, 0, n->logger, PTYPE_SYSTEM, 0, NULL, 0);
}

/* The graceful shutdown hooks (skynet_shutdown.h), run at the first SIGTERM or
 * SIGINT before any service is retired. */
enum hook_state { HOOKS_NOT_YET, HOOKS_RUNNING, HOOKS_OVER };

struct hook_phase {
	enum hook_state state;
	uint64_t started;  /* timer_now() when the hooks were sent */
	int signals;       /* SIG_TERM then */
};

static void
hooks_begin(struct node *n, struct hook_phase *hp) {
	int sent = shutdown_hook_begin();
	if (sent == 0) {
		hp->state = HOOKS_OVER;
		return;
	}
	hp->state = HOOKS_RUNNING;
	hp->started = timer_now();
	hp->signals = SIG_TERM;
	skynet_error(NULL, "shutdown: signal received, running the shutdown hooks of %d service(s) (deadline %.1f s)",
		sent, (double)n->shutdown_cs / 100);
}

/* Called each tick while the hooks run: ends the phase when all finished, at
 * the deadline, or at a second signal. */
static void
hooks_check(struct node *n, struct hook_phase *hp) {
	double took = (double)(timer_now() - hp->started) / 100;
	if (shutdown_hook_pending() == 0) {
		skynet_error(NULL, "shutdown: shutdown hooks finished in %.2f s", took);
		hp->state = HOOKS_OVER;
		return;
	}
	bool again = SIG_TERM != hp->signals;
	if (!again && timer_now() <= hp->started + n->shutdown_cs)
		return;
	char list[512];
	int left = shutdown_hook_describe(list, sizeof(list));
	skynet_error(NULL, "shutdown: the shutdown hooks of %d service(s) did not finish (%s, after %.2f s):%s", left,
		again ? "second signal" : "deadline", took, list);
	hp->state = HOOKS_OVER;
}

static void *
thread_timer(void *p) {
	struct node *n = p;
	uint64_t shutdown_at = 0;
	struct hook_phase hooks = { HOOKS_NOT_YET, 0, 0 };
	skynet_malloc_thread_init();
	skynet_crash_thread_enter("timer", -1);
	uint32_t *busy = skynet_malloc(sizeof(uint32_t) * (size_t)n->count);
	int *last_version = skynet_calloc((size_t)n->count, sizeof(int));
	for (;;) {
		timer_update();
		skynet_socket_updatetime();
		if (SIG_HUP) {
			SIG_HUP = 0;
			reopen_logger(n);
		}
		if (SIG_TERM && hooks.state == HOOKS_NOT_YET && shutdown_at == 0)
			hooks_begin(n, &hooks);
		if (hooks.state == HOOKS_RUNNING && shutdown_at == 0)
			hooks_check(n, &hooks);
		if (((SIG_TERM && hooks.state == HOOKS_OVER) || skynet_server_aborting()) && shutdown_at == 0) {
			skynet_error(NULL, "shutdown: %s, releasing %d services",
				SIG_TERM ? "signal received" : "abort requested", skynet_context_total() - 1);
			shutdown_at = timer_now() + 1;
			atomic_store(&n->stopping, 1);
		}
		if (shutdown_at) {
			/* Repeat: a service may launch another while it is being retired. */
			int nbusy = busy_services(n, busy, last_version, timer_now() <= shutdown_at);
			skynet_server_retire_all(n->logger, busy, nbusy);
			if (skynet_context_total() <= 1)
				break;
			if (timer_now() > shutdown_at + n->shutdown_cs) {
				skynet_error(NULL, "shutdown: %d services did not finish in time", skynet_context_total() - 1);
				break;
			}
		}
		/* The logger alone is not a node: the last service has gone. */
		if (skynet_context_total() <= 1) {
			skynet_error(NULL, "shutdown: no service left");
			break;
		}
		/* A slot untaken for long: its worker is in a long message. */
		while (steal_stale(n, NULL, RUNNEXT_STALE_NS))
			wakeup();
		/* Safety net against a lost wakeup: work waiting while everyone sleeps. */
		if (mq_global_length() > 0 && atomic_load(&n->sleeping) == n->count)
			wakeup();
		usleep(2500);
	}
	skynet_free(last_version);
	skynet_free(busy);
	atomic_store(&n->quit, 1);
	skynet_socket_exit();
	pthread_mutex_lock(&n->mutex);
	pthread_cond_broadcast(&n->cond);
	pthread_mutex_unlock(&n->mutex);
	skynet_crash_thread_leave();
	return NULL;
}

static int
worker_weight(int i) {
	static const int weights[] = { -1, -1, -1, -1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
		2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3 };
	return i < (int)(sizeof(weights) / sizeof(weights[0])) ? weights[i] : 0;
}

/* Stops whatever was started when a thread could not be created. */
static void
stop_threads(struct node *n) {
	atomic_store(&n->quit, 1);
	skynet_socket_exit();
	pthread_mutex_lock(&n->mutex);
	pthread_cond_broadcast(&n->cond);
	pthread_mutex_unlock(&n->mutex);
}

/* Joins the worker, giving up at deadline; 0 when joined. */
static int
join_by(pthread_t pid, const struct timespec *deadline) {
	return pthread_timedjoin_np(pid, NULL, deadline) == 0 ? 0 : -1;
}

/* Names the services of the workers that did not stop; returns how many. */
static int
report_abandoned(struct node *n, const bool *joined) {
	int stuck = 0;
	char line[256];
	int len = 0;
	for (int i = 0; i < n->count; i++) {
		if (joined[i])
			continue;
		uint32_t source;
		uint32_t h = skynet_monitor_destination(n->m[i], &source);
		stuck++;
		if (len < (int)sizeof(line) - 40)
			len += snprintf(line + len, sizeof(line) - (size_t)len, " worker %d in [ :%08x ] (a message from [ :%08x ]);",
				i, h, source);
	}
	if (stuck)
		skynet_error(NULL, "shutdown: abandoned %d stuck worker(s):%s", stuck, line);
	return stuck;
}

/* Runs the node until it stops. Returns 0, -1 if a thread could not be
 * created, or the number of workers abandoned stuck at the deadline. */
static int
run_threads(struct node *n) {
	int total = n->count + 3;
	pthread_t *pid = skynet_malloc(sizeof(pthread_t) * (size_t)total);
	struct worker_parm *wp = skynet_malloc(sizeof(*wp) * (size_t)n->count);
	bool *joined = skynet_calloc((size_t)total, sizeof(bool));
	void *(*const fixed[3])(void *) = { thread_monitor, thread_timer, thread_socket };
	int created = 0, err = 0;
	for (; created < total && err == 0; created++) {
		int i = created - 3;
		if (i < 0) {
			err = pthread_create(&pid[created], NULL, fixed[created], n);
		} else {
			wp[i].n = n;
			wp[i].id = i;
			wp[i].weight = worker_weight(i);
			err = pthread_create(&pid[created], NULL, thread_worker, &wp[i]);
		}
	}
	int result = 0;
	if (err) {
		created--;
		skynet_error(NULL, "error: can't create thread %d of %d: %s", created + 1, total, strerror(err));
		if (created <= 1) /* no timer thread to stop the rest */
			stop_threads(n);
		else
			skynet_server_abort(1);
		result = -1;
	}
	/* The monitor, timer and socket threads always return once quit is set. */
	for (int i = 0; i < created && i < 3; i++)
		pthread_join(pid[i], NULL);
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += JOIN_GRACE_S;
	for (int i = 3; i < created; i++)
		joined[i - 3] = join_by(pid[i], &deadline) == 0;
	for (int i = created - 3; i < n->count; i++)
		if (i >= 0)
			joined[i] = true; /* never started */
	if (result == 0)
		result = report_abandoned(n, joined);
	skynet_free(joined);
	if (result <= 0) {
		skynet_free(wp);
		skynet_free(pid);
	}
	return result;
}

/* Workers are stuck: write what the logger has queued, and leave without
 * freeing anything they may still use. */
static void
exit_abandoned(struct node *n, struct skynet_config *config) {
	skynet_server_flush(n->logger, 100000);
	fprintf(stderr, "skynet: shutdown abandoned stuck workers (see the log)\n");
	fflush(NULL);
	if (config->daemon)
		daemon_exit(config->daemon);
	_exit(1);
}

/* idle_spin: microseconds (0..100000) an idle worker keeps polling, yielding
 * its core in between, before it sleeps (and the socket thread after a read). */
static int
config_spin(uint64_t *out_ns) {
	const char *v = env_get("idle_spin");
	*out_ns = (uint64_t)IDLE_SPIN_US * 1000;
	if (v == NULL)
		return 0;
	char *end;
	errno = 0;
	long us = strtol(v, &end, 10);
	if (end == v || *end != '\0' || errno || us < 0 || us > 100000) {
		fprintf(stderr, "skynet: config key idle_spin must be microseconds (0..100000), not \"%s\"\n", v);
		return -1;
	}
	*out_ns = (uint64_t)us * 1000;
	return 0;
}

/* A duration config key in seconds ("0", unset, "false": def). */
static int
config_seconds(const char *key, double def, double *out) {
	const char *v = env_get(key);
	*out = def;
	if (v == NULL || strcmp(v, "false") == 0 || strcmp(v, "nil") == 0)
		return 0;
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (end == v || *end != '\0' || errno || d < 0 || d > 86400) {
		fprintf(stderr, "skynet: config key %s must be a number of seconds (0..86400), not \"%s\"\n", key, v);
		return -1;
	}
	*out = d;
	return 0;
}

static struct node *
node_new(int workers) {
	struct node *n = skynet_calloc(1, sizeof(*n));
	n->count = workers;
	n->m = skynet_malloc(sizeof(*n->m) * (size_t)workers);
	n->slot = skynet_calloc((size_t)workers, sizeof(*n->slot));
	for (int i = 0; i < workers; i++)
		n->m[i] = skynet_monitor_new();
	pthread_mutex_init(&n->mutex, NULL);
	pthread_cond_init(&n->cond, NULL);
	return n;
}

static void
node_free(struct node *n) {
	for (int i = 0; i < n->count; i++)
		skynet_monitor_delete(n->m[i]);
	skynet_free(n->m);
	skynet_free(n->slot);
	pthread_mutex_destroy(&n->mutex);
	pthread_cond_destroy(&n->cond);
	skynet_free(n);
}

/* "snlua bootstrap" -> launch module snlua with argument "bootstrap". */
static int
launch_bootstrap(const char *cmdline) {
	char name[64];
	const char *args = cmdline + strcspn(cmdline, " \t");
	size_t len = (size_t)(args - cmdline);
	if (len == 0 || len >= sizeof(name))
		return -1;
	memcpy(name, cmdline, len);
	name[len] = 0;
	args += strspn(args, " \t");
	return skynet_context_new(name, args) ? 0 : -1;
}

static void
shutdown_subsystems(struct node *n) {
	skynet_server_drain(n->logger);
	shutdown_hook_exit();
	skynet_harbor_exit();
	skynet_socket_free();
	timer_exit();
	skynet_module_exit();
	skynet_server_exit();
	mq_global_exit();
}

int
skynet_start(struct skynet_config *config) {
	skynet_malloc_thread_init();
	double endless_break, shutdown_timeout;
	uint64_t spin_ns;
	if (config_seconds("endless_break", 0, &endless_break) ||
		config_seconds("shutdown_timeout", SHUTDOWN_TIMEOUT_S, &shutdown_timeout) ||
		config_spin(&spin_ns))
		return 1;
	install_signals();
	if (config->daemon && daemon_init(config->daemon))
		return 1;
	skynet_crash_install();
	skynet_crash_thread_enter("main", -1);
	N = node_new(config->thread);
	skynet_crash_workers(N->m, N->count);
	N->endless_break_ms = (uint64_t)(endless_break * 1000);
	N->shutdown_cs = (uint64_t)(shutdown_timeout * 100);
	N->spin_ns = spin_ns;
	skynet_harbor_init(config->harbor);
	skynet_server_init(config->harbor, config->profile, schedule);
	mq_global_init();
	skynet_module_init(config->module_path);
	timer_init(timer_expired);

	int status = 0;
	uint32_t logger = 0;
	if (skynet_socket_init(spin_ns)) {
		/* Every socket call would find no socket server: refuse to boot. */
		fprintf(stderr, "skynet: can't create the socket server (epoll or its command pipe: out of file descriptors?)\n");
		status = 1;
	} else {
		logger = skynet_context_new(config->logservice, config->logger);
		if (logger == 0)
			status = 1; /* skynet_error has said why, on stderr */
	}
	if (status) {
		status = 1; /* skynet_error has said why, on stderr */
	} else {
		N->logger = logger;
		handle_bindname(N->logger, "logger");
		if (launch_bootstrap(config->bootstrap)) {
			skynet_error(NULL, "bootstrap error: can't launch \"%s\"", config->bootstrap);
			fprintf(stderr, "skynet: bootstrap \"%s\" failed (see the log above)\n", config->bootstrap);
			status = 1;
		} else {
			int r = run_threads(N);
			if (r > 0)
				exit_abandoned(N, config);
			if (r < 0 || skynet_server_aborting() == 2) {
				fprintf(stderr, "skynet: the node stopped on an error (see the log)\n");
				status = 1;
			}
		}
	}
	shutdown_subsystems(N);
	skynet_crash_workers(NULL, 0);
	node_free(N);
	N = NULL;
	if (config->daemon)
		daemon_exit(config->daemon);
	skynet_crash_thread_leave();
	return status;
}
