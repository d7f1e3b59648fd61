/* bench/benchclient.h: what the load clients of bench/ (loadclient, connload)
 * share: the clock, argument counts and the descriptor limit. Header-only;
 * each client is one C file built on its own. */
#ifndef BENCH_CLIENT_H
#define BENCH_CLIENT_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static inline double
bench_now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* An integer argument in lo..hi, or the program exits 2 saying what is wrong. */
static inline long
bench_count(const char *prog, const char *s, const char *what, long lo, long hi) {
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "%s: %s must be an integer in %ld..%ld, got '%s'\n", prog, what, lo, hi, s);
		exit(2);
	}
	return v;
}

/* Raises the soft descriptor limit to need (up to the hard one); -1, with a
 * line on stderr, when the hard limit is below need. */
static inline int
bench_fd_limit(const char *prog, int need) {
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	if (rl.rlim_cur >= (rlim_t)need)
		return 0;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < (rlim_t)need) {
		fprintf(stderr, "%s: %d descriptors needed; the hard limit is %lu\n", prog, need,
			(unsigned long)rl.rlim_max);
		return -1;
	}
	rl.rlim_cur = (rlim_t)need;
	return setrlimit(RLIMIT_NOFILE, &rl);
}

#endif
