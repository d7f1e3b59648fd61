/* socket_server.c: the socket table, the requests other threads post, and the
 * event loop that turns epoll events and requests into reports (see
 * socket_server.h). The I/O itself lives in socket_io.c. */
#include "socket_internal.h"
#include "skynet_malloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <poll.h>
#include <sys/eventfd.h>

/* ---- table and reports (socket thread unless noted) ---- */

void
ss_emit(struct socket_server *ss, int type, int id, uintptr_t opaque, int ud, char *data,
	const char *text) {
	if (ss->pending_count == PENDING_MAX) {
		/* Cannot happen: each request or event reports a handful at most and the
		 * queue is drained before the next one. Never leak on the way out. */
		if (type == SOCKET_DATA || type == SOCKET_UDP)
			skynet_free(data);
		return;
	}
	struct pending_report *p = &ss->pending[(ss->pending_head + ss->pending_count) % PENDING_MAX];
	ss->pending_count++;
	p->type = type;
	p->msg.id = id;
	p->msg.opaque = opaque;
	p->msg.ud = ud;
	if (text) {
		snprintf(p->text, sizeof(p->text), "%s", text);
		p->msg.data = p->text;
	} else {
		p->msg.data = data;
	}
}

/* Any thread. The counter keeps rolling so a freed slot comes back under a new id. */
int
ss_reserve_id(struct socket_server *ss) {
	for (int i = 0; i < SOCKET_MAX; i++) {
		int id = (int)((ATOM_FINC(&ss->alloc_id) + 1) & 0x7fffffff);
		if (id == 0)
			continue;
		struct socket *s = ss_slot(ss, id);
		if (ATOM_LOAD(&s->type) != S_INVALID)
			continue;
		if (ATOM_CAS(&s->type, S_INVALID, S_RESERVE)) {
			ATOM_STORE(&s->id, id);
			return id;
		}
	}
	return -1;
}

struct socket *
ss_setup(struct socket_server *ss, int id, int fd, int protocol, uintptr_t opaque, int state) {
	struct socket *s = ss_slot(ss, id);
	s->fd = fd;
	s->protocol = protocol;
	s->reading = s->writing = s->registered = false;
	s->held = s->ep_read = s->ep_write = false;
	s->hold_kind = HOLD_NONE;
	s->backoff_ms = 0;
	s->tight = false;
	s->unchecked = 0;
	s->recent_i = 0;
	memset(s->recent, 0, sizeof(s->recent));
	STAT_SET(s->write_limit, ss->write_limit);
	s->reported = s->shut_done = s->bound = false;
	s->opaque = opaque;
	STAT_SET(s->stat_read, 0);
	STAT_SET(s->stat_write, 0);
	STAT_SET(s->dw_written, 0);
	STAT_SET(s->rtime, ss->time);
	STAT_SET(s->wtime, ss->time);
	STAT_SET(s->wb_seen, 0);
	wb_list_init(&s->high);
	wb_list_init(&s->low);
	s->wb_size = 0;
	s->warn_size = WARN_START;
	s->read_size = READ_SIZE_MIN;
	s->dw_buffer = NULL;
	s->dw_size = s->dw_offset = 0;
	s->udp_peer[0] = 0;
	ATOM_STORE(&s->wb_empty, 1);
	ATOM_STORE(&s->type, state);
	return s;
}

/* A socket with no interest is kept out of epoll altogether: epoll reports hangups
 * even for an empty mask, and a paused socket must not spin on one. */
bool
ss_set_events(struct socket_server *ss, struct socket *s, bool read, bool write) {
	s->reading = read;
	s->writing = write;
	bool eread = read && !s->held; /* a hold (socket_guard.c) overrides the owner */
	if (s->registered && s->ep_read == eread && s->ep_write == write)
		return true;
	if (!s->registered && !eread && !write)
		return true;
	int r = 0;
	uint64_t key = (uint64_t)(unsigned)ATOM_LOAD(&s->id);
	if (!eread && !write) {
		sp_del(ss->efd, s->fd);
		s->registered = false;
	} else if (s->registered) {
		r = sp_enable(ss->efd, s->fd, key, eread, write);
	} else {
		r = sp_add(ss->efd, s->fd, key, eread, write);
		s->registered = (r == 0);
	}
	s->ep_read = eread;
	s->ep_write = write;
	if (r < 0) {
		ss_fail(ss, s, strerror(errno));
		return false;
	}
	return true;
}

