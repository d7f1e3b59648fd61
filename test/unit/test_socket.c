/* test_socket.c: the socket server on its own (socket_server.c and friends, no
 * skynet context). A poll thread collects every report into a list; test cases
 * drive the server from the main thread (so sends take the direct-write path) and
 * wait for the reports they expect, with a timeout so a bug fails instead of
 * hanging. */
#include "testlib.h"
#include "socket_server.h"
#include "skynet_malloc.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct ev {
	struct ev *next;
	int type;
	int id;
	uintptr_t opaque;
	int ud;
	char *data;      /* DATA/UDP payload, owned by the event */
	char text[128];
	int addrsz;
	uint8_t addr[32];
};

#define OWNER_GONE 0xdead

static struct socket_server *SS;
static pthread_t POLLER;
static pthread_mutex_t LOCK = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t COND = PTHREAD_COND_INITIALIZER;
static struct ev *HEAD, **TAIL = &HEAD;

static double
now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *
poll_thread(void *arg) {
	(void)arg;
	for (;;) {
		struct socket_message m;
		int more;
		int type = socket_server_poll(SS, &m, &more);
		if (type < 0)
			continue;
		if (type == SOCKET_ACCEPT && m.opaque == OWNER_GONE) {
			/* What skynet_socket.c does when the owner has exited. */
			socket_server_abandon(SS, m.ud);
			socket_server_abandon(SS, m.id);
			continue;
		}
		struct ev *e = calloc(1, sizeof(*e));
		e->type = type;
		e->id = m.id;
		e->opaque = m.opaque;
		e->ud = m.ud;
		if (type == SOCKET_DATA || type == SOCKET_UDP) {
			e->data = m.data;
			if (type == SOCKET_UDP) {
				int asz = 0;
				const uint8_t *a = socket_server_udp_address(&m, &asz);
				if (a) {
					memcpy(e->addr, a, asz);
					e->addrsz = asz;
				}
			}
		} else if (m.data) {
			snprintf(e->text, sizeof(e->text), "%s", m.data);
		}
		pthread_mutex_lock(&LOCK);
		*TAIL = e;
		TAIL = &e->next;
		pthread_cond_broadcast(&COND);
		pthread_mutex_unlock(&LOCK);
		if (type == SOCKET_EXIT)
			return NULL;
	}
}

static void
ev_free(struct ev *e) {
	skynet_free(e->data);
	free(e);
}

/* Removes and returns the first report matching type and id (-1: any), waiting up
 * to timeout seconds; NULL on timeout. */
static struct ev *
expect(int type, int id, double timeout) {
	double deadline = now() + timeout;
	pthread_mutex_lock(&LOCK);
	for (;;) {
		for (struct ev **p = &HEAD; *p; p = &(*p)->next) {
			struct ev *e = *p;
			if ((type < 0 || e->type == type) && (id < 0 || e->id == id)) {
				*p = e->next;
				if (*p == NULL)
					TAIL = p;
				pthread_mutex_unlock(&LOCK);
				return e;
			}
		}
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		double left = deadline - now();
		if (left <= 0) {
			pthread_mutex_unlock(&LOCK);
			return NULL;
		}
		ts.tv_sec += (time_t)left;
		ts.tv_nsec += (long)((left - (time_t)left) * 1e9);
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&COND, &LOCK, &ts);
	}
}

/* Drops every queued report (between cases). */
static void
flush_events(void) {
	pthread_mutex_lock(&LOCK);
	while (HEAD) {
		struct ev *e = HEAD;
		HEAD = e->next;
		ev_free(e);
	}
	TAIL = &HEAD;
	pthread_mutex_unlock(&LOCK);
}

/* Appends DATA reports for id into buf until n bytes arrived. Returns bytes got. */
static size_t
recv_bytes(int id, char *buf, size_t n, double timeout) {
	size_t got = 0;
	while (got < n) {
		struct ev *e = expect(SOCKET_DATA, id, timeout);
		if (e == NULL)
			break;
		size_t take = (size_t)e->ud;
		if (take > n - got)
			take = n - got;
		memcpy(buf + got, e->data, take);
		got += (size_t)e->ud;
		ev_free(e);
	}
	return got;
}

