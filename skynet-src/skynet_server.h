/* skynet_server.h: service contexts, message delivery and dispatch (internal). */
#ifndef SKYNET_SERVER_H
#define SKYNET_SERVER_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

struct skynet_context;
struct skynet_message;
struct skynet_monitor;
struct message_queue;

/* Creates and initialises a service; returns its handle, or 0 (and a logged
 * reason) on failure. The handle, not a pointer: the service may have exited
 * by the time this returns. */
uint32_t skynet_context_new(const char *name, const char *param);
void skynet_context_grab(struct skynet_context *);
/* Drops a reference; returns NULL when this freed the context. */
struct skynet_context *skynet_context_release(struct skynet_context *);
uint32_t skynet_context_handle(struct skynet_context *);
/* Queue a message for a local handle without copying. Returns 0, or -1 if the
 * handle is gone (the message is untouched, the caller still owns its data). */
int skynet_context_push(uint32_t handle, struct skynet_message *message);
/* Queue a message, sending remote handles to the harbor. Used by the socket and
 * harbor layers; same ownership rule as skynet_context_push. */
void skynet_context_send(struct skynet_context *ctx, void *msg, size_t sz, uint32_t source,
	int type, int session);
int skynet_context_newsession(struct skynet_context *);
int skynet_context_total(void);
/* Raise a service's endless flag (monitor); the service is not interrupted. */
void skynet_context_endless(uint32_t handle);
/* Signal 0 to a service's module: snlua breaks the message it is running. */
void skynet_context_break(uint32_t handle);

/* Dispatch one batch from the next busy queue. q is the queue this worker took
 * last time (or NULL); returns the queue to try next time, NULL when idle.
 * While *next (the worker's run-next slot, may be NULL) holds a queue, the
 * current one is not kept past its batch. */
struct message_queue *skynet_context_message_dispatch(struct skynet_monitor *,
	struct message_queue *q, int weight, struct message_queue *_Atomic *next);
/* Dispatch everything queued for ctx on the calling thread (logger at shutdown).
 * Only for a queue that is not in the global list. */
void skynet_context_dispatchall(struct skynet_context *ctx);

/* Removes handle from the table and drops the table's reference; 1 if it existed. */
int handle_retire(uint32_t handle);
/* Retire every service except keep (0: none) and the nbusy handles in busy. */
void skynet_server_retire_all(uint32_t keep, const uint32_t *busy, int nbusy);
/* Dispatch up to max queued messages of keep (the logger) on this thread, when
 * shutdown abandons stuck workers (the queue may still be in the global list:
 * only safe right before the process exits). Returns how many. */
int skynet_server_flush(uint32_t keep, int max);
/* Crash time (a signal handler; no lock waited for, nothing allocated): hands
 * up to max messages queued for handle to fn, taking them off the queue (their
 * data is never freed: the process is dying). Returns how many, or -1 when the
 * handle table was busy or handle is gone. */
typedef void (*skynet_crash_message_fn)(void *ud, uint32_t source, int type, const void *data, size_t sz);
int skynet_context_crash_drain(uint32_t handle, int max, skynet_crash_message_fn fn, void *ud);
/* Crash time: handle's module name and one of its names ("" when it has none)
 * copied into the buffers; 0, or -1 (both "") when it can't be known safely. */
int skynet_context_crash_describe(uint32_t handle, char *module, size_t mcap, char *name, size_t ncap);
/* Stop the node; failed != 0 makes the process exit with status 1. */
void skynet_server_abort(int failed);

/* For the monitor and snlua: was this service flagged as stuck? Clears the flag. */
int skynet_context_take_endless(struct skynet_context *);

/* Accessors used by skynet_command.c. */
struct message_queue *skynet_context_queue(struct skynet_context *);
char *skynet_context_result(struct skynet_context *);
int skynet_context_message_count(struct skynet_context *);
uint64_t skynet_context_cpu(struct skynet_context *);
uint64_t skynet_context_cpu_running(struct skynet_context *);
FILE *skynet_context_swaplog(struct skynet_context *, FILE *);
void skynet_context_signal(struct skynet_context *, int sig);

/* Called with a service queue that just became runnable (claimed, not yet in
 * the global queue): the scheduler links it or keeps it for the calling worker. */
typedef void (*skynet_schedule_fn)(struct message_queue *q);
void skynet_server_init(int harbor, int profile, skynet_schedule_fn schedule);
/* After the workers stopped: dispatch what is left for keep (the logger) on this
 * thread, then free every queue still in the global queue. */
void skynet_server_drain(uint32_t keep);
void skynet_server_exit(void);
/* 0, or 1 after ABORT, 2 after ABORT with an error. */
int skynet_server_aborting(void);

#endif