void
ss_force_close(struct socket_server *ss, struct socket *s) {
	int state = ATOM_LOAD(&s->type);
	if (state == S_INVALID || state == S_RESERVE || state == S_DYING)
		return;
	if (s->registered)
		sp_del(ss->efd, s->fd);
	s->registered = s->reading = s->writing = false;
	s->ep_read = s->ep_write = s->held = false; /* a hold entry left behind goes stale */
	/* Under the lock so a worker in the direct-write path never sees a closed or
	 * reused fd. DYING keeps the slot from being reserved while lists are freed. */
	spinlock_lock(&s->dw_lock);
	ATOM_STORE(&s->type, S_DYING);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	skynet_free(s->dw_buffer);
	s->dw_buffer = NULL;
	spinlock_unlock(&s->dw_lock);
	wb_list_free(&s->high);
	wb_list_free(&s->low);
	s->wb_size = 0;
	STAT_SET(s->wb_seen, 0);
	ATOM_STORE(&s->type, S_INVALID);
}

void
ss_fail(struct socket_server *ss, struct socket *s, const char *why) {
	if (!s->reported)
		ss_emit(ss, SOCKET_ERR, ATOM_LOAD(&s->id), s->opaque, 0, NULL, why);
	s->reported = true;
	ss_force_close(ss, s);
}

void
ss_addr_text(const struct sockaddr *sa, char *buf, size_t sz, int *port) {
	char ip[INET6_ADDRSTRLEN] = "?";
	int p = 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
		p = ntohs(a->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
		p = ntohs(a->sin6_port);
	}
	snprintf(buf, sz, "%s:%d", ip, p);
	if (port)
		*port = p;
}

struct socket *
ss_live(struct socket_server *ss, int id) {
	struct socket *s = ss_slot(ss, id);
	int state = ATOM_LOAD(&s->type);
	if (ATOM_LOAD(&s->id) != id || state == S_INVALID || state == S_RESERVE || state == S_DYING)
		return NULL;
	return s;
}

/* ---- requests, handled on the socket thread ---- */

static void
req_connect(struct socket_server *ss, struct sc_request *req) {
	struct socket *s = ss_slot(ss, req->id);
	struct addrinfo hints, *list = NULL;
	char port[16];
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%d", req->port);
	int gai = getaddrinfo(req->host, port, &hints, &list);
	const char *why = gai ? gai_strerror(gai) : "no address";
	int fd = -1, status = -1;
	for (struct addrinfo *ai = list; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			why = strerror(errno);
			continue;
		}
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
		status = connect(fd, ai->ai_addr, ai->ai_addrlen);
		if (status == 0 || errno == EINPROGRESS)
			break;
		why = strerror(errno);
		close(fd);
		fd = -1;
	}
	if (list)
		freeaddrinfo(list);
	if (fd < 0) {
		ss_emit(ss, SOCKET_ERR, req->id, req->opaque, 0, NULL, why);
		ATOM_STORE(&s->type, S_INVALID);
		return;
	}
	if (status == 0) {
		/* Loopback may connect at once; report through the same path. */
		ss_setup(ss, req->id, fd, P_TCP, req->opaque, S_CONNECTING);
		sio_connected(ss, s);
	} else {
		ss_setup(ss, req->id, fd, P_TCP, req->opaque, S_CONNECTING);
		ss_set_events(ss, s, false, true);
	}
}

