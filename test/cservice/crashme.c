/* crashme.c: a C service for the crash-report tests only (built into
 * build/MODE/testsvc/, never installed). A text message names the crash:
 * "segv" (a write to address 0x10), "abrt" (abort()), "fpe" (an integer
 * division by zero), "stack" (unbounded recursion), "ill" (an undefined
 * instruction), "bus" (a read of a mapped page past the end of its file). Before crashing it logs
 * CRASHME_LINES lines, so the test sees that lines still queued at the logger
 * are written out by the crash report. Built without sanitizers, so each
 * fault is a real signal even in the ASan build. */
#define _GNU_SOURCE /* memfd_create */
#include "skynet.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define CRASHME_LINES 1000

static volatile uintptr_t bad_address = 0x10;
static volatile int zero = 0;
static volatile long depth_limit = 1L << 40;

static long
recurse(long n) {
	volatile char frame[512];
	frame[0] = (char)n;
	if (n >= depth_limit)
		return n;
	return recurse(n + 1) + frame[0];
}

/* A page of a memory file that is then cut to nothing: touching it is SIGBUS. */
static void
bus_error(void) {
	int fd = memfd_create("crashme", 0);
	if (fd < 0 || ftruncate(fd, 4096) != 0)
		return;
	volatile char *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED || ftruncate(fd, 0) != 0)
		return;
	zero = p[0];
}

static void
crash(const char *mode, size_t sz) {
	if (sz == 4 && memcmp(mode, "segv", 4) == 0)
		*(volatile int *)bad_address = 1;
	else if (sz == 4 && memcmp(mode, "abrt", 4) == 0)
		abort();
	else if (sz == 3 && memcmp(mode, "fpe", 3) == 0)
		zero = 100 / zero;
	else if (sz == 5 && memcmp(mode, "stack", 5) == 0)
		depth_limit = recurse(0);
	else if (sz == 3 && memcmp(mode, "ill", 3) == 0)
		__builtin_trap();
	else if (sz == 3 && memcmp(mode, "bus", 3) == 0)
		bus_error();
}

static int
crashme_cb(struct skynet_context *ctx, void *ud, int type, int session, uint32_t source, const void *msg,
	size_t sz) {
	(void)ud;
	(void)session;
	(void)source;
	if (type != PTYPE_TEXT)
		return 0;
	for (int i = 1; i <= CRASHME_LINES; i++)
		skynet_error(ctx, "CRASHME line %d of %d", i, CRASHME_LINES);
	crash(msg, sz);
	skynet_error(ctx, "CRASHME unknown mode %.*s", (int)sz, (const char *)msg);
	return 0;
}

void *
crashme_create(void) {
	return malloc(1);
}

void
crashme_release(void *inst) {
	free(inst);
}

int
crashme_init(void *inst, struct skynet_context *ctx, const char *parm) {
	(void)parm;
	skynet_callback(ctx, inst, crashme_cb);
	return 0;
}
