/* socket_poll.h: the poller, a thin layer over epoll.
 *
 * The socket thread is the only user. Each registration carries a 64-bit key
 * (the socket id, or a sentinel for the command pipe) rather than a pointer, so
 * an event that arrives for a socket closed and replaced in the same round can be
 * recognised as stale by comparing ids. Level-triggered: a reader that leaves
 * bytes behind is woken again. */
#ifndef SKYNET_SOCKET_POLL_H
#define SKYNET_SOCKET_POLL_H

#include <stdbool.h>
#include <stdint.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/epoll.h>

struct sp_event {
	uint64_t key;
	bool read;
	bool write;
	bool error;
	bool eof; /* peer hung up (EPOLLHUP); a read will return 0 or an error */
};

static inline int
sp_create(void) {
	return epoll_create1(EPOLL_CLOEXEC);
}

static inline void
sp_release(int efd) {
	if (efd >= 0)
		close(efd);
}

static inline uint32_t
sp_mask(bool read, bool write) {
	return (read ? EPOLLIN : 0) | (write ? EPOLLOUT : 0);
}

static inline int
sp_ctl(int efd, int op, int fd, uint64_t key, bool read, bool write) {
	struct epoll_event ev;
	ev.events = sp_mask(read, write);
	ev.data.u64 = key;
	return epoll_ctl(efd, op, fd, &ev);
}

/* Returns 0 or -1 (errno set). */
static inline int
sp_add(int efd, int fd, uint64_t key, bool read, bool write) {
	return sp_ctl(efd, EPOLL_CTL_ADD, fd, key, read, write);
}

static inline int
sp_enable(int efd, int fd, uint64_t key, bool read, bool write) {
	return sp_ctl(efd, EPOLL_CTL_MOD, fd, key, read, write);
}

static inline void
sp_del(int efd, int fd) {
	epoll_ctl(efd, EPOLL_CTL_DEL, fd, NULL);
}

/* Blocks until at least one event, timeout_ms (-1: no limit; returns 0) or a
 * signal (returns -1 with EINTR). */
static inline int
sp_wait(int efd, struct sp_event *out, int max, int timeout_ms) {
	struct epoll_event ev[max];
	int n = epoll_wait(efd, ev, max, timeout_ms);
	for (int i = 0; i < n; i++) {
		uint32_t f = ev[i].events;
		out[i].key = ev[i].data.u64;
		out[i].read = (f & EPOLLIN) != 0;
		out[i].write = (f & EPOLLOUT) != 0;
		out[i].error = (f & EPOLLERR) != 0;
		out[i].eof = (f & EPOLLHUP) != 0;
	}
	return n;
}

static inline int
sp_nonblocking(int fd) {
	int flags = fcntl(fd, F_GETFL, 0);
	if (flags < 0)
		return -1;
	return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

#endif
