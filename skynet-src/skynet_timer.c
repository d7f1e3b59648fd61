/* skynet_timer.c: owns the timeout wheel and the node's clocks.
 *
 * The wheel is indexed by a 32-bit tick counter. A node whose expiry shares all
 * but the low 8 bits with the current tick sits in near[expire & 255]; otherwise
 * it sits in the first level i (0..3) whose wider mask (8 + 6(i+1) bits) covers
 * the distance, at slot (expire >> (8 + 6i)) & 63, with level 3 taking the rest.
 * When the low bits of the counter roll over, the matching slot one level up is
 * emptied and its nodes are placed again relative to the new tick (the cascade).
 * A node is thus touched at most five times however far away it expires.
 *
 * Nodes are counted per level so timer_advance can jump over stretches in which
 * no slot it would visit holds anything: that keeps a catch-up after a long
 * stall, and tests of timeouts days away, cheap.
 *
 * Expired nodes are unlinked under the lock and their callbacks run after it is
 * released, so a callback may add timeouts. */
#include "skynet_timer.h"
#include "skynet.h"
#include "skynet_malloc.h"
#include "skynet_metrics.h"
#include "spinlock.h"

#include <stdatomic.h>
#include <time.h>

#define NEAR_SHIFT 8
#define NEAR (1u << NEAR_SHIFT)
#define NEAR_MASK (NEAR - 1)
#define LEVEL_SHIFT 6
#define LEVEL (1u << LEVEL_SHIFT)
#define LEVEL_MASK (LEVEL - 1)
#define LEVELS 4
#define NS_PER_TICK 10000000ull

struct timer_node {
	struct timer_node *next;
	uint32_t expire;
	uint32_t handle;
	int session;
};

struct timer_list {
	struct timer_node *head;
	struct timer_node *tail;
};

struct timer {
	struct spinlock lock;
	uint32_t time;                    /* wheel tick counter */
	struct timer_list near[NEAR];
	struct timer_list level[LEVELS][LEVEL];
	int near_count;
	int level_count[LEVELS];
	atomic_int pending;
	timer_expire_fn expire;
	uint32_t starttime;               /* wall clock seconds at init */
	uint64_t last_ns;                 /* monotonic point of the last whole tick */
	atomic_uint_fast64_t current;     /* centiseconds run by timer_update */
};

static struct timer *T;

static uint64_t
mono_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
list_append(struct timer_list *l, struct timer_node *n) {
	n->next = NULL;
	if (l->tail)
		l->tail->next = n;
	else
		l->head = n;
	l->tail = n;
}

static struct timer_node *
list_take(struct timer_list *l) {
	struct timer_node *n = l->head;
	l->head = l->tail = NULL;
	return n;
}

/* Places n relative to the current tick. Caller holds the lock. */
static void
wheel_place(struct timer_node *n) {
	uint32_t expire = n->expire;
	uint32_t now = T->time;
	if ((expire | NEAR_MASK) == (now | NEAR_MASK)) {
		list_append(&T->near[expire & NEAR_MASK], n);
		T->near_count++;
		return;
	}
	int i;
	uint32_t mask = NEAR << LEVEL_SHIFT;
	for (i = 0; i < LEVELS - 1; i++) {
		if ((expire | (mask - 1)) == (now | (mask - 1)))
			break;
		mask <<= LEVEL_SHIFT;
	}
	list_append(&T->level[i][(expire >> (NEAR_SHIFT + i * LEVEL_SHIFT)) & LEVEL_MASK], n);
	T->level_count[i]++;
}

/* Re-places every node of one level slot. Caller holds the lock. */
static void
wheel_cascade(int level, int idx) {
	struct timer_node *n = list_take(&T->level[level][idx]);
	while (n) {
		struct timer_node *next = n->next;
		T->level_count[level]--;
		wheel_place(n);
		n = next;
	}
}

/* Advances the counter by one and cascades whatever the rollover uncovers.
 * Caller holds the lock. */
static void
wheel_shift(void) {
	uint32_t ct = ++T->time;
	if (ct == 0) {
		/* The counter wrapped: level 3 slot 0 holds what is now near. */
		wheel_cascade(LEVELS - 1, 0);
		return;
	}
	uint32_t mask = NEAR;
	uint32_t t = ct >> NEAR_SHIFT;
	int i = 0;
	while ((ct & (mask - 1)) == 0) {
		int idx = t & LEVEL_MASK;
		if (idx != 0) {
			wheel_cascade(i, idx);
			break;
		}
		mask <<= LEVEL_SHIFT;
		t >>= LEVEL_SHIFT;
		i++;
	}
}

static void
fire(struct timer_node *n) {
	while (n) {
		struct timer_node *next = n->next;
		T->expire(n->handle, n->session);
		skynet_free(n);
		n = next;
	}
}

