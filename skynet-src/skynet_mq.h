/* skynet_mq.h: per-service message queues and the global queue of busy services.
 *
 * A service queue is a ring buffer that doubles when full. It is "in global" while
 * it sits in the global queue or while a worker is dispatching it; mq_push links an
 * idle queue into the global queue, and mq_pop unlinks it (clears the flag) when it
 * finds the queue empty. This layer knows nothing about services or threads: it
 * reports through return values and leaves waking workers to the caller. */
#ifndef SKYNET_MQ_H
#define SKYNET_MQ_H

#include <stddef.h>
#include <stdint.h>

struct skynet_message {
	uint32_t source;
	int session;
	void *data;
	size_t sz; /* the message type lives in the high byte */
};

#define MESSAGE_TYPE_MASK (SIZE_MAX >> 8)
#define MESSAGE_TYPE_SHIFT ((sizeof(size_t) - 1) * 8)

struct message_queue;

/* The global queue. */
void mq_global_init(void);
void mq_global_exit(void);
/* Returns 1 if the global queue was empty before this push. */
int mq_global_push(struct message_queue *q);
struct message_queue *mq_global_pop(void);
int mq_global_length(void);

/* A new queue starts "in global" so nothing is dispatched before the service's
 * init finishes; the creator calls mq_global_push once init succeeds. */
struct message_queue *mq_create(uint32_t handle);
uint32_t mq_handle(struct message_queue *q);
int mq_length(struct message_queue *q);
/* Length at which the queue last crossed its overload threshold, once; 0 otherwise.
 * The threshold starts at 1024 and doubles each time it is crossed. */
int mq_overload(struct message_queue *q);

/* Returns 1 if this push linked an idle queue into the global queue. */
int mq_push(struct message_queue *q, struct skynet_message *message);
/* Like mq_push, but an idle queue is only claimed (flagged in-global), not
 * linked: on 1 the caller must schedule it, with mq_global_push or by running
 * it itself. Lets the scheduler keep a woken service on the waking worker. */
int mq_push_claim(struct message_queue *q, struct skynet_message *message);
/* For the worker holding q: if q is empty, clear its in-global flag (the next
 * push makes it runnable again) and return 1; else 0 and q stays runnable. */
int mq_park(struct message_queue *q);
/* Returns 0 and fills *message, or 1 if the queue is empty (and unlinks it). */
int mq_pop(struct message_queue *q, struct skynet_message *message);
/* For the crash report (a signal handler): as mq_pop, but gives up with -1
 * instead of waiting long for the lock, and leaves an empty queue linked. */
int mq_try_pop(struct message_queue *q, struct skynet_message *message);

/* Mark for release; the queue is freed by mq_release the next time a worker sees it
 * (or at once if it is not in the global queue). */
void mq_mark_release(struct message_queue *q);
typedef void (*message_drop)(struct skynet_message *, void *);
/* Frees a marked queue, calling drop for every message still in it; an unmarked
 * queue is put back into the global queue instead. */
void mq_release(struct message_queue *q, message_drop drop_func, void *ud);

#endif
