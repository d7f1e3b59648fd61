/* skynet_start.c: threads and the node's life cycle.
 *
 * Threads: `thread` workers, one timer thread (time, signals, shutdown), one
 * socket thread, one monitor thread. Idle workers spin briefly and then sleep on
 * a condition variable; a queue that becomes busy wakes a sleeper only when no
 * worker is spinning, so the message hot path rarely pays a futex wake.
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
 * other threads. After the joins the logger's backlog is written out on the main
 * thread and everything is freed. */
#include "skynet.h"
#include "skynet_config.h"
#include "skynet_daemon.h"
#include "skynet_env.h"
#include "skynet_handle.h"
#include "skynet_harbor.h"
#include "skynet_module.h"
#include "skynet_monitor.h"
#include "skynet_mq.h"
#include "skynet_server.h"
#include "skynet_socket.h"
#include "skynet_start.h"
#include "skynet_timer.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SPIN_NS 50000           /* how long an idle worker spins before sleeping */
#define RUNNEXT_GRACE_NS 20000  /* a spinning worker steals a run-next slot this old */
#define RUNNEXT_STALE_NS 1000000 /* the timer thread requeues one this old */
#define SHUTDOWN_GRACE_CS 1000  /* services still busy after 10 s are abandoned */
#define MONITOR_PERIOD_S 5

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
	uint32_t logger;
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

static void
on_term(int sig) {
	(void)sig;
	SIG_TERM = 1;
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
	uint64_t until = timer_hpc() + SPIN_NS;
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
	return NULL;
}

static void *
thread_socket(void *p) {
	(void)p;
	while (skynet_socket_poll())
		;
	return NULL;
}

static void *
thread_monitor(void *p) {
	struct node *n = p;
	while (!atomic_load(&n->quit)) {
		for (int i = 0; i < n->count; i++)
			skynet_monitor_check(n->m[i]);
		for (int i = 0; i < MONITOR_PERIOD_S * 10 && !atomic_load(&n->quit); i++)
			usleep(100000);
	}
	return NULL;
}

static void
reopen_logger(struct node *n) {
	if (n->logger)
		skynet_send(NULL, 0, n->logger, PTYPE_SYSTEM, 0, NULL, 0);
}

static void *
thread_timer(void *p) {
	struct node *n = p;
	uint64_t shutdown_at = 0;
	for (;;) {
		timer_update();
		skynet_socket_updatetime();
		if (SIG_HUP) {
			SIG_HUP = 0;
			reopen_logger(n);
		}
		if ((SIG_TERM || skynet_server_aborting()) && shutdown_at == 0) {
			skynet_error(NULL, "shutdown: %s, releasing %d services",
				SIG_TERM ? "signal received" : "abort requested", skynet_context_total() - 1);
			shutdown_at = timer_now() + 1;
		}
		if (shutdown_at) {
			/* Repeat: a service may launch another while it is being retired. */
			skynet_server_retire_all(n->logger);
			if (skynet_context_total() <= 1)
				break;
			if (timer_now() > shutdown_at + SHUTDOWN_GRACE_CS) {
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
	atomic_store(&n->quit, 1);
	skynet_socket_exit();
	pthread_mutex_lock(&n->mutex);
	pthread_cond_broadcast(&n->cond);
	pthread_mutex_unlock(&n->mutex);
	return NULL;
}

static int
worker_weight(int i) {
	static const int weights[] = { -1, -1, -1, -1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
		2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3 };
	return i < (int)(sizeof(weights) / sizeof(weights[0])) ? weights[i] : 0;
}

static void
run_threads(struct node *n) {
	int total = n->count + 3;
	pthread_t *pid = skynet_malloc(sizeof(pthread_t) * (size_t)total);
	struct worker_parm *wp = skynet_malloc(sizeof(*wp) * (size_t)n->count);
	pthread_create(&pid[0], NULL, thread_monitor, n);
	pthread_create(&pid[1], NULL, thread_timer, n);
	pthread_create(&pid[2], NULL, thread_socket, n);
	for (int i = 0; i < n->count; i++) {
		wp[i].n = n;
		wp[i].id = i;
		wp[i].weight = worker_weight(i);
		pthread_create(&pid[i + 3], NULL, thread_worker, &wp[i]);
	}
	for (int i = 0; i < total; i++)
		pthread_join(pid[i], NULL);
	skynet_free(wp);
	skynet_free(pid);
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
	skynet_harbor_exit();
	skynet_socket_free();
	timer_exit();
	skynet_module_exit();
	skynet_server_exit();
	mq_global_exit();
}

int
skynet_start(struct skynet_config *config) {
	install_signals();
	if (config->daemon && daemon_init(config->daemon))
		return 1;
	N = node_new(config->thread);
	skynet_harbor_init(config->harbor);
	skynet_server_init(config->harbor, config->profile, schedule);
	mq_global_init();
	skynet_module_init(config->module_path);
	timer_init(timer_expired);
	skynet_socket_init();

	int status = 0;
	uint32_t logger = skynet_context_new(config->logservice, config->logger);
	if (logger == 0) {
		status = 1; /* skynet_error has said why, on stderr */
	} else {
		N->logger = logger;
		handle_bindname(N->logger, "logger");
		if (launch_bootstrap(config->bootstrap)) {
			skynet_error(NULL, "bootstrap error: can't launch \"%s\"", config->bootstrap);
			fprintf(stderr, "skynet: bootstrap \"%s\" failed (see the log above)\n", config->bootstrap);
			status = 1;
		} else {
			run_threads(N);
			if (skynet_server_aborting() == 2) {
				fprintf(stderr, "skynet: the node stopped on an error (see the log)\n");
				status = 1;
			}
		}
	}
	shutdown_subsystems(N);
	node_free(N);
	N = NULL;
	if (config->daemon)
		daemon_exit(config->daemon);
	return status;
}
