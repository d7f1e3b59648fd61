/* skynet_mq.c: owns every service's message ring and the global list of service
 * queues that have work.
 *
 * A service queue is a power-of-two ring (head = next to read, tail = next to
 * write). It is grown as soon as a push fills it, so at rest head == tail always
 * means empty and the length is (tail - head) & (cap - 1). Each queue has its own
 * spinlock; the global list has another. The only nesting is queue lock -> global
 * lock (a push that links an idle queue), never the reverse, so there is no
 * lock-order cycle. */
#include "skynet_mq.h"
#include "skynet_malloc.h"
#include "spinlock.h"

#include <stdatomic.h>
#include <string.h>

#define MQ_INITIAL_CAP 16 /* most services never queue more; it doubles */
#define MQ_OVERLOAD_THRESHOLD 1024

struct message_queue {
	struct spinlock lock;
	uint32_t handle;
	int cap;               /* always a power of two */
	int head;
	int tail;
	int release;           /* marked by mq_mark_release */
	int in_global;         /* linked in the global list, or being dispatched */
	int overload;          /* length that crossed the threshold, until read */
	int overload_threshold;
	struct skynet_message *ring;
	struct message_queue *next; /* link in the global list */
};

struct global_queue {
	struct spinlock lock;
	struct message_queue *head;
	struct message_queue *tail;
	atomic_int length;     /* read without the lock by mq_global_length */
};

static struct global_queue G;

static inline int
ring_length(const struct message_queue *q) {
	return (q->tail - q->head) & (q->cap - 1);
}

/* Called with q->lock held, right after a push made tail catch up with head. */
static void
ring_grow(struct message_queue *q) {
	int cap = q->cap;
	struct skynet_message *ring = skynet_malloc(sizeof(*ring) * cap * 2);
	/* The ring is full, so the cap messages start at head and wrap once. */
	int first = cap - q->head;
	memcpy(ring, q->ring + q->head, sizeof(*ring) * first);
	memcpy(ring + first, q->ring, sizeof(*ring) * q->head);
	skynet_free(q->ring);
	q->ring = ring;
	q->head = 0;
	q->tail = cap;
	q->cap = cap * 2;
}

/* ---- global queue ---- */

void
mq_global_init(void) {
	spinlock_init(&G.lock);
	G.head = G.tail = NULL;
	atomic_store(&G.length, 0);
}

void
mq_global_exit(void) {
	/* The queues still linked belong to their services; only forget them. */
	spinlock_lock(&G.lock);
	G.head = G.tail = NULL;
	atomic_store(&G.length, 0);
	spinlock_unlock(&G.lock);
	spinlock_destroy(&G.lock);
}

int
mq_global_push(struct message_queue *q) {
	int was_empty;
	spinlock_lock(&G.lock);
	q->next = NULL;
	was_empty = G.tail == NULL;
	if (was_empty)
		G.head = q;
	else
		G.tail->next = q;
	G.tail = q;
	atomic_fetch_add_explicit(&G.length, 1, memory_order_relaxed);
	spinlock_unlock(&G.lock);
	return was_empty;
}

struct message_queue *
mq_global_pop(void) {
	struct message_queue *q;
	/* Workers ask after every batch; most of the time there is nothing, and
	 * the lock's cache line need not move. A push racing this is seen next time. */
	if (atomic_load_explicit(&G.length, memory_order_relaxed) == 0)
		return NULL;
	spinlock_lock(&G.lock);
	q = G.head;
	if (q) {
		G.head = q->next;
		if (G.head == NULL)
			G.tail = NULL;
		q->next = NULL;
		atomic_fetch_sub_explicit(&G.length, 1, memory_order_relaxed);
	}
	spinlock_unlock(&G.lock);
	return q;
}

int
mq_global_length(void) {
	return atomic_load_explicit(&G.length, memory_order_relaxed);
}

/* ---- service queues ---- */