static void *
pattern(size_t n, unsigned seed) {
	unsigned char *p = skynet_malloc(n);
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)((i * 131 + seed) >> 3);
	return p;
}

static int
check_pattern(const char *buf, size_t n, unsigned seed) {
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)buf[i] != (unsigned char)((i * 131 + seed) >> 3))
			return 0;
	return 1;
}

/* A listener on 127.0.0.1 with an ephemeral port, started; returns id, *port set. */
static int
make_listener(int *port) {
	int id = socket_server_listen(SS, 1, "127.0.0.1", 0, 1024);
	if (id < 0)
		return -1;
	socket_server_start(SS, 1, id);
	struct ev *e = expect(SOCKET_OPEN, id, 2);
	if (e == NULL)
		return -1;
	*port = e->ud;
	ev_free(e);
	return id;
}

/* Connects through the server and accepts; returns 0 and both ids, with the
 * accepted side started unless paused is set. */
static int
make_pair(int lid, int port, int *client, int *server, int paused) {
	*client = socket_server_connect(SS, 2, "127.0.0.1", port);
	if (*client < 0)
		return -1;
	struct ev *e = expect(SOCKET_OPEN, *client, 2);
	if (e == NULL)
		return -1;
	ev_free(e);
	e = expect(SOCKET_ACCEPT, lid, 2);
	if (e == NULL)
		return -1;
	*server = e->ud;
	ev_free(e);
	if (!paused) {
		socket_server_start(SS, 3, *server);
		e = expect(SOCKET_OPEN, *server, 2);
		if (e == NULL)
			return -1;
		ev_free(e);
	}
	return 0;
}

static int
raw_connect(int port) {
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	struct timeval tv = { 5, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* A port nobody listens on (bound, read, released). */
static int
free_port(int type, int family) {
	int fd = socket(family, type, 0);
	struct sockaddr_storage sa;
	memset(&sa, 0, sizeof(sa));
	socklen_t len;
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&sa;
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&sa;
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		len = sizeof(*a);
	}
	int port = -1;
	if (bind(fd, (struct sockaddr *)&sa, len) == 0 && getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&sa)->sin_port :
			((struct sockaddr_in6 *)&sa)->sin6_port);
	close(fd);
	return port;
}

