/* socket_io.c: the socket thread's I/O on ready sockets: TCP and UDP reads with an
 * adaptive read size, accept (surviving EMFILE), connect completion, and writing
 * the two-priority output lists with the unsent-bytes warnings. Everything here
 * runs on the socket thread; reports go out through ss_emit. */
#define _GNU_SOURCE
#include "socket_internal.h"
#include "skynet_malloc.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

static void
udp_addr_from_sockaddr(const struct sockaddr *sa, uint8_t *out) {
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
		out[0] = UDP_ADDRESS_V6;
		memcpy(out + 1, &a->sin6_port, 2);
		memcpy(out + 3, &a->sin6_addr, 16);
	} else {
		const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
		out[0] = UDP_ADDRESS_V4;
		memcpy(out + 1, &a->sin_port, 2);
		memcpy(out + 3, &a->sin_addr, 4);
	}
}

/* Returns the sockaddr length, or 0 if the address does not suit the socket. */
static socklen_t
udp_addr_to_sockaddr(int protocol, const uint8_t *addr, struct sockaddr_storage *out) {
	memset(out, 0, sizeof(*out));
	if (addr[0] == UDP_ADDRESS_V4 && protocol == P_UDP4) {
		struct sockaddr_in *a = (struct sockaddr_in *)out;
		a->sin_family = AF_INET;
		memcpy(&a->sin_port, addr + 1, 2);
		memcpy(&a->sin_addr, addr + 3, 4);
		return sizeof(*a);
	}
	if (addr[0] == UDP_ADDRESS_V6 && protocol == P_UDP6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)out;
		a->sin6_family = AF_INET6;
		memcpy(&a->sin6_port, addr + 1, 2);
		memcpy(&a->sin6_addr, addr + 3, 16);
		return sizeof(*a);
	}
	return 0;
}

void
sio_read(struct socket_server *ss, struct socket *s) {
	int sz = s->read_size;
	char *buf = skynet_malloc(sz);
	ssize_t n;
	do {
		n = read(s->fd, buf, sz);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		int err = errno;
		skynet_free(buf);
		if (err != EAGAIN && err != EWOULDBLOCK)
			ss_fail(ss, s, strerror(err));
		return;
	}
	if (n == 0) {
		skynet_free(buf);
		/* Peer EOF: one CLOSE report now; output still queued is flushed first,
		 * then the socket closes without a second report. */
		if (!s->reported) {
			s->reported = true;
			ss_emit(ss, SOCKET_CLOSE, ATOM_LOAD(&s->id), s->opaque, 0, NULL, NULL);
		}
		sio_absorb_direct(ss, s);
		if (wb_list_empty(&s->high) && wb_list_empty(&s->low)) {
			ss_force_close(ss, s);
		} else {
			ATOM_STORE(&s->type, S_HALFCLOSE_READ);
			ss_set_events(ss, s, false, true);
		}
		return;
	}
	/* Grow when the buffer was filled (more is likely waiting), shrink when it was
	 * mostly empty, so idle chatty sockets do not pin large buffers. */
	STAT_ADD(s->stat_read, (uint64_t)n);
	STAT_SET(s->rtime, ss->time);
	if (n == sz && sz < READ_SIZE_MAX)
		s->read_size = sz * 2;
	else if (sz > READ_SIZE_MIN && n * 2 < sz)
		s->read_size = sz / 2;
	ss_emit(ss, SOCKET_DATA, ATOM_LOAD(&s->id), s->opaque, (int)n, buf, NULL);
	sg_input(ss, s, (int)n);
}