static void
req_start(struct socket_server *ss, struct sc_request *req) {
	struct socket *s = ss_live(ss, req->id);
	if (s == NULL) {
		ss_emit(ss, SOCKET_ERR, req->id, req->opaque, 0, NULL, "invalid socket");
		return;
	}
	int state = ATOM_LOAD(&s->type);
	const char *text = "start";
	int ud = 0;
	char addr[TEXT_MAX];
	switch (state) {
	case S_PACCEPT:
		ATOM_STORE(&s->type, S_CONNECTED);
		break;
	case S_PLISTEN:
	case S_LISTEN: {
		struct sockaddr_storage sa;
		socklen_t len = sizeof(sa);
		if (getsockname(s->fd, (struct sockaddr *)&sa, &len) == 0) {
			ss_addr_text((struct sockaddr *)&sa, addr, sizeof(addr), &ud);
			text = addr;
		}
		ATOM_STORE(&s->type, S_LISTEN);
		break;
	}
	case S_CONNECTED:
	case S_HALFCLOSE_WRITE:
		if (s->opaque != req->opaque)
			text = "transfer";
		break;
	default:
		/* Connecting or closing: nothing to start, but the owner may be waiting. */
		ss_emit(ss, SOCKET_ERR, req->id, req->opaque, 0, NULL, "socket not ready to start");
		return;
	}
	s->opaque = req->opaque;
	if (ss_set_events(ss, s, true, s->writing))
		ss_emit(ss, SOCKET_OPEN, req->id, req->opaque, ud, NULL, text);
}

static void
req_pause(struct socket_server *ss, struct sc_request *req) {
	struct socket *s = ss_live(ss, req->id);
	if (s == NULL)
		return;
	int state = ATOM_LOAD(&s->type);
	if (state == S_CONNECTED || state == S_LISTEN || state == S_HALFCLOSE_WRITE)
		ss_set_events(ss, s, false, s->writing);
}

static bool
output_pending(struct socket_server *ss, struct socket *s) {
	sio_absorb_direct(ss, s);
	return !wb_list_empty(&s->high) || !wb_list_empty(&s->low);
}

static void
req_close(struct socket_server *ss, struct sc_request *req) {
	struct socket *s = ss_live(ss, req->id);
	if (s == NULL)
		return;
	int state = ATOM_LOAD(&s->type);
	if (state == S_CLOSING)
		return;
	bool flush = output_pending(ss, s) && (state == S_CONNECTED || state == S_PACCEPT ||
		state == S_HALFCLOSE_WRITE || state == S_HALFCLOSE_READ);
	if (!flush) {
		if (!s->reported)
			ss_emit(ss, SOCKET_CLOSE, req->id, req->opaque, 0, NULL, NULL);
		s->reported = true;
		ss_force_close(ss, s);
		return;
	}
	if (state != S_HALFCLOSE_READ) {
		s->opaque = req->opaque;
		ATOM_STORE(&s->type, S_CLOSING);
	}
	ss_set_events(ss, s, false, true);
}

static void
req_shutdown(struct socket_server *ss, struct sc_request *req) {
	struct socket *s = ss_live(ss, req->id);
	if (s == NULL || ATOM_LOAD(&s->type) != S_CONNECTED)
		return;
	ATOM_STORE(&s->type, S_HALFCLOSE_WRITE);
	if (!output_pending(ss, s)) {
		shutdown(s->fd, SHUT_WR);
		s->shut_done = true;
	}
}

static void
req_send(struct socket_server *ss, struct sc_request *req) {
	struct socket *s = ss_live(ss, req->id);
	int state = s ? ATOM_LOAD(&s->type) : S_INVALID;
	bool tcp = s && s->protocol == P_TCP;
	bool ok = state == S_CONNECTED || state == S_CONNECTING || state == S_PACCEPT ||
		state == S_HALFCLOSE_READ;
	if (!ok || (tcp && req->type == SC_SEND_UDP))
		skynet_free(req->buffer);
	else
		sio_queue(ss, s, req->type != SC_SEND_LOW, req->buffer, req->sz,
			req->type == SC_SEND_UDP && req->address[0] ? req->address : NULL);
	/* Only now, with the data queued or written, may a worker write directly
	 * again: earlier would let its bytes overtake these. The counter belongs to
	 * the slot, so it balances even for a stale id. */
	if (req->type != SC_SEND_UDP)
		ATOM_FDEC(&ss_slot(ss, req->id)->sending);
}

