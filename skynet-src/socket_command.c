/* socket_command.c: the command pipe between request posters and the socket thread
 * (see socket_command.h). */
#define _GNU_SOURCE
#include "socket_command.h"
#include "socket_poll.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

_Static_assert(sizeof(struct sc_request) <= PIPE_BUF, "a request must be one atomic pipe write");

int
sc_open(struct sc_pipe *p) {
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	if (sp_nonblocking(fds[0]) < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	p->rfd = fds[0];
	p->wfd = fds[1];
	p->start = p->end = 0;
	return 0;
}

void
sc_close(struct sc_pipe *p) {
	if (p->rfd >= 0)
		close(p->rfd);
	if (p->wfd >= 0)
		close(p->wfd);
	p->rfd = p->wfd = -1;
}

int
sc_post(struct sc_pipe *p, struct sc_request *req) {
	size_t len = offsetof(struct sc_request, host);
	if (req->type == SC_CONNECT)
		len += strnlen(req->host, SC_HOST_MAX - 1) + 1;
	req->len = (uint16_t)len;
	for (;;) {
		ssize_t n = write(p->wfd, req, len);
		if (n == (ssize_t)len)
			return 0;
		/* A short write cannot happen below PIPE_BUF; anything else but EINTR is
		 * a broken pipe (the server is gone). */
		if (n < 0 && errno == EINTR)
			continue;
		return -1;
	}
}

/* Pulls whatever the pipe holds into the local buffer; keeps partial requests. */
static void
sc_fill(struct sc_pipe *p) {
	if (p->start > 0) {
		memmove(p->buf, p->buf + p->start, p->end - p->start);
		p->end -= p->start;
		p->start = 0;
	}
	while (p->end < sizeof(p->buf)) {
		ssize_t n = read(p->rfd, p->buf + p->end, sizeof(p->buf) - p->end);
		if (n > 0) {
			p->end += n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
}

int
sc_next(struct sc_pipe *p, struct sc_request *req) {
	/* Parse whatever is buffered; read the pipe only when no whole request is
	 * left, and parse again after any read that brought bytes. Returning 0 with
	 * bytes still unparsed would strand a request: the pipe would be empty and
	 * epoll silent until some other request arrived. */
	for (;;) {
		size_t avail = p->end - p->start;
		if (avail >= sizeof(uint16_t)) {
			uint16_t len;
			memcpy(&len, p->buf + p->start, sizeof(len));
			if (avail >= len) {
				memcpy(req, p->buf + p->start, len);
				if (req->type == SC_CONNECT)
					req->host[SC_HOST_MAX - 1] = '\0';
				p->start += len;
				return 1;
			}
		}
		size_t before = p->end - p->start;
		sc_fill(p);
		if (p->end - p->start == before)
			return 0;
	}
}
