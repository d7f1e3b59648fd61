/* testlib.h: the smallest test framework that does the job. Each case prints
 * "ok - name" or "not ok - name: why" (TAP style); test/run.sh counts those lines
 * across all binaries and prints the closing "N passed, N failed". */
#ifndef TESTLIB_H
#define TESTLIB_H

#include <stdio.h>
#include <stdlib.h>

static int testlib_failed_case;
static int testlib_failures;
static const char *testlib_skip_reason;

/* SKIP(why): ends the case as skipped ("ok - name # skip why"), never a pass. */
#define SKIP(why) do { testlib_skip_reason = (why); return; } while (0)

#define CHECK(cond) do { \
	if (!(cond)) { \
		printf("# %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		testlib_failed_case = 1; \
		return; \
	} \
} while (0)

#define CHECKF(cond, ...) do { \
	if (!(cond)) { \
		printf("# %s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
		printf(__VA_ARGS__); \
		printf("\n"); \
		testlib_failed_case = 1; \
		return; \
	} \
} while (0)

#define RUN(fn) do { \
	testlib_failed_case = 0; \
	testlib_skip_reason = NULL; \
	fn(); \
	if (testlib_failed_case) { testlib_failures++; printf("not ok - %s\n", #fn); } \
	else if (testlib_skip_reason) printf("ok - %s # skip %s\n", #fn, testlib_skip_reason); \
	else printf("ok - %s\n", #fn); \
	fflush(stdout); \
} while (0)

#define TESTS_DONE() (testlib_failures ? 1 : 0)

#endif
