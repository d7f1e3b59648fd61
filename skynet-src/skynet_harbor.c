/* skynet_harbor.c: the core's side of multi-node routing. The node's own harbor
 * id is the high byte of its handles; any other non-zero high byte names another
 * node, and a name without a leading '.' or ':' is global: both go to the harbor
 * service (on a single node the Lua cdummy, which keeps the global names).
 * The harbor is remembered by handle, not by context: once it has exited, a
 * remote send fails at once instead of queueing on a dead service. */
#include "skynet.h"
#include "skynet_harbor.h"
#include "skynet_handle.h"
#include "skynet_mq.h"
#include "skynet_server.h"

#include <stdatomic.h>

static _Atomic uint32_t REMOTE = 0;
static unsigned int HARBOR = ~0u;

void
skynet_harbor_init(int harbor) {
	HARBOR = (unsigned int)harbor << HANDLE_REMOTE_SHIFT;
}

void
skynet_harbor_start(struct skynet_context *ctx) {
	atomic_store(&REMOTE, skynet_context_handle(ctx));
}

void
skynet_harbor_exit(void) {
	atomic_store(&REMOTE, 0);
}

int
skynet_harbor_send(struct remote_message *rmsg, uint32_t source, int session) {
	uint32_t harbor = atomic_load(&REMOTE);
	struct skynet_message smsg;
	smsg.source = source;
	smsg.session = session;
	smsg.data = rmsg;
	smsg.sz = sizeof(*rmsg) | ((size_t)PTYPE_SYSTEM << MESSAGE_TYPE_SHIFT);
	if (harbor == 0 || skynet_context_push(harbor, &smsg)) {
		skynet_free((void *)rmsg->message);
		skynet_free(rmsg);
		return -1;
	}
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
