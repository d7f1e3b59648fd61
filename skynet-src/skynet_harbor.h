/* skynet_harbor.h: deciding whether a handle is remote and handing remote
 * messages (and messages to global names) to the harbor service. Until a
 * harbor service registers itself, or after it exited, they are refused. */
#ifndef SKYNET_HARBOR_H
#define SKYNET_HARBOR_H

#include <stddef.h>
#include <stdint.h>

#define GLOBALNAME_LENGTH 16
#define REMOTE_MAX 256

struct remote_name {
	char name[GLOBALNAME_LENGTH];
	uint32_t handle;
};

/* The payload the harbor service receives (PTYPE_SYSTEM) for a remote send. */
struct remote_message {
	struct remote_name destination;
	const void *message;
	size_t sz;
	int type;
};

struct skynet_context;

void skynet_harbor_init(int harbor);
/* Called by the harbor service when it starts; it receives remote messages
 * (PTYPE_SYSTEM, a struct remote_message it then owns, with its message). */
void skynet_harbor_start(struct skynet_context *ctx);
void skynet_harbor_exit(void);
/* Takes ownership of rmsg. Returns 0, or -1 when no harbor service runs (rmsg and
 * its message are freed). */
int skynet_harbor_send(struct remote_message *rmsg, uint32_t source, int session);
int skynet_harbor_message_isremote(uint32_t handle);

#endif
