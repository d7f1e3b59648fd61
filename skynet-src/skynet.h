/* skynet.h: the API a C service may use. Everything else in skynet-src/ is internal.
 *
 * A service is a shared object cservice/NAME.so exporting NAME_create, NAME_init,
 * NAME_release and optionally NAME_signal. It receives messages through the callback
 * it registers with skynet_callback. */
#ifndef SKYNET_H
#define SKYNET_H

#include "skynet_malloc.h"

#include <stddef.h>
#include <stdint.h>

#define PTYPE_TEXT 0
#define PTYPE_RESPONSE 1
#define PTYPE_MULTICAST 2
#define PTYPE_CLIENT 3
#define PTYPE_SYSTEM 4
#define PTYPE_HARBOR 5
#define PTYPE_SOCKET 6
#define PTYPE_ERROR 7
#define PTYPE_RESERVED_QUEUE 8
#define PTYPE_RESERVED_DEBUG 9
#define PTYPE_RESERVED_LUA 10
#define PTYPE_RESERVED_SNAX 11
#define PTYPE_TRACE 12

/* Flags or'ed into the type argument of skynet_send. DONTCOPY: the runtime takes
 * ownership of msg instead of copying it. ALLOCSESSION: allocate a fresh session
 * for this message (the session argument must be 0) and return it. */
#define PTYPE_TAG_DONTCOPY 0x10000
#define PTYPE_TAG_ALLOCSESSION 0x20000

struct skynet_context;

/* Log a formatted line through the logger service. context may be NULL. */
void skynet_error(struct skynet_context *context, const char *msg, ...)
	__attribute__((format(printf, 2, 3)));

/* Text commands (TIMEOUT, REG, QUERY, NAME, EXIT, KILL, LAUNCH, GETENV, SETENV,
 * STARTTIME, ABORT, MONITOR, STAT, LOGON, LOGOFF, SIGNAL). The returned string lives
 * in the context's result buffer until the next command on the same context. */
const char *skynet_command(struct skynet_context *context, const char *cmd, const char *parm);

uint32_t skynet_queryname(struct skynet_context *context, const char *name);

/* Returns the session (>= 0) or -1 if the destination does not exist (msg is freed
 * when DONTCOPY was given), -2 if the message is too large. */
int skynet_send(struct skynet_context *context, uint32_t source, uint32_t destination,
	int type, int session, void *msg, size_t sz);
int skynet_sendname(struct skynet_context *context, uint32_t source, const char *destination,
	int type, int session, void *msg, size_t sz);

int skynet_isremote(struct skynet_context *context, uint32_t handle, int *harbor);

/* A message type whose body refers to more than its own buffer (a refcounted
 * package, say) registers how to let go of it: when such a message is dropped
 * undelivered (its receiver died with it queued), f(msg, sz) releases what the
 * body refers to; the runtime then frees the body itself. One function per
 * type (the last one set wins); types 0..255. */
typedef void (*skynet_drop_cb)(void *msg, size_t sz);
void skynet_drop_callback(int type, skynet_drop_cb f);

/* Return 0 to let the runtime free msg after the callback, 1 to keep it (the
 * callback then owns it and must skynet_free it). */
typedef int (*skynet_cb)(struct skynet_context *context, void *ud, int type, int session,
	uint32_t source, const void *msg, size_t sz);
void skynet_callback(struct skynet_context *context, void *ud, skynet_cb cb);

/* The service's own handle. */
uint32_t skynet_context_handle(struct skynet_context *context);

/* The handle of the service whose callback runs on this thread (0 elsewhere). */
uint32_t skynet_current_handle(void);
/* Centiseconds since the node started. */
uint64_t skynet_now(void);

#endif
