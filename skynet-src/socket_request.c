/* socket_request.c: the thread-safe side of the socket server. Every function here
 * may run on any thread: it creates fds that can fail synchronously (listen, UDP),
 * reserves ids, and posts requests to the socket thread. The one shortcut is the
 * direct write in socket_server_send (see try_direct_write). */
#include "socket_internal.h"
#include "skynet_malloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void
request_init(struct sc_request *req, int type, int id) {
	memset(req, 0, offsetof(struct sc_request, host));
	req->type = (uint8_t)type;
	req->id = id;
}

static void
post_simple(struct socket_server *ss, int type, int id, uintptr_t opaque) {
	struct sc_request req;
	request_init(&req, type, id);
	req.opaque = opaque;
	sc_post(&ss->pipe, &req);
}

/* A reserved id whose request could not be posted goes back to the table. */
static int
post_open(struct socket_server *ss, struct sc_request *req) {
	if (sc_post(&ss->pipe, req) == 0)
		return req->id;
	if (req->type != SC_CONNECT)
		close(req->fd);
	ATOM_STORE(&ss_slot(ss, req->id)->type, S_INVALID);
	return -1;
}

/* The system's own cap on accept queues (net.core.somaxconn), so a burst of
 * connections waits in the kernel instead of being retried with SYNs; 1024
 * when it cannot be read. Read once. */
static int
default_backlog(void) {
	static int backlog;
	if (backlog > 0)
		return backlog;
	int n = 0;
	FILE *f = fopen("/proc/sys/net/core/somaxconn", "re");
	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = 0;
		fclose(f);
	}
	backlog = n > 0 ? n : 1024;
	return backlog;
}

/* Resolves and creates a bound socket; returns the fd or -1. */
static int
bind_socket(const char *host, int port, int socktype, int *family) {
	struct addrinfo hints, *list = NULL;
	char service[16];
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = socktype;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(service, sizeof(service), "%d", port);
	if (host && host[0] == '\0')
		host = NULL;
	if (getaddrinfo(host, service, &hints, &list) != 0)
		return -1;
	int fd = -1;
	for (struct addrinfo *ai = list; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		int one = 1;
		if (socktype == SOCK_STREAM)
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			*family = ai->ai_family;
			break;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(list);
	return fd;
}

static int
resolve_udp(const char *host, int port, uint8_t *out) {
	struct addrinfo hints, *list = NULL;
	char service[16];
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(service, sizeof(service), "%d", port);
	if (host == NULL || getaddrinfo(host, service, &hints, &list) != 0)
		return -1;
	int r = -1;
	const struct sockaddr *sa = list->ai_addr;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
		out[0] = UDP_ADDRESS_V4;
		memcpy(out + 1, &a->sin_port, 2);
		memcpy(out + 3, &a->sin_addr, 4);
		r = 0;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
		out[0] = UDP_ADDRESS_V6;
		memcpy(out + 1, &a->sin6_port, 2);
		memcpy(out + 3, &a->sin6_addr, 16);
		r = 0;
	}
	freeaddrinfo(list);
	return r;
}

/* The fast path: when nothing is queued for the socket (no list, no posted send,
 * no earlier partial direct write), the caller writes to the kernel itself and
 * saves a trip through the pipe and the socket thread. The per-socket spinlock
 * excludes the socket thread closing the fd; a remainder the kernel did not take
 * is parked in the slot and the socket thread is told to queue it first. Returns
 * 1 when buffer was consumed. */
static int
try_direct_write(struct socket_server *ss, struct socket *s, int id, void *buffer, int sz) {
	if (!spinlock_trylock(&s->dw_lock))
		return 0;
	if (ATOM_LOAD(&s->id) != id || ATOM_LOAD(&s->type) != S_CONNECTED || s->protocol != P_TCP ||
		s->fd < 0 || ATOM_LOAD(&s->sending) != 0 || !ATOM_LOAD(&s->wb_empty) || s->dw_buffer) {
		spinlock_unlock(&s->dw_lock);
		return 0;
	}
	ssize_t n;
	do {
		n = write(s->fd, buffer, sz);
	} while (n < 0 && errno == EINTR);
	if (n > 0)
		STAT_ADD(s->dw_written, (uint64_t)n);
	if (n == sz) {
		spinlock_unlock(&s->dw_lock);
		skynet_free(buffer);
		return 1;
	}
	/* EAGAIN, or an error the socket thread will meet on its own write. */
	if (n < 0)
		n = 0;
	s->dw_buffer = buffer;
	s->dw_size = sz;
	s->dw_offset = (int)n;
	spinlock_unlock(&s->dw_lock);
	struct sc_request req;
	request_init(&req, SC_DIRECT, id);
	sc_post(&ss->pipe, &req);
	return 1;
}

