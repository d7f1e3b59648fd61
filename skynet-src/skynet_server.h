/* skynet_server.h: service contexts, message delivery and dispatch (internal). */
#ifndef SKYNET_SERVER_H
#define SKYNET_SERVER_H

#include <stdint.h>
#include <stdlib.h>

struct skynet_context;
struct skynet_message;
struct skynet_monitor;
struct message_queue;

/* Creates and initialises a service; NULL (and a logged reason) on failure. */
struct skynet_context *skynet_context_new(const char *name, const char *param);
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
/* Raise a service's endless flag (monitor) and call its module's signal. */
void skynet_context_endless(uint32_t handle);

/* Dispatch one batch from the next busy queue. q is the queue this worker took
 * last time (or NULL); returns the queue to try next time, NULL when idle. */
struct message_queue *skynet_context_message_dispatch(struct skynet_monitor *,
	struct message_queue *q, int weight);
/* Dispatch everything queued for ctx on the calling thread (logger at shutdown). */
void skynet_context_dispatchall(struct skynet_context *ctx);

/* Called when a service queue becomes busy: wakes an idle worker if none is free. */
typedef void (*skynet_wakeup_fn)(void);
void skynet_server_init(skynet_wakeup_fn wakeup);
void skynet_server_exit(void);
/* Set by ABORT or when the last service exits. */
int skynet_server_aborting(void);

#endif
