/* wsload.c: websocket echo load generator for the websocket benchmark.
 *
 *   wsload HOST PORT CONNECTIONS ROUNDS SIZE
 *
 * Opens CONNECTIONS websocket connections (HTTP upgrade, 101 checked), then
 * from one epoll thread runs ROUNDS strictly sequential round trips on each:
 * a masked text frame of SIZE bytes (SIZE < 126) out, the unmasked echo in,
 * compared byte for byte. Prints one line "conns=.. rounds=.. elapsed=..
 * rt_per_s=.. errors=N" and exits non-zero on any error. The clock runs
 * from the first frame sent (handshakes excluded) to the last echo. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct wsconn {
	int fd;
	long round;
	size_t sent, got;
	unsigned char out[140], in[140], want[140];
};

static double wsload_now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Blocking connect + upgrade; returns the fd or -1. */
static int wsload_open(const char *host, int port) {
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		return -1;
	}
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (fd >= 0) {
			close(fd);
		}
		return -1;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	char req[256];
	int n = snprintf(req, sizeof(req), "GET /bench HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
		"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", host, port);
	if (write(fd, req, n) != n) {
		close(fd);
		return -1;
	}
	char resp[1024];
	size_t got = 0;
	while (got < sizeof(resp) - 1) {
		ssize_t r = read(fd, resp + got, 1);   /* byte by byte: stop at the blank line */
		if (r <= 0) {
			close(fd);
			return -1;
		}
		got++;
		resp[got] = 0;
		if (got >= 4 && memcmp(resp + got - 4, "\r\n\r\n", 4) == 0) {
			break;
		}
	}
	if (strncmp(resp, "HTTP/1.1 101", 12) != 0) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

static void wsload_frame(struct wsconn *c, int id, size_t size) {
	static const unsigned char key[4] = { 0x12, 0x34, 0x56, 0x78 };
	c->out[0] = 0x81;
	c->out[1] = 0x80 | (unsigned char)size;
	memcpy(c->out + 2, key, 4);
	c->want[0] = 0x81;
	c->want[1] = (unsigned char)size;
	for (size_t i = 0; i < size; i++) {
		unsigned char b = (unsigned char)('a' + (id + c->round + i) % 26);
		c->want[2 + i] = b;
		c->out[6 + i] = b ^ key[i % 4];
	}
	c->sent = c->got = 0;
}

/* Writes what is left of the frame; 0 ok, -1 error. */
static int wsload_send(struct wsconn *c, size_t size) {
	while (c->sent < size + 6) {
		ssize_t n = write(c->fd, c->out + c->sent, size + 6 - c->sent);
		if (n < 0) {
			return errno == EAGAIN ? 0 : -1;
		}
		c->sent += (size_t)n;
	}
	return 0;
}

int main(int argc, char **argv) {
	if (argc != 6) {
		fprintf(stderr, "usage: wsload HOST PORT CONNECTIONS ROUNDS SIZE(<126)\n");
		return 2;
	}
	const char *host = argv[1];
	int port = atoi(argv[2]), nconn = atoi(argv[3]);
	long rounds = atol(argv[4]);
	size_t size = (size_t)atoi(argv[5]);
	if (nconn <= 0 || rounds <= 0 || size >= 126) {
		fprintf(stderr, "wsload: bad arguments\n");
		return 2;
	}
	struct wsconn *conns = calloc((size_t)nconn, sizeof(*conns));
	int epfd = epoll_create1(0);
	int errors = 0, live = nconn;
	for (int i = 0; i < nconn; i++) {
		conns[i].fd = wsload_open(host, port);
		if (conns[i].fd < 0) {
			fprintf(stderr, "wsload: connection %d: upgrade failed\n", i);
			return 1;
		}
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
		epoll_ctl(epfd, EPOLL_CTL_ADD, conns[i].fd, &ev);
	}
	double t0 = wsload_now();
	for (int i = 0; i < nconn; i++) {
		wsload_frame(&conns[i], i, size);
		if (wsload_send(&conns[i], size) < 0) {
			errors++;
		}
	}
	struct epoll_event evs[256];
	while (live > 0 && errors == 0) {
		int n = epoll_wait(epfd, evs, 256, 30000);
		if (n <= 0) {
			fprintf(stderr, "wsload: idle for 30 s\n");
			errors++;
			break;
		}
		for (int k = 0; k < n; k++) {
			int i = (int)evs[k].data.u32;
			struct wsconn *c = &conns[i];
			for (;;) {
				ssize_t r = read(c->fd, c->in + c->got, size + 2 - c->got);
				if (r < 0 && errno == EAGAIN) {
					break;
				}
				if (r <= 0) {
					fprintf(stderr, "wsload: connection %d closed at round %ld\n", i, c->round);
					errors++;
					break;
				}
				c->got += (size_t)r;
				if (c->got < size + 2) {
					continue;
				}
				if (memcmp(c->in, c->want, size + 2) != 0) {
					fprintf(stderr, "wsload: connection %d: wrong echo at round %ld\n", i, c->round);
					errors++;
					break;
				}
				c->round++;
				if (c->round == rounds) {
					live--;
					break;
				}
				wsload_frame(c, i, size);
				if (wsload_send(c, size) < 0) {
					errors++;
				}
				break;
			}
		}
	}
	double elapsed = wsload_now() - t0;
	long total = 0;
	for (int i = 0; i < nconn; i++) {
		total += conns[i].round;
		close(conns[i].fd);
	}
	printf("conns=%d rounds=%ld elapsed=%.3f rt_per_s=%.0f errors=%d\n", nconn, rounds, elapsed,
		total / elapsed, errors);
	free(conns);
	close(epfd);
	return errors ? 1 : 0;
}