/* A new listener tells its owner where it is bound: OPEN with ud = port and
 * the ip as text (what socket.listen returns), as skynet reports it. */
static void
report_listen(struct socket_server *ss, struct socket *s, struct sc_request *req) {
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);
	if (getsockname(s->fd, (struct sockaddr *)&sa, &len) < 0) {
		ss_emit(ss, SOCKET_OPEN, req->id, req->opaque, 0, NULL, "listen");
		return;
	}
	char ip[INET6_ADDRSTRLEN] = "";
	int port = 0;
	if (sa.ss_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&sa;
		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
		port = ntohs(a->sin6_port);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&sa;
		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
		port = ntohs(a->sin_port);
	}
	ss_emit(ss, SOCKET_OPEN, req->id, req->opaque, port, NULL, ip);
}

static void
req_adopt(struct socket_server *ss, struct sc_request *req) {
	int protocol = P_TCP, state = S_CONNECTED;
	bool read = true;
	const char *text = NULL;
	switch (req->type) {
	case SC_LISTEN: state = S_PLISTEN; read = false; break;
	case SC_BIND: text = "binding"; sp_nonblocking(req->fd); break;
	case SC_UDP: protocol = req->port; break;
	}
	struct socket *s = ss_setup(ss, req->id, req->fd, protocol, req->opaque, state);
	s->bound = req->type == SC_BIND;
	if (req->type == SC_UDP && req->address[0])
		memcpy(s->udp_peer, req->address, UDP_ADDRESS_SIZE);
	if (read && !ss_set_events(ss, s, true, false))
		return;
	if (req->type == SC_LISTEN)
		report_listen(ss, s, req);
	else if (text)
		ss_emit(ss, SOCKET_OPEN, req->id, req->opaque, 0, NULL, text);
}

/* A TCP peer that stops answering (host gone, network cut: no FIN or RST
 * ever comes) is given up after about `seconds`: keepalive probes start when
 * the link has been silent for half of it, and data or probes unacknowledged
 * for the whole of it abort the connection (ETIMEDOUT), which reaches the
 * owner as an error like any other. 0 leaves the system's timing (hours). */
static void
set_keepalive(int fd, int seconds) {
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	if (seconds <= 0)
		return;
	int idle = seconds / 2 > 0 ? seconds / 2 : 1;
	int intvl = seconds / 6 > 0 ? seconds / 6 : 1;
	int cnt = 3;
	unsigned int user_ms = (unsigned int)seconds * 1000u;
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_ms, sizeof(user_ms));
}

static void
handle_request(struct socket_server *ss, struct sc_request *req) {
	struct socket *s;
	switch (req->type) {
	case SC_START: req_start(ss, req); break;
	case SC_PAUSE: req_pause(ss, req); break;
	case SC_CLOSE: req_close(ss, req); break;
	case SC_SHUTDOWN: req_shutdown(ss, req); break;
	case SC_SEND:
	case SC_SEND_LOW:
	case SC_SEND_UDP: req_send(ss, req); break;
	case SC_DIRECT:
		if ((s = ss_live(ss, req->id)) != NULL && s->dw_buffer)
			sio_flush(ss, s);
		break;
	case SC_CONNECT: req_connect(ss, req); break;
	case SC_LISTEN:
	case SC_BIND:
	case SC_UDP: req_adopt(ss, req); break;
	case SC_NODELAY:
		if ((s = ss_live(ss, req->id)) != NULL && s->protocol == P_TCP) {
			int one = 1;
			setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		}
		break;
	case SC_KEEPALIVE:
		if ((s = ss_live(ss, req->id)) != NULL && s->protocol == P_TCP)
			set_keepalive(s->fd, (int)req->opaque);
		break;
	case SC_UDP_CONNECT:
		if ((s = ss_live(ss, req->id)) != NULL && s->protocol != P_TCP)
			memcpy(s->udp_peer, req->address, UDP_ADDRESS_SIZE);
		break;
	case SC_LIMIT:
		if ((s = ss_live(ss, req->id)) != NULL) {
			STAT_SET(s->write_limit, (int64_t)req->opaque);
			sg_write_overflow(ss, s);
		}
		break;
	case SC_OVERFLOW:
		if ((s = ss_live(ss, req->id)) != NULL)
			sg_overflow(ss, s);
		break;
	case SC_EXIT:
		ss_emit(ss, SOCKET_EXIT, 0, 0, 0, NULL, NULL);
		break;
	}
}

