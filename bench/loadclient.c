/* loadclient.c: TCP load generator for the echo benchmarks and tests.
 *
 *   loadclient [-v] [-t SECONDS] HOST PORT CONNECTIONS ROUNDS SIZE
 *
 * Opens CONNECTIONS non-blocking connections from one epoll thread. Each one
 * runs ROUNDS strictly sequential round trips: send a packet of SIZE payload
 * bytes behind a 2-byte big-endian length, read back exactly one packet and
 * compare it byte for byte. The payload differs per connection and round,
 * so a reply that belongs to another round or connection is caught too.
 * Prints one summary line and exits non-zero if any connection failed
 * (refused, closed, mismatched, or idle for the timeout, 30 s by default).
 * -v reports each failed connection on stderr.
 *
 * Elapsed time runs from the first connect to the last reply, so it
 * includes connection setup. */
#include "benchclient.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum conn_state { CONN_CONNECTING, CONN_RUNNING, CONN_DONE, CONN_FAILED };

struct conn {
	int fd;
	int id;
	enum conn_state state;
	long round;                  /* round trips completed */
	size_t sent;                 /* bytes of the current packet written */
	size_t got;                  /* bytes of the current reply read */
	double last_progress;
	unsigned char *out;          /* header + payload of the current round */
	unsigned char *in;
};

struct client {
	struct conn *conns;
	int nconn;
	long rounds;
	size_t size;
	size_t packet;               /* size + 2 */
	int verbose;
	double timeout;
	int epfd;
	int live;                    /* connections neither done nor failed */
	int errors;
};