static int
count_fds(void) {
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (d == NULL)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void
close_and_wait(int id) {
	socket_server_close(SS, 9, id);
	struct ev *e = expect(SOCKET_CLOSE, id, 2);
	if (e)
		ev_free(e);
}

/* ---- cases ---- */

static void
test_transfer_1mib(void) {
	const size_t N = 1 << 20;
	int port, client, server;
	int lid = make_listener(&port);
	CHECK(lid >= 0 && port > 0);
	CHECK(make_pair(lid, port, &client, &server, 0) == 0);
	socket_server_nodelay(SS, client);
	char *buf = malloc(N);
	double t0 = now();
	CHECK(socket_server_send(SS, client, pattern(N, 7), (int)N) == 0);
	size_t got = recv_bytes(server, buf, N, 5);
	double t1 = now();
	CHECKF(got == N, "got %zu", got);
	CHECK(check_pattern(buf, N, 7));
	/* And back, in 64 KiB pieces (several sends in flight at once). */
	memset(buf, 0, N);
	double t2 = now();
	for (size_t off = 0; off < N; off += 65536) {
		unsigned char *p = skynet_malloc(65536);
		for (size_t i = 0; i < 65536; i++)
			p[i] = (unsigned char)(((off + i) * 131 + 9) >> 3);
		CHECK(socket_server_send(SS, server, p, 65536) == 0);
	}
	got = recv_bytes(client, buf, N, 5);
	double t3 = now();
	CHECK(got == N);
	CHECK(check_pattern(buf, N, 9));
	free(buf);
	printf("# 1 MiB loopback: one send %.2f ms (%.0f MiB/s); 16 x 64 KiB %.2f ms (%.0f MiB/s)\n",
		(t1 - t0) * 1e3, 1 / (t1 - t0), (t3 - t2) * 1e3, 1 / (t3 - t2));
	close_and_wait(client);
	struct ev *e = expect(SOCKET_CLOSE, server, 2);
	CHECK(e != NULL);
	ev_free(e);
	close_and_wait(lid);
}

static void
test_throughput_64mib(void) {
	const size_t N = 64 << 20, CH = 1 << 20;
	int port, client, server;
	int lid = make_listener(&port);
	CHECK(lid >= 0);
	CHECK(make_pair(lid, port, &client, &server, 0) == 0);
	double t0 = now();
	for (size_t off = 0; off < N; off += CH)
		CHECK(socket_server_send(SS, client, pattern(CH, 3), (int)CH) == 0);
	size_t got = 0;
	while (got < N) {
		struct ev *e = expect(-1, -1, 5);
		CHECK(e != NULL);
		if (e->type == SOCKET_DATA && e->id == server)
			got += e->ud;
		ev_free(e);
	}
	double t1 = now();
	CHECK(got == N);
	printf("# 64 MiB loopback in 1 MiB sends: %.1f ms (%.0f MiB/s)\n", (t1 - t0) * 1e3,
		64 / (t1 - t0));
	close_and_wait(client);
	flush_events();
	close_and_wait(server);
	close_and_wait(lid);
	flush_events();
}

/* The accepted side stays paused, so the kernel buffers fill, writes go partial,
 * the write list grows past 1 MiB (WARNING), and everything arrives intact and in
 * priority order once reading starts (WARNING 0 when drained). */
static void
test_paused_reader(void) {
	const size_t N = 8 << 20, M = 1000;
	int port, client, server;
	int lid = make_listener(&port);
	CHECK(lid >= 0);
	CHECK(make_pair(lid, port, &client, &server, 1) == 0);
	CHECK(socket_server_send(SS, client, pattern(N, 1), (int)N) == 0);
	struct ev *e = expect(SOCKET_WARNING, client, 3);
	CHECK(e != NULL);
	CHECKF(e->ud >= 1024, "warning ud %d", e->ud);
	ev_free(e);
	CHECK(expect(SOCKET_DATA, server, 0.2) == NULL); /* paused: nothing read */
	char *low = skynet_malloc(M), *high = skynet_malloc(M);
	memset(low, 'L', M);
	memset(high, 'H', M);
	CHECK(socket_server_send_lowpriority(SS, client, low, (int)M) == 0);
	CHECK(socket_server_send(SS, client, high, (int)M) == 0);
	socket_server_start(SS, 3, server);
	e = expect(SOCKET_OPEN, server, 2);
	CHECK(e != NULL);
	ev_free(e);
	char *buf = malloc(N + 2 * M);
	size_t got = recv_bytes(server, buf, N + 2 * M, 5);
	CHECKF(got == N + 2 * M, "got %zu", got);
	CHECK(check_pattern(buf, N, 1));
	CHECK(buf[N] == 'H' && buf[N + M - 1] == 'H');
	CHECK(buf[N + M] == 'L' && buf[N + 2 * M - 1] == 'L');
	free(buf);
	e = expect(SOCKET_WARNING, client, 2);
	CHECK(e != NULL);
	CHECK(e->ud == 0);
	ev_free(e);
	close_and_wait(client);
	flush_events();
	close_and_wait(server);
	close_and_wait(lid);
	flush_events();
}

static void
test_half_close(void) {
	int port;
	int lid = make_listener(&port);
	CHECK(lid >= 0);
	int fd = raw_connect(port);
	CHECK(fd >= 0);
	struct ev *e = expect(SOCKET_ACCEPT, lid, 2);
	CHECK(e != NULL);
	int id = e->ud;
	CHECK(strstr(e->text, "127.0.0.1:") == e->text);
	ev_free(e);
	socket_server_start(SS, 3, id);
	CHECK((e = expect(SOCKET_OPEN, id, 2)) != NULL);
	ev_free(e);
	/* Our side: pending bytes first, then FIN; reading goes on. */
	char *msg = skynet_malloc(5);
	memcpy(msg, "hello", 5);
	CHECK(socket_server_send(SS, id, msg, 5) == 0);
	socket_server_shutdown(SS, 3, id);
	char buf[16];
	size_t got = 0;
	ssize_t n;
	while ((n = recv(fd, buf + got, sizeof(buf) - got, 0)) > 0)
		got += n;
	CHECK(n == 0); /* EOF, not a timeout */
	CHECK(got == 5 && memcmp(buf, "hello", 5) == 0);
	CHECK(send(fd, "world", 5, 0) == 5);
	char in[8];
	CHECK(recv_bytes(id, in, 5, 2) == 5);
	CHECK(memcmp(in, "world", 5) == 0);
	/* Peer's half close arrives as CLOSE. */
	shutdown(fd, SHUT_WR);
	CHECK((e = expect(SOCKET_CLOSE, id, 2)) != NULL);
	ev_free(e);
	close(fd);
	/* The id is gone: a send is refused. */
	msg = skynet_malloc(1);
	usleep(10000);
	CHECK(socket_server_send(SS, id, msg, 1) == -1);
	close_and_wait(lid);
	flush_events();
}

static void
test_connect_refused(void) {
	int port = free_port(SOCK_STREAM, AF_INET);
	CHECK(port > 0);
	int id = socket_server_connect(SS, 5, "127.0.0.1", port);
	CHECK(id > 0);
	struct ev *e = expect(SOCKET_ERR, id, 2);
	CHECK(e != NULL);
	CHECK(e->opaque == 5);
	CHECKF(strlen(e->text) > 0, "no reason");
	printf("# refused: %s\n", e->text);
	ev_free(e);
	/* A name that cannot resolve fails as a report too. */
	id = socket_server_connect(SS, 5, "no-such-host.invalid", 80);
	CHECK(id > 0);
	CHECK((e = expect(SOCKET_ERR, id, 10)) != NULL);
	ev_free(e);
}

static void
udp_round_trip(const char *host, int family) {
	int port = free_port(SOCK_DGRAM, family);
	CHECK(port > 0);
	int srv = socket_server_udp(SS, 6, host, port);
	CHECK(srv > 0);
	int cli = socket_server_udp(SS, 7, family == AF_INET6 ? "::1" : NULL, 0);
	CHECK(cli > 0);
	CHECK(socket_server_udp_connect(SS, cli, host, port) == 0);
	char *p = skynet_malloc(4);
	memcpy(p, "ping", 4);
	CHECK(socket_server_udp_send(SS, cli, NULL, p, 4) == 0);
	struct ev *e = expect(SOCKET_UDP, srv, 2);
	CHECK(e != NULL);
	CHECK(e->ud == 4 && memcmp(e->data, "ping", 4) == 0);
	CHECK(e->addrsz == (family == AF_INET ? 7 : 19));
	char ip[64];
	int from_port;
	CHECK(socket_server_udp_address_text(e->addr, e->addrsz, ip, sizeof(ip), &from_port) == 0);
	CHECK(strcmp(ip, family == AF_INET ? "127.0.0.1" : "::1") == 0);
	CHECK(from_port > 0);
	p = skynet_malloc(4);
	memcpy(p, "pong", 4);
	CHECK(socket_server_udp_send(SS, srv, e->addr, p, 4) == 0);
	ev_free(e);
	e = expect(SOCKET_UDP, cli, 2);
	CHECK(e != NULL);
	CHECK(e->ud == 4 && memcmp(e->data, "pong", 4) == 0);
	ev_free(e);
	close_and_wait(srv);
	close_and_wait(cli);
}

static void
test_udp_v4(void) {
	udp_round_trip("127.0.0.1", AF_INET);
}

static void
test_udp_v6(void) {
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 a;
	memset(&a, 0, sizeof(a));
	a.sin6_family = AF_INET6;
	a.sin6_addr = in6addr_loopback;
	int ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (fd >= 0)
		close(fd);
	if (!ok)
		SKIP("::1 not available");
	udp_round_trip("::1", AF_INET6);
	/* TCP over IPv6 too. */
	int lid = socket_server_listen(SS, 1, "::1", 0, 8);
	CHECK(lid > 0);
	socket_server_start(SS, 1, lid);
	struct ev *e = expect(SOCKET_OPEN, lid, 2);
	CHECK(e != NULL);
	int port = e->ud;
	ev_free(e);
	int cid = socket_server_connect(SS, 2, "::1", port);
	CHECK((e = expect(SOCKET_OPEN, cid, 2)) != NULL);
	ev_free(e);
	CHECK((e = expect(SOCKET_ACCEPT, lid, 2)) != NULL);
	int sid = e->ud;
	CHECK(strncmp(e->text, "::1:", 4) == 0);
	ev_free(e);
	close_and_wait(sid);
	CHECK((e = expect(SOCKET_CLOSE, cid, 2)) != NULL);
	ev_free(e);
	close_and_wait(lid);
}

/* close() with output pending: everything reaches the peer before FIN. */
static void
test_close_flushes(void) {
	const size_t N = 4 << 20;
	int port;
	int lid = make_listener(&port);
	CHECK(lid >= 0);
	int fd = raw_connect(port);
	CHECK(fd >= 0);
	struct ev *e = expect(SOCKET_ACCEPT, lid, 2);
	CHECK(e != NULL);
	int id = e->ud;
	ev_free(e);
	CHECK(socket_server_send(SS, id, pattern(N, 5), (int)N) == 0);
	socket_server_close(SS, 3, id);
	usleep(50000); /* let the close request land while data is still queued */
	char *buf = malloc(N + 1);
	size_t got = 0;
	ssize_t n;
	while ((n = recv(fd, buf + got, N + 1 - got, 0)) > 0)
		got += n;
	CHECK(n == 0);
	CHECKF(got == N, "got %zu", got);
	CHECK(check_pattern(buf, N, 5));
	free(buf);
	CHECK((e = expect(SOCKET_CLOSE, id, 2)) != NULL);
	CHECK(e->opaque == 3);
	ev_free(e);
	close(fd);
	close_and_wait(lid);
	flush_events();
}

static void
test_thousand_sockets(void) {
	int before = count_fds();
	int port;
	int lid = make_listener(&port);
	CHECK(lid >= 0);
	enum { N = 1000 };
	static int client[N], server[N];
	for (int i = 0; i < N; i++) {
		client[i] = socket_server_connect(SS, 2, "127.0.0.1", port);
		CHECK(client[i] > 0);
	}
	for (int i = 0; i < N; i++) {
		struct ev *e = expect(SOCKET_ACCEPT, lid, 5);
		if (e == NULL) {
			struct ev *x;
			while ((x = expect(-1, -1, 0.01)) != NULL) {
				printf("# left: type %d id %d ud %d %s\n", x->type, x->id, x->ud, x->text);
				ev_free(x);
			}
		}
		CHECKF(e != NULL, "accepted %d", i);
		server[i] = e->ud;
		ev_free(e);
		socket_server_start(SS, 3, server[i]);
	}
	for (int i = 0; i < N; i++) {
		struct ev *e = expect(SOCKET_OPEN, client[i], 5);
		CHECK(e != NULL);
		ev_free(e);
	}
	for (int i = 0; i < N; i++)
		socket_server_close(SS, 9, client[i]);
	/* Each side gets exactly one CLOSE: clients from their close, servers from EOF. */
	for (int i = 0; i < N; i++) {
		struct ev *e = expect(SOCKET_CLOSE, client[i], 5);
		CHECK(e != NULL);
		ev_free(e);
		e = expect(SOCKET_CLOSE, server[i], 5);
		CHECK(e != NULL);
		ev_free(e);
	}
	close_and_wait(lid);
	CHECK(expect(SOCKET_CLOSE, -1, 0.1) == NULL);
	flush_events();
	int after = count_fds();
	CHECKF(after == before, "fds before %d after %d", before, after);
}

static void
test_bad_input(void) {
	CHECK(socket_server_send(SS, 12345, skynet_malloc(4), 4) == -1);
	CHECK(socket_server_send(SS, -1, skynet_malloc(4), 4) == -1);
	CHECK(socket_server_send(SS, 0x7fffffff, skynet_malloc(4), 4) == -1);
	CHECK(socket_server_udp_send(SS, 12345, NULL, skynet_malloc(4), 4) == -1);
	socket_server_close(SS, 1, 12345);
	socket_server_pause(SS, 1, 12345);
	socket_server_nodelay(SS, 12345);
	socket_server_shutdown(SS, 1, -7);
	socket_server_start(SS, 1, 12345);
	struct ev *e = expect(SOCKET_ERR, 12345, 2);
	CHECK(e != NULL);
	ev_free(e);
	CHECK(socket_server_listen(SS, 1, "not an address", 0, 8) == -1);
	CHECK(socket_server_listen(SS, 1, "127.0.0.1", 70000, 8) == -1);
	CHECK(socket_server_connect(SS, 1, "127.0.0.1", 0) == -1);
	CHECK(socket_server_connect(SS, 1, NULL, 80) == -1);
	CHECK(socket_server_udp_connect(SS, 1, "not an address", 1) == -1);
	uint8_t bogus[19] = { 9 };
	CHECK(socket_server_udp_send(SS, 1, bogus, skynet_malloc(1), 1) == -1);
	/* A bound pipe: adopt, read, write. */
	int fds[2];
	CHECK(pipe(fds) == 0);
	int id = socket_server_bind(SS, 4, fds[0]);
	CHECK(id > 0);
	CHECK((e = expect(SOCKET_OPEN, id, 2)) != NULL);
	ev_free(e);
	CHECK(write(fds[1], "abc", 3) == 3);
	char buf[4];
	CHECK(recv_bytes(id, buf, 3, 2) == 3 && memcmp(buf, "abc", 3) == 0);
	close(fds[1]);
	CHECK((e = expect(SOCKET_CLOSE, id, 2)) != NULL);
	ev_free(e);
	flush_events();
}

/* A peer that resets the connection while we are writing to it. */
static void
test_peer_reset(void) {
	int port;
	int lid = make_listener(&port);
	CHECK(lid >= 0);
	int fd = raw_connect(port);
	CHECK(fd >= 0);
	struct ev *e = expect(SOCKET_ACCEPT, lid, 2);
	CHECK(e != NULL);
	int id = e->ud;
	ev_free(e);
	socket_server_start(SS, 3, id);
	CHECK((e = expect(SOCKET_OPEN, id, 2)) != NULL);
	ev_free(e);
	struct linger lg = { 1, 0 };
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd); /* RST */
	for (int i = 0; i < 8; i++)
		socket_server_send(SS, id, pattern(1 << 20, 1), 1 << 20);
	while ((e = expect(-1, id, 3)) != NULL && e->type == SOCKET_WARNING)
		ev_free(e);
	CHECK(e != NULL);
	CHECKF(e->type == SOCKET_ERR || e->type == SOCKET_CLOSE, "type %d", e->type);
	ev_free(e);
	usleep(20000);
	flush_events();
	close_and_wait(lid);
	flush_events();
}