void
sio_read_udp(struct socket_server *ss, struct socket *s) {
	struct sockaddr_storage from;
	socklen_t len = sizeof(from);
	ssize_t n;
	do {
		n = recvfrom(s->fd, ss->udpbuf, sizeof(ss->udpbuf), 0, (struct sockaddr *)&from, &len);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		int err = errno;
		/* ICMP errors surface here (ECONNREFUSED after a send to a closed port):
		 * a datagram socket stays usable, so they are not fatal. */
		if (err != EAGAIN && err != EWOULDBLOCK && err != ECONNREFUSED && err != EHOSTUNREACH &&
			err != ENETUNREACH)
			ss_fail(ss, s, strerror(err));
		return;
	}
	STAT_ADD(s->stat_read, (uint64_t)n);
	STAT_SET(s->rtime, ss->time);
	uint8_t addr[UDP_ADDRESS_SIZE];
	udp_addr_from_sockaddr((struct sockaddr *)&from, addr);
	int asz = udp_address_size(addr);
	char *buf = skynet_malloc(n + asz);
	memcpy(buf, ss->udpbuf, n);
	memcpy(buf + n, addr, asz);
	ss_emit(ss, SOCKET_UDP, ATOM_LOAD(&s->id), s->opaque, (int)n, buf, NULL);
}

void
sio_accept(struct socket_server *ss, struct socket *s) {
	if (sg_accept_tight(ss, s))
		return;
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);
	int fd = accept4(s->fd, (struct sockaddr *)&sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
	int listen_id = ATOM_LOAD(&s->id);
	if (fd < 0) {
		int err = errno;
		/* Out of fds (or kernel memory): the pending connection keeps the
		 * listener readable, so back off instead of spinning (socket_guard.c). */
		if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM)
			sg_accept_failed(ss, s, err);
		return;
	}
	sg_accept_ok(ss, s, fd);
	int id = ss_reserve_id(ss);
	if (id < 0) {
		close(fd);
		ss_emit(ss, SOCKET_ERR, listen_id, s->opaque, 0, NULL, "accept: socket table full");
		return;
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	STAT_ADD(s->stat_read, 1);
	STAT_SET(s->rtime, ss->time);
	ss_setup(ss, id, fd, P_TCP, s->opaque, S_PACCEPT);
	char text[TEXT_MAX];
	ss_addr_text((struct sockaddr *)&sa, text, sizeof(text), NULL);
	ss_emit(ss, SOCKET_ACCEPT, listen_id, s->opaque, id, NULL, text);
}

void
sio_connected(struct socket_server *ss, struct socket *s) {
	int err = 0;
	socklen_t len = sizeof(err);
	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err) {
		ss_fail(ss, s, strerror(err));
		return;
	}
	ATOM_STORE(&s->type, S_CONNECTED);
	struct sockaddr_storage sa;
	len = sizeof(sa);
	char text[TEXT_MAX] = "";
	if (getpeername(s->fd, (struct sockaddr *)&sa, &len) == 0)
		ss_addr_text((struct sockaddr *)&sa, text, sizeof(text), NULL);
	bool pending = !wb_list_empty(&s->high) || !wb_list_empty(&s->low);
	if (!ss_set_events(ss, s, true, pending))
		return;
	ss_emit(ss, SOCKET_OPEN, ATOM_LOAD(&s->id), s->opaque, 0, NULL, text);
	if (pending)
		sio_flush(ss, s);
}

/* Unsent bytes grew: warn the owner at 1 MiB and at every doubling after. */
static void
check_warning(struct socket_server *ss, struct socket *s) {
	STAT_SET(s->wb_seen, s->wb_size);
	if (s->wb_size >= s->warn_size) {
		ss_emit(ss, SOCKET_WARNING, ATOM_LOAD(&s->id), s->opaque, (int)(s->wb_size / 1024),
			NULL, NULL);
		while (s->warn_size <= s->wb_size)
			s->warn_size *= 2;
	}
}

void
sio_absorb_direct(struct socket_server *ss, struct socket *s) {
	spinlock_lock(&s->dw_lock);
	void *buf = s->dw_buffer;
	int size = s->dw_size, offset = s->dw_offset;
	s->dw_buffer = NULL;
	spinlock_unlock(&s->dw_lock);
	if (buf == NULL)
		return;
	struct write_buffer *wb = wb_new(buf, size, NULL);
	if (wb == NULL)
		return;
	wb->ptr += offset;
	wb->sz -= offset;
	wb_list_prepend(&s->high, wb);
	s->wb_size += wb->sz;
	ATOM_STORE(&s->wb_empty, 0);
	check_warning(ss, s);
}