static int
send_request(struct socket_server *ss, int type, int id, void *buffer, int sz) {
	struct socket *s = ss_slot(ss, id);
	if (buffer == NULL || sz <= 0 || id <= 0 || ATOM_LOAD(&s->id) != id ||
		ATOM_LOAD(&s->type) == S_INVALID) {
		skynet_free(buffer);
		return (id > 0 && ATOM_LOAD(&s->id) == id && sz == 0) ? 0 : -1;
	}
	/* Past the write limit the data is refused and the socket closed; the
	 * socket thread checks again with the exact count (posted sends included). */
	int64_t limit = STAT_GET(s->write_limit);
	if (limit > 0 && STAT_GET(s->wb_seen) + sz > limit) {
		skynet_free(buffer);
		struct sc_request over;
		request_init(&over, SC_OVERFLOW, id);
		sc_post(&ss->pipe, &over);
		return -1;
	}
	if (try_direct_write(ss, s, id, buffer, sz))
		return 0;
	struct sc_request req;
	request_init(&req, type, id);
	req.buffer = buffer;
	req.sz = sz;
	ATOM_FINC(&s->sending);
	if (sc_post(&ss->pipe, &req) < 0) {
		ATOM_FDEC(&s->sending);
		skynet_free(buffer);
		return -1;
	}
	return 0;
}

void
socket_server_exit(struct socket_server *ss) {
	post_simple(ss, SC_EXIT, 0, 0);
}

void
socket_server_close(struct socket_server *ss, uintptr_t opaque, int id) {
	post_simple(ss, SC_CLOSE, id, opaque);
}

void
socket_server_shutdown(struct socket_server *ss, uintptr_t opaque, int id) {
	post_simple(ss, SC_SHUTDOWN, id, opaque);
}

void
socket_server_start(struct socket_server *ss, uintptr_t opaque, int id) {
	post_simple(ss, SC_START, id, opaque);
}

void
socket_server_pause(struct socket_server *ss, uintptr_t opaque, int id) {
	post_simple(ss, SC_PAUSE, id, opaque);
}

void
socket_server_write_limit(struct socket_server *ss, int id, int64_t bytes) {
	struct sc_request req;
	request_init(&req, SC_LIMIT, id);
	req.opaque = (uintptr_t)(bytes > 0 ? bytes : 0);
	sc_post(&ss->pipe, &req);
}

void
socket_server_nodelay(struct socket_server *ss, int id) {
	post_simple(ss, SC_NODELAY, id, 0);
}

void
socket_server_keepalive(struct socket_server *ss, int id, int seconds) {
	post_simple(ss, SC_KEEPALIVE, id, (uintptr_t)(seconds > 0 ? seconds : 0));
}

int
socket_server_send(struct socket_server *ss, int id, void *buffer, int sz) {
	return send_request(ss, SC_SEND, id, buffer, sz);
}

int
socket_server_send_lowpriority(struct socket_server *ss, int id, void *buffer, int sz) {
	return send_request(ss, SC_SEND_LOW, id, buffer, sz);
}

int
socket_server_listen(struct socket_server *ss, uintptr_t opaque, const char *addr, int port,
	int backlog) {
	if (port < 0 || port > 65535)
		return -1;
	int family;
	int fd = bind_socket(addr, port, SOCK_STREAM, &family);
	if (fd < 0)
		return -1;
	if (listen(fd, backlog > 0 ? backlog : default_backlog()) < 0) {
		close(fd);
		return -1;
	}
	int id = ss_reserve_id(ss);
	if (id < 0) {
		close(fd);
		return -1;
	}
	struct sc_request req;
	request_init(&req, SC_LISTEN, id);
	req.opaque = opaque;
	req.fd = fd;
	return post_open(ss, &req);
}

int
socket_server_connect(struct socket_server *ss, uintptr_t opaque, const char *addr, int port) {
	if (addr == NULL || strlen(addr) >= SC_HOST_MAX || port <= 0 || port > 65535)
		return -1;
	int id = ss_reserve_id(ss);
	if (id < 0)
		return -1;
	struct sc_request req;
	request_init(&req, SC_CONNECT, id);
	req.opaque = opaque;
	req.port = port;
	strcpy(req.host, addr);
	return post_open(ss, &req);
}

int
socket_server_bind(struct socket_server *ss, uintptr_t opaque, int fd) {
	if (fd < 0)
		return -1;
	int id = ss_reserve_id(ss);
	if (id < 0)
		return -1;
	struct sc_request req;
	request_init(&req, SC_BIND, id);
	req.opaque = opaque;
	req.fd = fd;
	return post_open(ss, &req);
}