/* The log callback: counts lines, keeps the last one. */
static _Atomic int LOG_LINES;
static char LOG_LAST[256];

static void
log_cb(void *ud, const char *text) {
	(void)ud;
	snprintf(LOG_LAST, sizeof(LOG_LAST), "%s", text);
	LOG_LINES++;
}

static double
cpu_seconds(void) {
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Out of fds: the listener backs off instead of spinning (little CPU, at most
 * one log line a second, no report flood), keeps no spare fd, and the waiting
 * connection is accepted once fds come back. */
static void
test_emfile(void) {
	int port;
	int lid = make_listener(&port);
	CHECK(lid >= 0);
	struct rlimit old, lim;
	getrlimit(RLIMIT_NOFILE, &old);
	int fd = raw_connect(port); /* made before the limit bites */
	CHECK(fd >= 0);
	struct ev *e = expect(SOCKET_ACCEPT, lid, 2);
	CHECK(e != NULL);
	int id = e->ud;
	ev_free(e);
	int fd2 = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* Lower the limit a little above the highest fd, then use up what is left. */
	lim = old;
	lim.rlim_cur = count_fds() + 64;
	CHECK(setrlimit(RLIMIT_NOFILE, &lim) == 0);
	static int filler[256];
	int nfill = 0;
	while (nfill < 256 && (filler[nfill] = dup(0)) >= 0)
		nfill++;
	LOG_LINES = 0;
	double cpu0 = cpu_seconds();
	connect(fd2, (struct sockaddr *)&a, sizeof(a));
	e = expect(SOCKET_ERR, lid, 0.6); /* no report to the owner, no spin */
	double cpu = cpu_seconds() - cpu0;
	int lines = LOG_LINES;
	for (int i = 0; i < nfill; i++)
		close(filler[i]);
	setrlimit(RLIMIT_NOFILE, &old);
	CHECK(e == NULL);
	printf("# out of fds for 0.6 s: %.3f s CPU, %d log line(s): %s\n", cpu, lines, LOG_LAST);
	CHECKF(cpu < 0.2, "CPU %.3f s while out of fds", cpu);
	CHECKF(lines >= 1 && lines <= 2, "%d log lines", lines);
	CHECK(strstr(LOG_LAST, "Too many open files") != NULL);
	/* The waiting connection is served once fds are back. */
	e = expect(SOCKET_ACCEPT, lid, 3);
	CHECK(e != NULL);
	int id2 = e->ud;
	ev_free(e);
	close(fd2);
	/* Still listening. */
	int fd3 = raw_connect(port);
	CHECK(fd3 >= 0);
	e = expect(SOCKET_ACCEPT, lid, 2);
	CHECK(e != NULL);
	int id3 = e->ud;
	ev_free(e);
	close(fd);
	close(fd3);
	close_and_wait(id);
	close_and_wait(id2);
	close_and_wait(id3);
	close_and_wait(lid);
	flush_events();
}

/* Several threads send to one socket at once, so direct writes, parked
 * remainders and piped sends interleave. Each thread's records must arrive
 * whole and in that thread's order. */
enum { SENDERS = 4, RECORDS = 3000 };
struct sender { int id; int thread; };

static void *
sender_main(void *arg) {
	struct sender *sd = arg;
	for (int i = 0; i < RECORDS; i++) {
		/* Sizes vary so some records are cut by partial writes. */
		int len = 8 + (i * 37 + sd->thread * 11) % 3000;
		unsigned char *p = skynet_malloc(len);
		memset(p, 'a' + sd->thread, len);
		p[0] = (unsigned char)sd->thread;
		p[1] = (unsigned char)(i >> 8);
		p[2] = (unsigned char)i;
		p[3] = (unsigned char)(len >> 8);
		p[4] = (unsigned char)len;
		if (socket_server_send(SS, sd->id, p, len) != 0)
			return (void *)1;
	}
	return NULL;
}

static void
test_concurrent_senders(void) {
	int port, client, server;
	int lid = make_listener(&port);
	CHECK(lid >= 0);
	CHECK(make_pair(lid, port, &client, &server, 0) == 0);
	pthread_t th[SENDERS];
	struct sender sd[SENDERS];
	size_t total = 0;
	for (int t = 0; t < SENDERS; t++)
		for (int i = 0; i < RECORDS; i++)
			total += 8 + (i * 37 + t * 11) % 3000;
	for (int t = 0; t < SENDERS; t++) {
		sd[t].id = client;
		sd[t].thread = t;
		pthread_create(&th[t], NULL, sender_main, &sd[t]);
	}
	char *buf = malloc(total);
	size_t got = recv_bytes(server, buf, total, 5);
	int failed = 0;
	for (int t = 0; t < SENDERS; t++) {
		void *r;
		pthread_join(th[t], &r);
		failed |= r != NULL;
	}
	CHECK(!failed);
	CHECKF(got == total, "got %zu of %zu", got, total);
	int next[SENDERS] = { 0 };
	for (size_t off = 0; off < total;) {
		const unsigned char *r = (const unsigned char *)buf + off;
		int t = r[0], seq = r[1] << 8 | r[2], len = r[3] << 8 | r[4];
		CHECKF(t < SENDERS && seq == next[t], "record at %zu: thread %d seq %d", off, t, seq);
		CHECK(len >= 8 && off + len <= total);
		for (int i = 5; i < len; i++)
			CHECKF(r[i] == 'a' + t, "record torn at %zu", off);
		next[t]++;
		off += len;
	}
	for (int t = 0; t < SENDERS; t++)
		CHECK(next[t] == RECORDS);
	free(buf);
	close_and_wait(client);
	flush_events();
	close_and_wait(server);
	close_and_wait(lid);
	flush_events();
}

/* A listener whose owner vanished: the poll thread abandons it and the accepted
 * socket (as skynet_socket.c does); the client sees the close, nothing leaks. */
static void
test_abandon(void) {
	int id = socket_server_listen(SS, OWNER_GONE, "127.0.0.1", 0, 8);
	CHECK(id > 0);
	socket_server_start(SS, OWNER_GONE, id);
	struct ev *e = expect(SOCKET_OPEN, id, 2); /* the listen report: ud = port */
	CHECK(e != NULL);
	int port = e->ud;
	ev_free(e);
	e = expect(SOCKET_OPEN, id, 2);            /* start acknowledged */
	CHECK(e != NULL && e->ud == port);
	ev_free(e);
	int fd = raw_connect(port);
	CHECK(fd >= 0);
	char c;
	CHECK(recv(fd, &c, 1, 0) == 0); /* EOF: the accepted socket was closed */
	close(fd);
	usleep(20000);
	CHECK(raw_connect(port) < 0); /* and the listener too */
	CHECK(expect(-1, id, 0.1) == NULL); /* without reports */
}

/* try_poll on a server of its own (no poll thread): nothing ready is
 * SOCKET_NONE at once; a request posted is reported by the next try; wait
 * blocks until the timeout when nothing comes. skynet_socket.c lets idle
 * workers take turns with the socket thread through these. */
static int
try_until(struct socket_server *ss, struct socket_message *m, double secs) {
	double until = now() + secs;
	int type;
	while ((type = socket_server_try_poll(ss, m, NULL)) == SOCKET_NONE && now() < until)
		usleep(1000);
	return type;
}

static void
test_try_poll(void) {
	struct socket_server *ss = socket_server_create(0);
	struct socket_message m;
	double t0 = now();
	CHECK(socket_server_try_poll(ss, &m, NULL) == SOCKET_NONE);
	CHECKF(now() - t0 < 0.1, "try_poll took %.3f s with nothing ready", now() - t0);
	int id = socket_server_listen(ss, 7, "127.0.0.1", 0, 16);
	CHECK(id >= 0);
	socket_server_start(ss, 7, id);
	/* two reports: the bound address (listen), then the start */
	CHECK(try_until(ss, &m, 2) == SOCKET_OPEN);
	CHECK(try_until(ss, &m, 2) == SOCKET_OPEN);
	CHECK(m.id == id && m.opaque == 7);
	int again = socket_server_try_poll(ss, &m, NULL);
	CHECKF(again == SOCKET_NONE, "after the open: type %d, not SOCKET_NONE", again);
	t0 = now();
	socket_server_wait(ss, 50);
	CHECKF(now() - t0 >= 0.04, "wait returned after %.3f s with nothing ready", now() - t0);
	socket_server_exit(ss);
	socket_server_wait(ss, 2000); /* the exit request is ready: returns at once */
	CHECKF(now() - t0 < 1.5, "wait did not return for a ready request");
	CHECK(try_until(ss, &m, 2) == SOCKET_EXIT);
	/* A wake-up is the waiting thread's alone: another poller that polls
	 * first takes nothing of it (a request in the pipe it would). */
	socket_server_wakeup(ss);
	CHECK(socket_server_try_poll(ss, &m, NULL) == SOCKET_NONE);
	t0 = now();
	socket_server_wait(ss, 2000);
	CHECKF(now() - t0 < 1.5, "a wake-up taken by try_poll: wait slept %.3f s", now() - t0);
	t0 = now();
	socket_server_wait(ss, 50); /* consumed by the wait above */
	CHECKF(now() - t0 >= 0.04, "a wake-up woke two waits (%.3f s)", now() - t0);
	socket_server_release(ss);
}

int
main(void) {
	SS = socket_server_create(0);
	if (SS == NULL) {
		printf("not ok - socket_server_create\n");
		return 1;
	}
	socket_server_callbacks(SS, log_cb, NULL, NULL);
	pthread_create(&POLLER, NULL, poll_thread, NULL);
	RUN(test_transfer_1mib);
	RUN(test_throughput_64mib);
	RUN(test_paused_reader);
	RUN(test_concurrent_senders);
	RUN(test_half_close);
	RUN(test_connect_refused);
	RUN(test_udp_v4);
	RUN(test_udp_v6);
	RUN(test_close_flushes);
	RUN(test_thousand_sockets);
	RUN(test_bad_input);
	RUN(test_peer_reset);
	RUN(test_emfile);
	RUN(test_abandon);
	RUN(test_try_poll);
	socket_server_exit(SS);
	pthread_join(POLLER, NULL);
	flush_events();
	socket_server_release(SS);
	return TESTS_DONE();
}