void
sio_queue(struct socket_server *ss, struct socket *s, bool high, void *buffer, int sz,
	const uint8_t *udp_address) {
	sio_absorb_direct(ss, s);
	struct write_buffer *wb = wb_new(buffer, sz, udp_address);
	if (wb == NULL)
		return;
	wb_list_append(high ? &s->high : &s->low, wb);
	ATOM_STORE(&s->wb_empty, 0);
	s->wb_size += sz;
	if (sg_write_overflow(ss, s))
		return;
	check_warning(ss, s);
	/* A connect in progress writes once it completes. */
	if (ATOM_LOAD(&s->type) != S_CONNECTING)
		sio_flush(ss, s);
}

/* Returns 0 when the list drained, 1 when the kernel is full, -1 on error (errno). */
static int
write_list(struct socket_server *ss, struct socket *s, struct wb_list *l) {
	struct write_buffer *wb;
	while ((wb = l->head) != NULL) {
		ssize_t n;
		if (s->protocol == P_TCP) {
			n = write(s->fd, wb->ptr, wb->sz);
		} else {
			struct sockaddr_storage sa;
			const uint8_t *addr = wb->udp_address[0] ? wb->udp_address : s->udp_peer;
			socklen_t alen = addr[0] ? udp_addr_to_sockaddr(s->protocol, addr, &sa) : 0;
			if (alen == 0) {
				n = wb->sz; /* no usable destination: drop the datagram */
			} else {
				n = sendto(s->fd, wb->ptr, wb->sz, MSG_NOSIGNAL, (struct sockaddr *)&sa, alen);
				if (n < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
					n = wb->sz; /* a datagram error is not the socket's death */
			}
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 1;
			return -1;
		}
		s->wb_size -= n;
		STAT_ADD(s->stat_write, (uint64_t)n);
		STAT_SET(s->wtime, ss->time);
		wb->ptr += n;
		wb->sz -= n;
		if (wb->sz > 0)
			return 1;
		wb_free(wb_list_pop(l));
	}
	return 0;
}

void
sio_flush(struct socket_server *ss, struct socket *s) {
	sio_absorb_direct(ss, s);
	int r = write_list(ss, s, &s->high);
	/* Low priority data goes out only behind an empty high list; a low buffer
	 * moves to the high list before writing so that, if it is cut short, it
	 * finishes before anything queued later. */
	while (r == 0 && !wb_list_empty(&s->low)) {
		wb_list_append(&s->high, wb_list_pop(&s->low));
		r = write_list(ss, s, &s->high);
	}
	STAT_SET(s->wb_seen, s->wb_size);
	if (r < 0) {
		int err = errno;
		if (ATOM_LOAD(&s->type) == S_CLOSING) {
			if (!s->reported)
				ss_emit(ss, SOCKET_CLOSE, ATOM_LOAD(&s->id), s->opaque, 0, NULL, NULL);
			s->reported = true;
			ss_force_close(ss, s);
		} else {
			ss_fail(ss, s, strerror(err));
		}
		return;
	}
	if (r > 0) {
		ss_set_events(ss, s, s->reading, true);
		return;
	}
	ATOM_STORE(&s->wb_empty, 1);
	if (s->warn_size > WARN_START) {
		s->warn_size = WARN_START;
		ss_emit(ss, SOCKET_WARNING, ATOM_LOAD(&s->id), s->opaque, 0, NULL, NULL);
	}
	switch (ATOM_LOAD(&s->type)) {
	case S_CLOSING:
		if (!s->reported)
			ss_emit(ss, SOCKET_CLOSE, ATOM_LOAD(&s->id), s->opaque, 0, NULL, NULL);
		s->reported = true;
		ss_force_close(ss, s);
		return;
	case S_HALFCLOSE_READ:
		ss_force_close(ss, s);
		return;
	case S_HALFCLOSE_WRITE:
		if (!s->shut_done) {
			shutdown(s->fd, SHUT_WR);
			s->shut_done = true;
		}
		break;
	default:
		break;
	}
	ss_set_events(ss, s, s->reading, false);
}