int
socket_server_udp(struct socket_server *ss, uintptr_t opaque, const char *addr, int port) {
	int fd, family = AF_INET;
	if (addr && addr[0]) {
		fd = bind_socket(addr, port, SOCK_DGRAM, &family);
	} else {
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	}
	if (fd < 0)
		return -1;
	int id = ss_reserve_id(ss);
	if (id < 0) {
		close(fd);
		return -1;
	}
	struct sc_request req;
	request_init(&req, SC_UDP, id);
	req.opaque = opaque;
	req.fd = fd;
	req.port = family == AF_INET6 ? P_UDP6 : P_UDP4;
	return post_open(ss, &req);
}

int
socket_server_udp_listen(struct socket_server *ss, uintptr_t opaque, const char *addr, int port) {
	if (addr == NULL || port < 0 || port > 65535)
		return -1;
	return socket_server_udp(ss, opaque, addr[0] ? addr : "0.0.0.0", port);
}

/* Resolves addr:port, creates a datagram socket of its family and connects it. */
static int
dial_udp(const char *addr, int port, uint8_t *peer, int *family) {
	if (resolve_udp(addr, port, peer) < 0)
		return -1;
	struct sockaddr_storage sa;
	memset(&sa, 0, sizeof(sa));
	socklen_t len;
	if (peer[0] == UDP_ADDRESS_V4) {
		struct sockaddr_in *a = (struct sockaddr_in *)&sa;
		a->sin_family = AF_INET;
		memcpy(&a->sin_port, peer + 1, 2);
		memcpy(&a->sin_addr, peer + 3, 4);
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&sa;
		a->sin6_family = AF_INET6;
		memcpy(&a->sin6_port, peer + 1, 2);
		memcpy(&a->sin6_addr, peer + 3, 16);
		len = sizeof(*a);
	}
	*family = sa.ss_family;
	int fd = socket(sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int
socket_server_udp_dial(struct socket_server *ss, uintptr_t opaque, const char *addr, int port) {
	if (addr == NULL || port <= 0 || port > 65535)
		return -1;
	struct sc_request req;
	int family = AF_INET;
	request_init(&req, SC_UDP, 0);
	int fd = dial_udp(addr, port, req.address, &family);
	if (fd < 0)
		return -1;
	int id = ss_reserve_id(ss);
	if (id < 0) {
		close(fd);
		return -1;
	}
	req.id = id;
	req.opaque = opaque;
	req.fd = fd;
	req.port = family == AF_INET6 ? P_UDP6 : P_UDP4;
	return post_open(ss, &req);
}

int
socket_server_udp_connect(struct socket_server *ss, int id, const char *addr, int port) {
	struct sc_request req;
	request_init(&req, SC_UDP_CONNECT, id);
	if (resolve_udp(addr, port, req.address) < 0)
		return -1;
	return sc_post(&ss->pipe, &req);
}

int
socket_server_udp_send(struct socket_server *ss, int id, const uint8_t *address, void *buffer,
	int sz) {
	struct socket *s = ss_slot(ss, id);
	int asz = address ? udp_address_size(address) : 0;
	if (buffer == NULL || sz < 0 || (address && asz == 0) || ATOM_LOAD(&s->id) != id ||
		ATOM_LOAD(&s->type) == S_INVALID) {
		skynet_free(buffer);
		return -1;
	}
	struct sc_request req;
	request_init(&req, SC_SEND_UDP, id);
	req.buffer = buffer;
	req.sz = sz;
	if (address)
		memcpy(req.address, address, asz);
	if (sc_post(&ss->pipe, &req) < 0) {
		skynet_free(buffer);
		return -1;
	}
	return 0;
}

const uint8_t *
socket_server_udp_address(const struct socket_message *msg, int *addrsz) {
	if (msg->data == NULL || msg->ud < 0)
		return NULL;
	const uint8_t *addr = (const uint8_t *)msg->data + msg->ud;
	int n = udp_address_size(addr);
	if (n == 0)
		return NULL;
	*addrsz = n;
	return addr;
}

int
socket_server_udp_address_text(const uint8_t *address, int addrsz, char *ip, int ipsz, int *port) {
	if (address == NULL || addrsz < 1 || udp_address_size(address) != addrsz)
		return -1;
	uint16_t nport;
	memcpy(&nport, address + 1, 2);
	*port = ntohs(nport);
	int family = address[0] == UDP_ADDRESS_V4 ? AF_INET : AF_INET6;
	return inet_ntop(family, address + 3, ip, ipsz) ? 0 : -1;
}
