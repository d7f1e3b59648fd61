/* test_sockcmd: the socket server's command pipe. A writer thread posts
 * requests while the socket thread's side drains them; every time sc_next says
 * the pipe is drained, no whole request may be left in its buffer (one left
 * there is stranded: epoll would not report the pipe again). */
#include "testlib.h"
#include "socket_command.h"

#include <pthread.h>
#include <sched.h>
#include <string.h>

#define POSTS 200000

static struct sc_pipe pipe_;

static void *
writer(void *ud) {
	(void)ud;
	for (int i = 1; i <= POSTS; i++) {
		struct sc_request req;
		memset(&req, 0, sizeof(req));
		req.type = SC_CLOSE;
		req.id = i;
		if (sc_post(&pipe_, &req) != 0)
			break;
		if (i % 64 == 0)
			sched_yield();
	}
	return NULL;
}

/* A whole request sitting in the buffer. */
static int
stranded(void) {
	size_t avail = pipe_.end - pipe_.start;
	if (avail < sizeof(uint16_t))
		return 0;
	uint16_t len;
	memcpy(&len, pipe_.buf + pipe_.start, sizeof(len));
	return avail >= len;
}

static void
test_no_stranded_request(void) {
	CHECK(sc_open(&pipe_) == 0);
	pthread_t t;
	pthread_create(&t, NULL, writer, NULL);
	int got = 0, next_id = 1, bad_order = 0, strand = 0;
	while (got < POSTS) {
		struct sc_request req;
		if (sc_next(&pipe_, &req)) {
			if (req.id != next_id)
				bad_order++;
			next_id = req.id + 1;
			got++;
		} else if (stranded()) {
			strand++; /* keep draining: the writer must not block on a full pipe */
		}
	}
	pthread_join(t, NULL);
	sc_close(&pipe_);
	CHECKF(strand == 0, "sc_next returned 0 with a whole request buffered (after %d requests)", got);
	CHECK(bad_order == 0);
	CHECK(got == POSTS);
}

int
main(void) {
	RUN(test_no_stranded_request);
	return TESTS_DONE();
}