/* Number of ticks that certainly visit only empty slots and cascade nothing,
 * capped at limit. Caller holds the lock. */
static uint32_t
wheel_skippable(uint32_t limit) {
	if (T->near_count > 0) {
		/* Skip to just before the next non-empty near slot or 256 boundary. */
		uint32_t skip = 0;
		uint32_t t = T->time + 1;
		while (skip < limit && (t & NEAR_MASK) != 0 && T->near[t & NEAR_MASK].head == NULL) {
			skip++;
			t++;
		}
		return skip;
	}
	/* Near is empty: nothing fires until a cascade at the boundary of the
	 * lowest non-empty level brings something down. */
	int bits = NEAR_SHIFT;
	for (int i = 0; i < LEVELS && T->level_count[i] == 0; i++)
		bits += LEVEL_SHIFT;
	uint64_t span = 1ull << bits; /* bits reaches 32 when the wheel is empty */
	uint64_t next_boundary = ((uint64_t)T->time / span + 1) * span;
	uint64_t skip = next_boundary - T->time - 1;
	return skip < limit ? (uint32_t)skip : limit;
}

/* Runs n ticks; the lock is taken per fired batch so callbacks run unlocked. */
static void
wheel_run(uint32_t n) {
	while (n > 0) {
		spinlock_lock(&T->lock);
		uint32_t skip = wheel_skippable(n);
		T->time += skip;
		n -= skip;
		if (n == 0) {
			spinlock_unlock(&T->lock);
			break;
		}
		wheel_shift();
		n--;
		struct timer_list *l = &T->near[T->time & NEAR_MASK];
		struct timer_node *expired = list_take(l);
		int count = 0;
		for (struct timer_node *e = expired; e; e = e->next)
			count++;
		T->near_count -= count;
		if (count)
			atomic_fetch_sub(&T->pending, count);
		spinlock_unlock(&T->lock);
		fire(expired);
	}
}

void
timer_init(timer_expire_fn expire) {
	T = skynet_calloc(1, sizeof(*T));
	spinlock_init(&T->lock);
	T->expire = expire;
	atomic_init(&T->pending, 0);
	struct timespec wall;
	clock_gettime(CLOCK_REALTIME, &wall);
	T->starttime = (uint32_t)wall.tv_sec;
	T->last_ns = mono_ns();
	atomic_init(&T->current, 0);
}

void
timer_exit(void) {
	if (T == NULL)
		return;
	for (uint32_t i = 0; i < NEAR; i++)
		for (struct timer_node *n = list_take(&T->near[i]), *next; n; n = next) {
			next = n->next;
			skynet_free(n);
		}
	for (int l = 0; l < LEVELS; l++)
		for (uint32_t i = 0; i < LEVEL; i++)
			for (struct timer_node *n = list_take(&T->level[l][i]), *next; n; n = next) {
				next = n->next;
				skynet_free(n);
			}
	spinlock_destroy(&T->lock);
	skynet_free(T);
	T = NULL;
}

int
timer_add(uint32_t handle, int time, int session) {
	if (time <= 0) {
		T->expire(handle, session);
		return session;
	}
	struct timer_node *n = skynet_malloc(sizeof(*n));
	n->handle = handle;
	n->session = session;
	spinlock_lock(&T->lock);
	n->expire = T->time + (uint32_t)time;
	wheel_place(n);
	atomic_fetch_add(&T->pending, 1);
	spinlock_unlock(&T->lock);
	return session;
}

void
timer_update(void) {
	uint64_t now = mono_ns();
	if (now <= T->last_ns)
		return;
	uint64_t ticks = (now - T->last_ns) / NS_PER_TICK;
	if (ticks == 0)
		return;
	skynet_metrics_timer(now - T->last_ns - NS_PER_TICK);
	/* Advance the reference by whole ticks only: the remainder carries over,
	 * so rounding never accumulates into drift. */
	T->last_ns += ticks * NS_PER_TICK;
	atomic_fetch_add(&T->current, ticks);
	while (ticks > 0) {
		uint32_t step = ticks > UINT32_MAX ? UINT32_MAX : (uint32_t)ticks;
		wheel_run(step);
		ticks -= step;
	}
}

void
timer_advance(uint32_t n) {
	wheel_run(n);
}

int
timer_pending(void) {
	return atomic_load(&T->pending);
}

uint64_t
timer_now(void) {
	return atomic_load(&T->current);
}

uint64_t
skynet_now(void) {
	return timer_now();
}

uint32_t
timer_starttime(void) {
	return T->starttime;
}

uint64_t
timer_hpc(void) {
	return mono_ns();
}

uint64_t
timer_thread_time(void) {
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000ull + (uint64_t)ts.tv_nsec / 1000;
}