static void
handle_event(struct socket_server *ss, struct sp_event *e) {
	struct socket *s = ss_live(ss, (int)e->key);
	if (s == NULL)
		return; /* closed earlier in this round */
	int state = ATOM_LOAD(&s->type);
	if (state == S_CONNECTING) {
		sio_connected(ss, s);
		return;
	}
	if (e->error && !e->read) {
		int err = 0;
		socklen_t len = sizeof(err);
		getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		ss_fail(ss, s, strerror(err ? err : EIO));
		return;
	}
	if ((e->read || e->eof) && s->reading) {
		if (state == S_LISTEN)
			sio_accept(ss, s);
		else if (s->protocol == P_TCP)
			sio_read(ss, s);
		else
			sio_read_udp(ss, s);
		if (ss_live(ss, (int)e->key) != s)
			return;
	}
	if (e->write && s->writing)
		sio_flush(ss, s);
	if (e->eof && !s->reading && ss_live(ss, (int)e->key) == s) {
		/* Hung up while we were not reading: nothing can go out any more. */
		if (!s->reported)
			ss_emit(ss, SOCKET_CLOSE, ATOM_LOAD(&s->id), s->opaque, 0, NULL, NULL);
		s->reported = true;
		ss_force_close(ss, s);
	}
}

/* ---- public: create, poll, release ---- */

struct socket_server *
socket_server_create(uint64_t time) {
	/* A write to a reset peer must come back as EPIPE, not kill the process. */
	signal(SIGPIPE, SIG_IGN);
	struct socket_server *ss = skynet_calloc(1, sizeof(*ss));
	if (ss == NULL)
		return NULL;
	ss->time = time;
	ss->pipe.rfd = ss->pipe.wfd = -1;
	ss->efd = sp_create();
	ss->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ss->efd < 0 || ss->wake_fd < 0 || sc_open(&ss->pipe) < 0 ||
		sp_add(ss->efd, ss->pipe.rfd, PIPE_KEY, true, false) < 0) {
		sp_release(ss->efd);
		if (ss->wake_fd >= 0)
			close(ss->wake_fd);
		sc_close(&ss->pipe);
		skynet_free(ss);
		return NULL;
	}
	ss->write_limit = 0;
	ss->input_limit = 0;
	ss->fd_watermark = 0; /* read from the limit at the first accept */
	for (int i = 0; i < SOCKET_MAX; i++) {
		struct socket *s = &ss->slot[i];
		ATOM_INIT(&s->type, S_INVALID);
		ATOM_INIT(&s->id, 0);
		ATOM_INIT(&s->sending, 0);
		ATOM_INIT(&s->wb_empty, 1);
		spinlock_init(&s->dw_lock);
		s->fd = -1;
	}
	ATOM_INIT(&ss->alloc_id, 0);
	return ss;
}

void
socket_server_release(struct socket_server *ss) {
	if (ss == NULL)
		return;
	for (int i = 0; i < SOCKET_MAX; i++) {
		struct socket *s = &ss->slot[i];
		if (ATOM_LOAD(&s->type) == S_RESERVE)
			ATOM_STORE(&s->type, S_INVALID);
		else
			ss_force_close(ss, s);
	}
	/* Requests still in the pipe may own send buffers. */
	struct sc_request req;
	while (sc_next(&ss->pipe, &req)) {
		if (req.type == SC_SEND || req.type == SC_SEND_LOW || req.type == SC_SEND_UDP)
			skynet_free(req.buffer);
		else if (req.type == SC_LISTEN || req.type == SC_BIND || req.type == SC_UDP)
			close(req.fd);
	}
	for (int i = 0; i < ss->pending_count; i++) {
		struct pending_report *p = &ss->pending[(ss->pending_head + i) % PENDING_MAX];
		if (p->type == SOCKET_DATA || p->type == SOCKET_UDP)
			skynet_free(p->msg.data);
	}
	sc_close(&ss->pipe);
	sp_release(ss->efd);
	close(ss->wake_fd);
	skynet_free(ss->holds);
	skynet_free(ss);
}

