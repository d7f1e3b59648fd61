/* connload.c: the `connect` benchmark's client. It opens many TCP connections
 * to the example game server and has each one log in once.
 *
 *   connload [-v] [-t SECONDS] [-w WINDOW] [-p PID] HOST PORT CONNECTIONS
 *
 * A connection counts as opened when it is connected AND has answered one
 * request: it sends {"cmd":"login",...} behind a 2-byte big-endian length and
 * reads back one packet with "ok":true. So the figure includes the server's
 * whole per-client work: accept, the gate's open report, the watchdog spawning
 * an agent, the agent taking the connection and answering. At most WINDOW
 * connects (default 1000) are in flight at once; the rest wait their turn.
 * Elapsed time runs from the first connect to the last answer.
 *
 * With -p PID (the node's process), VmRSS of /proc/PID/status is read before
 * the first connect and again once all are open and idle (0.5 s later), and
 * the growth per connection is printed: an idle connection with its agent.
 * The connections are held open until then, and closed with a reset so no
 * TIME_WAIT is left to use up the client ports of the next run.
 *
 * Prints one summary line; exits 1 if any connection failed (refused, closed,
 * a reply that is not ok, or no progress for the timeout, 30 s by default),
 * 2 on bad arguments or too few file descriptors. */
#include "benchclient.h"

#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum state { WAITING, CONNECTING, ANSWERING, OPENED, FAILED };

struct conn {
	int fd;
	int id;
	enum state state;
	double since;          /* last progress */
	size_t sent, got;
	size_t reqlen;
	char req[96];
	unsigned char in[512];
};

struct run {
	struct conn *conns;
	int n;
	int next;              /* first connection not started yet */
	int inflight;          /* CONNECTING */
	int window;
	int open, failed;
	int verbose;
	double timeout;
	int epfd;
	const struct addrinfo *ai;
};

