/* socket_info.c: the netstat snapshot (socket_server_info). It runs on the
 * caller's thread while the socket thread keeps working, so it reads each slot
 * under that slot's dw_lock: the socket thread takes the same lock before it
 * closes an fd, which keeps getpeername/getsockname on a live fd. Counters are
 * single-writer relaxed atomics (socket_internal.h); a snapshot may be a few
 * bytes behind, never torn. */
#include "socket_internal.h"
#include "skynet_malloc.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

static int
info_type(const struct socket *s, int state) {
	switch (state) {
	case S_LISTEN:
	case S_PLISTEN:
		return SOCKET_INFO_LISTEN;
	case S_CLOSING:
	case S_HALFCLOSE_READ:
	case S_HALFCLOSE_WRITE:
		return SOCKET_INFO_CLOSING;
	case S_CONNECTED:
	case S_CONNECTING:
	case S_PACCEPT:
		if (s->protocol != P_TCP)
			return SOCKET_INFO_UDP;
		return s->bound ? SOCKET_INFO_BIND : SOCKET_INFO_TCP;
	default:
		return SOCKET_INFO_UNKNOWN;
	}
}

static void
info_name(const struct socket *s, int type, char *buf, size_t sz) {
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);
	buf[0] = '\0';
	if (s->fd < 0 || type == SOCKET_INFO_BIND)
		return;
	/* a listener or a UDP socket is named by its own address, TCP by its peer */
	bool own = type == SOCKET_INFO_LISTEN || type == SOCKET_INFO_UDP;
	int r = own ? getsockname(s->fd, (struct sockaddr *)&sa, &len)
		: getpeername(s->fd, (struct sockaddr *)&sa, &len);
	if (r == 0)
		ss_addr_text((struct sockaddr *)&sa, buf, sz, NULL);
}

static int
info_nodelay(const struct socket *s, int type) {
	int on = 0;
	socklen_t len = sizeof(on);
	if (s->fd < 0 || type != SOCKET_INFO_TCP)
		return 0;
	if (getsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &on, &len) != 0)
		return 0;
	return on != 0;
}

/* Fills *out from slot s; false when the slot holds no live socket. */
static bool
info_fill(struct socket *s, struct socket_info *out) {
	bool live = false;
	spinlock_lock(&s->dw_lock);
	int state = ATOM_LOAD(&s->type);
	if (state != S_INVALID && state != S_RESERVE && state != S_DYING) {
		live = true;
		out->id = ATOM_LOAD(&s->id);
		out->type = info_type(s, state);
		out->opaque = s->opaque;
		out->read = STAT_GET(s->stat_read);
		out->write = STAT_GET(s->stat_write) + STAT_GET(s->dw_written);
		out->rtime = STAT_GET(s->rtime);
		out->wtime = STAT_GET(s->wtime);
		out->wbuffer = STAT_GET(s->wb_seen);
		out->reading = s->reading;
		out->writing = s->writing;
		info_name(s, out->type, out->name, sizeof(out->name));
		out->nodelay = info_nodelay(s, out->type);
	}
	spinlock_unlock(&s->dw_lock);
	return live;
}

struct socket_info *
socket_server_info(struct socket_server *ss) {
	struct socket_info *head = NULL, **tail = &head;
	struct socket_info tmp;
	for (int i = 0; i < SOCKET_MAX; i++) {
		if (!info_fill(&ss->slot[i], &tmp))
			continue;
		struct socket_info *si = skynet_malloc(sizeof(*si));
		*si = tmp;
		si->next = NULL;
		*tail = si;
		tail = &si->next;
	}
	return head;
}

void
socket_info_release(struct socket_info *si) {
	while (si) {
		struct socket_info *next = si->next;
		skynet_free(si);
		si = next;
	}
}
