/* skynet_harbor.c: the core's side of multi-node routing. The node's own harbor
 * id is the high byte of its handles; any other non-zero high byte names another
 * node, reached through the harbor service (later: service_harbor). */
#include "skynet.h"
#include "skynet_harbor.h"
#include "skynet_handle.h"
#include "skynet_mq.h"
#include "skynet_server.h"

#include "atomic.h"

#include <stdatomic.h>

static struct skynet_context *_Atomic REMOTE = NULL;
static unsigned int HARBOR = ~0u;

void
skynet_harbor_init(int harbor) {
	HARBOR = (unsigned int)harbor << HANDLE_REMOTE_SHIFT;
}

void
skynet_harbor_start(struct skynet_context *ctx) {
	/* The harbor service holds a reference for the routing table's sake. */
	skynet_context_grab(ctx);
	atomic_store(&REMOTE, ctx);
}

void
skynet_harbor_exit(void) {
	struct skynet_context *ctx = atomic_exchange(&REMOTE, NULL);
	if (ctx)
		skynet_context_release(ctx);
}

int
skynet_harbor_send(struct remote_message *rmsg, uint32_t source, int session) {
	struct skynet_context *ctx = atomic_load(&REMOTE);
	if (ctx == NULL) {
		skynet_free((void *)rmsg->message);
		skynet_free(rmsg);
		return -1;
	}
	skynet_context_send(ctx, rmsg, sizeof(*rmsg), source, PTYPE_SYSTEM, session);
	return 0;
}

int
skynet_harbor_message_isremote(uint32_t handle) {
	int h = (int)(handle & ~HANDLE_MASK);
	return h != (int)HARBOR && h != 0;
}

int
skynet_isremote(struct skynet_context *ctx, uint32_t handle, int *harbor) {
	(void)ctx;
	int ret = skynet_harbor_message_isremote(handle);
	if (harbor)
		*harbor = (int)(handle >> HANDLE_REMOTE_SHIFT);
	return ret;
}