void
socket_server_abandon(struct socket_server *ss, int id) {
	struct socket *s = ss_live(ss, id);
	if (s) {
		s->reported = true;
		ss_force_close(ss, s);
	}
}

void
socket_server_callbacks(struct socket_server *ss, socket_log_fn log, socket_queue_fn queued,
	void *ud) {
	ss->log = log;
	ss->queued = queued;
	ss->cb_ud = ud;
}

void
socket_server_limits(struct socket_server *ss, int64_t write_limit, int64_t input_limit) {
	ss->write_limit = write_limit > 0 ? write_limit : 0;
	ss->input_limit = input_limit > 0 ? input_limit : 0;
}

void
socket_server_updatetime(struct socket_server *ss, uint64_t time) {
	ss->time = time;
}

/* Fetches the events ready now, or (block) waits for some until the next
 * input hold expires. */
static int
ss_wait(struct socket_server *ss, bool block) {
	return sp_wait(ss->efd, ss->events, MAX_EVENTS, block ? sg_timeout(ss) : 0);
}

static int
ss_poll(struct socket_server *ss, struct socket_message *result, int *more, bool block) {
	for (;;) {
		if (ss->pending_count > 0) {
			struct pending_report *p = &ss->pending[ss->pending_head];
			ss->pending_head = (ss->pending_head + 1) % PENDING_MAX;
			ss->pending_count--;
			*result = p->msg;
			if (more)
				*more = ss->pending_count > 0 || ss->event_index < ss->event_n;
			return p->type;
		}
		if (ss->checkctrl) {
			struct sc_request req;
			if (sc_next(&ss->pipe, &req)) {
				handle_request(ss, &req);
				continue;
			}
			ss->checkctrl = false;
		}
		if (ss->event_index < ss->event_n) {
			struct sp_event *e = &ss->events[ss->event_index++];
			if (e->key == PIPE_KEY)
				ss->checkctrl = true;
			else
				handle_event(ss, e);
			continue;
		}
		ss->event_index = 0;
		sg_release_due(ss);
		if (ss->pending_count > 0)
			continue;
		ss->event_n = ss_wait(ss, block);
		if (ss->event_n < 0) {
			ss->event_n = 0;
			if (errno != EINTR)
				return -1;
		}
		if (ss->event_n == 0 && !block)
			return SOCKET_NONE;
	}
}

int
socket_server_poll(struct socket_server *ss, struct socket_message *result, int *more) {
	return ss_poll(ss, result, more, true);
}

int
socket_server_try_poll(struct socket_server *ss, struct socket_message *result, int *more) {
	return ss_poll(ss, result, more, false);
}

int
socket_server_timeout(struct socket_server *ss) {
	return sg_timeout(ss);
}

/* Sleeps on the epoll fd itself (readable while it has ready events) and on
 * the wake eventfd. Another poller may take the events first, which is the
 * point; a wake-up, though, must reach this thread, and a request in the
 * command pipe could be read by a worker before the kernel lets this thread
 * run (epoll re-checks readiness and sleeps again). */
void
socket_server_wait(struct socket_server *ss, int timeout_ms) {
	struct pollfd fds[2] = {
		{ .fd = ss->efd, .events = POLLIN },
		{ .fd = ss->wake_fd, .events = POLLIN },
	};
	if (poll(fds, 2, timeout_ms) > 0 && (fds[1].revents & POLLIN)) {
		uint64_t n;
		ssize_t r = read(ss->wake_fd, &n, sizeof(n)); /* resets the counter */
		(void)r;
	}
}

void
socket_server_wakeup(struct socket_server *ss) {
	uint64_t one = 1;
	/* Fails (EAGAIN) only with the counter near 2^64: a wake-up is pending. */
	ssize_t r = write(ss->wake_fd, &one, sizeof(one));
	(void)r;
}