static void __attribute__((format(printf, 3, 4)))
conn_fail(struct client *c, struct conn *k, const char *fmt, ...) {
	if (k->state == CONN_DONE || k->state == CONN_FAILED)
		return;
	if (c->verbose) {
		va_list ap;
		fprintf(stderr, "loadclient: connection %d failed after %ld rounds: ", k->id, k->round);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	if (k->fd >= 0) {
		close(k->fd);            /* also drops it from the epoll set */
		k->fd = -1;
	}
	k->state = CONN_FAILED;
	c->errors++;
	c->live--;
}

static void
conn_finish(struct client *c, struct conn *k) {
	close(k->fd);
	k->fd = -1;
	k->state = CONN_DONE;
	c->live--;
}

/* The payload depends on connection and round so a stale or foreign reply
 * cannot pass the comparison. */
static void
fill_packet(struct client *c, struct conn *k) {
	size_t i;
	uint32_t x = (uint32_t)k->id * 2654435761u + (uint32_t)k->round * 40503u + 1;
	k->out[0] = (unsigned char)(c->size >> 8);
	k->out[1] = (unsigned char)(c->size & 0xff);
	for (i = 0; i < c->size; i++) {
		x = x * 1103515245u + 12345u;
		k->out[2 + i] = (unsigned char)(x >> 16);
	}
	k->sent = 0;
	k->got = 0;
}

static void
watch(struct client *c, struct conn *k, int op, uint32_t events) {
	struct epoll_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = k;
	if (epoll_ctl(c->epfd, op, k->fd, &ev) != 0)
		conn_fail(c, k, "epoll_ctl: %s", strerror(errno));
}

/* Write what the socket takes; ask for EPOLLOUT only while some is left. */
static void
conn_write(struct client *c, struct conn *k) {
	while (k->sent < c->packet) {
		ssize_t n = send(k->fd, k->out + k->sent, c->packet - k->sent, MSG_NOSIGNAL);
		if (n > 0) {
			k->sent += (size_t)n;
			k->last_progress = bench_now();
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			watch(c, k, EPOLL_CTL_MOD, EPOLLIN | EPOLLOUT);
			return;
		} else {
			conn_fail(c, k, "send: %s", strerror(errno));
			return;
		}
	}
	watch(c, k, EPOLL_CTL_MOD, EPOLLIN);
}

static void
conn_start_round(struct client *c, struct conn *k) {
	fill_packet(c, k);
	conn_write(c, k);
}

/* Read no further than the expected reply: bytes beyond it belong to the
 * next packet (and, since we only send one at a time, show up as a
 * mismatch next round instead of being silently dropped). */
static void
conn_read(struct client *c, struct conn *k) {
	for (;;) {
		ssize_t n = recv(k->fd, k->in + k->got, c->packet - k->got, 0);
		if (n == 0) {
			conn_fail(c, k, "connection closed by peer (%zu of %zu reply bytes read)",
				k->got, c->packet);
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				conn_fail(c, k, "recv: %s", strerror(errno));
			return;
		}
		k->got += (size_t)n;
		k->last_progress = bench_now();
		if (k->got >= 2 && (k->in[0] != k->out[0] || k->in[1] != k->out[1])) {
			conn_fail(c, k, "reply length header %u, expected %zu",
				(unsigned)k->in[0] << 8 | k->in[1], c->size);
			return;
		}
		if (k->got < c->packet)
			continue;
		if (k->sent < c->packet) {
			conn_fail(c, k, "reply arrived before the request was fully sent");
			return;
		}
		if (memcmp(k->in, k->out, c->packet) != 0) {
			size_t i = 2;
			while (k->in[i] == k->out[i])
				i++;
			conn_fail(c, k, "payload mismatch at byte %zu", i - 2);
			return;
		}
		if (++k->round == c->rounds) {
			conn_finish(c, k);
			return;
		}
		conn_start_round(c, k);
		if (k->state != CONN_RUNNING)
			return;
	}
}

static void
conn_connected(struct client *c, struct conn *k) {
	int err = 0;
	socklen_t len = sizeof(err);
	if (getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (err != 0) {
		conn_fail(c, k, "connect: %s", strerror(err));
		return;
	}
	k->state = CONN_RUNNING;
	k->last_progress = bench_now();
	conn_start_round(c, k);
}

static void
conn_event(struct client *c, struct conn *k, uint32_t events) {
	if (k->state == CONN_CONNECTING) {
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			conn_connected(c, k);
		return;
	}
	if (k->state != CONN_RUNNING)
		return;
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
		conn_read(c, k);
	if (k->state == CONN_RUNNING && (events & EPOLLOUT) && k->sent < c->packet)
		conn_write(c, k);
}

static void
conn_open(struct client *c, struct conn *k, const struct addrinfo *ai) {
	int one = 1;
	k->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (k->fd < 0) {
		conn_fail(c, k, "socket: %s", strerror(errno));
		return;
	}
	/* Round trips of small packets: Nagle would add its delay to each one. */
	setsockopt(k->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	k->last_progress = bench_now();
	if (connect(k->fd, ai->ai_addr, ai->ai_addrlen) == 0) {
		watch(c, k, EPOLL_CTL_ADD, EPOLLIN);
		if (k->state == CONN_CONNECTING)
			conn_connected(c, k);
	} else if (errno == EINPROGRESS) {
		watch(c, k, EPOLL_CTL_ADD, EPOLLOUT);
	} else {
		conn_fail(c, k, "connect: %s", strerror(errno));
	}
}

static void
check_timeouts(struct client *c, double now) {
	int i;
	for (i = 0; i < c->nconn; i++) {
		struct conn *k = &c->conns[i];
		if ((k->state == CONN_CONNECTING || k->state == CONN_RUNNING) &&
			now - k->last_progress > c->timeout)
			conn_fail(c, k, "no progress for %.0f s (%zu of %zu bytes sent, %zu received)",
				c->timeout, k->sent, c->packet, k->got);
	}
}

static void
usage(void) {
	fprintf(stderr, "usage: loadclient [-v] [-t SECONDS] HOST PORT CONNECTIONS ROUNDS SIZE\n");
	exit(2);
}

int
main(int argc, char *argv[]) {
	struct client c;
	struct addrinfo hints, *ai = NULL;
	struct epoll_event *events;
	double start, elapsed, last_check;
	long total = 0;
	int opt, i, rc;

	memset(&c, 0, sizeof(c));
	c.timeout = 30;
	while ((opt = getopt(argc, argv, "vt:")) != -1) {
		switch (opt) {
		case 'v':
			c.verbose = 1;
			break;
		case 't':
			c.timeout = (double)bench_count("loadclient", optarg, "timeout", 1, 86400);
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 5)
		usage();
	c.nconn = (int)bench_count("loadclient", argv[optind + 2], "CONNECTIONS", 1, 1000000);
	c.rounds = bench_count("loadclient", argv[optind + 3], "ROUNDS", 1, 1000000000L);
	c.size = (size_t)bench_count("loadclient", argv[optind + 4], "SIZE", 1, 65535);
	c.packet = c.size + 2;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(argv[optind], argv[optind + 1], &hints, &ai);
	if (rc != 0) {
		fprintf(stderr, "loadclient: %s:%s: %s\n", argv[optind], argv[optind + 1], gai_strerror(rc));
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	bench_fd_limit("loadclient", c.nconn + 16); /* short of it, connects fail and say so */

	c.epfd = epoll_create1(EPOLL_CLOEXEC);
	c.conns = calloc((size_t)c.nconn, sizeof(struct conn));
	events = calloc(1024, sizeof(struct epoll_event));
	if (c.epfd < 0 || c.conns == NULL || events == NULL) {
		fprintf(stderr, "loadclient: setup failed: %s\n", strerror(errno));
		return 2;
	}
	c.live = c.nconn;
	start = bench_now();
	for (i = 0; i < c.nconn; i++) {
		struct conn *k = &c.conns[i];
		k->id = i;
		k->fd = -1;
		k->state = CONN_CONNECTING;
		k->out = malloc(c.packet);
		k->in = malloc(c.packet);
		if (k->out == NULL || k->in == NULL) {
			conn_fail(&c, k, "out of memory");
			continue;
		}
		conn_open(&c, k, ai);
	}
	freeaddrinfo(ai);

	last_check = bench_now();
	while (c.live > 0) {
		int n = epoll_wait(c.epfd, events, 1024, 500);
		double now;
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "loadclient: epoll_wait: %s\n", strerror(errno));
			break;
		}
		for (i = 0; i < n; i++)
			conn_event(&c, events[i].data.ptr, events[i].events);
		now = bench_now();
		if (now - last_check >= 0.5) {
			check_timeouts(&c, now);
			last_check = now;
		}
	}
	elapsed = bench_now() - start;

	for (i = 0; i < c.nconn; i++) {
		struct conn *k = &c.conns[i];
		total += k->round;
		if (k->fd >= 0)
			close(k->fd);
		free(k->out);
		free(k->in);
	}
	printf("connections=%d rounds=%ld size=%zu elapsed=%.3fs rt_per_s=%.0f errors=%d\n",
		c.nconn, c.rounds, c.size, elapsed, elapsed > 0 ? total / elapsed : 0.0, c.errors);
	free(c.conns);
	free(events);
	close(c.epfd);
	return c.errors || c.live ? 1 : 0;
}