static void __attribute__((format(printf, 3, 4)))
fail(struct run *r, struct conn *k, const char *fmt, ...) {
	if (k->state == FAILED || k->state == OPENED)
		return;
	if (r->verbose) {
		va_list ap;
		fprintf(stderr, "connload: connection %d: ", k->id);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	if (k->state == CONNECTING)
		r->inflight--;
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
	k->state = FAILED;
	r->failed++;
}

static void
watch(struct run *r, struct conn *k, int op, uint32_t events) {
	struct epoll_event ev = { .events = events, .data.ptr = k };
	if (epoll_ctl(r->epfd, op, k->fd, &ev) != 0)
		fail(r, k, "epoll_ctl: %s", strerror(errno));
}

static void
start_connect(struct run *r, struct conn *k) {
	const struct addrinfo *ai = r->ai;
	k->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	k->state = CONNECTING;
	k->since = bench_now();
	r->inflight++;
	if (k->fd < 0) {
		fail(r, k, "socket: %s", strerror(errno));
		return;
	}
	if (connect(k->fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
		fail(r, k, "connect: %s", strerror(errno));
		return;
	}
	watch(r, k, EPOLL_CTL_ADD, EPOLLOUT);
}

/* Keeps WINDOW connects in flight while any connection waits to start. */
static void
refill(struct run *r) {
	while (r->next < r->n && r->inflight < r->window)
		start_connect(r, &r->conns[r->next++]);
}

static void
send_request(struct run *r, struct conn *k) {
	while (k->sent < k->reqlen) {
		ssize_t n = send(k->fd, k->req + k->sent, k->reqlen - k->sent, MSG_NOSIGNAL);
		if (n > 0) {
			k->sent += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			watch(r, k, EPOLL_CTL_MOD, EPOLLIN | EPOLLOUT);
			return;
		} else {
			fail(r, k, "send: %s", strerror(errno));
			return;
		}
	}
	watch(r, k, EPOLL_CTL_MOD, EPOLLIN);
}

static void
connected(struct run *r, struct conn *k) {
	int err = 0;
	socklen_t len = sizeof(err);
	if (getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (err != 0) {
		fail(r, k, "connect: %s", strerror(err));
		return;
	}
	r->inflight--;
	k->state = ANSWERING;
	k->since = bench_now();
	send_request(r, k);
}

/* One reply packet: 2-byte length, then a JSON object that must say ok. */
static void
read_reply(struct run *r, struct conn *k) {
	for (;;) {
		ssize_t n = recv(k->fd, k->in + k->got, sizeof(k->in) - 1 - k->got, 0);
		if (n == 0) {
			fail(r, k, "closed by the server (%zu reply bytes read)", k->got);
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				fail(r, k, "recv: %s", strerror(errno));
			return;
		}
		k->got += (size_t)n;
		k->since = bench_now();
		if (k->got < 2)
			continue;
		size_t want = 2 + ((size_t)k->in[0] << 8 | k->in[1]);
		if (want > sizeof(k->in) - 1) {
			fail(r, k, "reply of %zu bytes, more than a login answer", want - 2);
			return;
		}
		if (k->got < want)
			continue;
		k->in[k->got] = '\0';
		if (k->got > want || strstr((char *)k->in + 2, "\"ok\":true") == NULL) {
			fail(r, k, "unexpected reply: %s", (char *)k->in + 2);
			return;
		}
		/* held open and idle from here on; nothing more to watch */
		epoll_ctl(r->epfd, EPOLL_CTL_DEL, k->fd, NULL);
		k->state = OPENED;
		r->open++;
		return;
	}
}

static void
on_event(struct run *r, struct conn *k, uint32_t events) {
	if (k->state == CONNECTING) {
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			connected(r, k);
		return;
	}
	if (k->state != ANSWERING)
		return;
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
		read_reply(r, k);
	if (k->state == ANSWERING && (events & EPOLLOUT) && k->sent < k->reqlen)
		send_request(r, k);
}

static void
check_timeouts(struct run *r, double now) {
	for (int i = 0; i < r->next; i++) {
		struct conn *k = &r->conns[i];
		if ((k->state == CONNECTING || k->state == ANSWERING) && now - k->since > r->timeout)
			fail(r, k, "no progress for %.0f s (%s)", r->timeout,
				k->state == CONNECTING ? "connecting" : "waiting for the answer");
	}
}

/* VmRSS of a process in KiB, or -1. */
static long
rss_kib(long pid) {
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	long kib = -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static void
usage(void) {
	fprintf(stderr, "usage: connload [-v] [-t SECONDS] [-w WINDOW] [-p PID] HOST PORT CONNECTIONS\n");
	exit(2);
}

/* Closes every connection with a reset (SO_LINGER 0): no TIME_WAIT. */
static void
close_all(struct run *r) {
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	for (int i = 0; i < r->n; i++) {
		struct conn *k = &r->conns[i];
		if (k->fd < 0)
			continue;
		setsockopt(k->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(k->fd);
		k->fd = -1;
	}
}

int
main(int argc, char *argv[]) {
	struct run r = { .window = 1000, .timeout = 30 };
	long pid = 0;
	int opt;
	while ((opt = getopt(argc, argv, "vt:w:p:")) != -1) {
		switch (opt) {
		case 'v': r.verbose = 1; break;
		case 't': r.timeout = (double)bench_count("connload", optarg, "timeout", 1, 86400); break;
		case 'w': r.window = (int)bench_count("connload", optarg, "WINDOW", 1, 1000000); break;
		case 'p': pid = bench_count("connload", optarg, "PID", 1, 1L << 30); break;
		default: usage();
		}
	}
	if (argc - optind != 3)
		usage();
	r.n = (int)bench_count("connload", argv[optind + 2], "CONNECTIONS", 1, 1000000);
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai = NULL;
	int rc = getaddrinfo(argv[optind], argv[optind + 1], &hints, &ai);
	if (rc != 0) {
		fprintf(stderr, "connload: %s:%s: %s\n", argv[optind], argv[optind + 1], gai_strerror(rc));
		return 2;
	}
	if (bench_fd_limit("connload", r.n + 32) != 0)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	r.ai = ai;
	r.epfd = epoll_create1(EPOLL_CLOEXEC);
	r.conns = calloc((size_t)r.n, sizeof(struct conn));
	struct epoll_event *events = calloc(1024, sizeof(struct epoll_event));
	if (r.epfd < 0 || r.conns == NULL || events == NULL) {
		fprintf(stderr, "connload: setup failed: %s\n", strerror(errno));
		return 2;
	}
	for (int i = 0; i < r.n; i++) {
		struct conn *k = &r.conns[i];
		k->id = i;
		k->fd = -1;
		int len = snprintf(k->req + 2, sizeof(k->req) - 2, "{\"cmd\":\"login\",\"name\":\"c%d\",\"id\":%d}", i, i);
		k->req[0] = (char)(len >> 8);
		k->req[1] = (char)(len & 0xff);
		k->reqlen = (size_t)len + 2;
	}
	long rss_before = pid ? rss_kib(pid) : -1;

	double start = bench_now(), last_check = start;
	refill(&r);
	while (r.open + r.failed < r.n) {
		int n = epoll_wait(r.epfd, events, 1024, 200);
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "connload: epoll_wait: %s\n", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++)
			on_event(&r, events[i].data.ptr, events[i].events);
		refill(&r);
		double now = bench_now();
		if (now - last_check >= 0.5) {
			check_timeouts(&r, now);
			last_check = now;
		}
	}
	double elapsed = bench_now() - start;
	printf("connections=%d opened=%d elapsed=%.3fs conn_per_s=%.0f errors=%d", r.n, r.open, elapsed,
		elapsed > 0 ? r.open / elapsed : 0.0, r.failed);
	if (pid) {
		usleep(500 * 1000); /* let the last agents settle */
		long rss_after = rss_kib(pid);
		if (rss_before < 0 || rss_after < 0 || r.open == 0)
			printf(" rss=unreadable");
		else
			printf(" rss_before_kib=%ld rss_after_kib=%ld rss_per_conn_kib=%.1f", rss_before, rss_after,
				(double)(rss_after - rss_before) / r.open);
	}
	printf("\n");
	close_all(&r);
	freeaddrinfo(ai);
	free(r.conns);
	free(events);
	close(r.epfd);
	return r.failed || r.open < r.n ? 1 : 0;
}