struct message_queue *
mq_create(uint32_t handle) {
	struct message_queue *q = skynet_malloc(sizeof(*q));
	spinlock_init(&q->lock);
	q->handle = handle;
	q->cap = MQ_INITIAL_CAP;
	q->head = q->tail = 0;
	q->release = 0;
	q->in_global = 1;
	q->overload = 0;
	q->overload_threshold = MQ_OVERLOAD_THRESHOLD;
	q->ring = skynet_malloc(sizeof(*q->ring) * q->cap);
	q->next = NULL;
	return q;
}

uint32_t
mq_handle(struct message_queue *q) {
	return q->handle;
}

int
mq_length(struct message_queue *q) {
	int n;
	spinlock_lock(&q->lock);
	n = ring_length(q);
	spinlock_unlock(&q->lock);
	return n;
}

int
mq_overload(struct message_queue *q) {
	int n;
	spinlock_lock(&q->lock);
	n = q->overload;
	q->overload = 0;
	spinlock_unlock(&q->lock);
	return n;
}

static int
push(struct message_queue *q, struct skynet_message *message, int link) {
	int runnable = 0;
	int len;
	spinlock_lock(&q->lock);
	q->ring[q->tail] = *message;
	q->tail = (q->tail + 1) & (q->cap - 1);
	if (q->tail == q->head)
		ring_grow(q);
	len = ring_length(q);
	if (len > q->overload_threshold) {
		q->overload = len;
		q->overload_threshold *= 2;
	}
	if (!q->in_global) {
		q->in_global = 1;
		if (link)
			mq_global_push(q);
		runnable = 1;
	}
	spinlock_unlock(&q->lock);
	return runnable;
}

int
mq_push(struct message_queue *q, struct skynet_message *message) {
	return push(q, message, 1);
}

int
mq_push_claim(struct message_queue *q, struct skynet_message *message) {
	return push(q, message, 0);
}

int
mq_park(struct message_queue *q) {
	int parked;
	spinlock_lock(&q->lock);
	parked = q->head == q->tail;
	if (parked) {
		q->in_global = 0;
		q->overload_threshold = MQ_OVERLOAD_THRESHOLD;
	}
	spinlock_unlock(&q->lock);
	return parked;
}

int
mq_pop(struct message_queue *q, struct skynet_message *message) {
	int empty;
	spinlock_lock(&q->lock);
	empty = q->head == q->tail;
	if (empty) {
		/* The dispatching worker drops the queue; the next push relinks it. */
		q->in_global = 0;
		q->overload_threshold = MQ_OVERLOAD_THRESHOLD;
	} else {
		*message = q->ring[q->head];
		q->head = (q->head + 1) & (q->cap - 1);
	}
	spinlock_unlock(&q->lock);
	return empty;
}

int
mq_try_pop(struct message_queue *q, struct skynet_message *message) {
	int tries = 1000;
	while (!spinlock_trylock(&q->lock)) {
		if (--tries == 0)
			return -1;
		__builtin_ia32_pause();
	}
	int empty = q->head == q->tail;
	if (!empty) {
		*message = q->ring[q->head];
		q->head = (q->head + 1) & (q->cap - 1);
	}
	spinlock_unlock(&q->lock);
	return empty;
}

void
mq_mark_release(struct message_queue *q) {
	spinlock_lock(&q->lock);
	q->release = 1;
	/* An idle queue would never be seen by a worker again; link it so one
	 * notices the mark and frees it. Setting in_global keeps a racing push
	 * from linking it a second time. */
	if (!q->in_global) {
		q->in_global = 1;
		mq_global_push(q);
	}
	spinlock_unlock(&q->lock);
}

void
mq_release(struct message_queue *q, message_drop drop_func, void *ud) {
	int release;
	spinlock_lock(&q->lock);
	release = q->release;
	if (!release)
		mq_global_push(q);
	spinlock_unlock(&q->lock);
	if (!release)
		return;
	/* Marked: nobody else holds q any more (its handle is gone), so drain
	 * without the lock. */
	while (q->head != q->tail) {
		struct skynet_message m = q->ring[q->head];
		q->head = (q->head + 1) & (q->cap - 1);
		if (drop_func)
			drop_func(&m, ud);
	}
	spinlock_destroy(&q->lock);
	skynet_free(q->ring);
	skynet_free(q);
}
