/* skynet_malloc.c: allocation wrappers and allocator statistics.
 * With jemalloc (the default build) statistics come from mallctl; the ASan build
 * defines NOJEMALLOC and reports what glibc's mallinfo2 knows. */
#include "skynet_malloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef NOJEMALLOC
#include <jemalloc/jemalloc.h>
#else
#include <malloc.h>
#endif

static void
oom(size_t sz) {
	fprintf(stderr, "skynet: out of memory allocating %zu bytes\n", sz);
	abort();
}

void *
skynet_malloc(size_t sz) {
	void *p = malloc(sz);
	if (p == NULL && sz)
		oom(sz);
	return p;
}

void *
skynet_calloc(size_t nmemb, size_t size) {
	void *p = calloc(nmemb, size);
	if (p == NULL && nmemb && size)
		oom(nmemb * size);
	return p;
}

void *
skynet_realloc(void *ptr, size_t size) {
	void *p = realloc(ptr, size);
	if (p == NULL && size)
		oom(size);
	return p;
}

void
skynet_free(void *ptr) {
	free(ptr);
}

char *
skynet_strdup(const char *str) {
	size_t sz = strlen(str) + 1;
	char *p = skynet_malloc(sz);
	memcpy(p, str, sz);
	return p;
}

#ifndef NOJEMALLOC

static size_t
stat_value(const char *name) {
	uint64_t epoch = 1;
	size_t sz = sizeof(epoch);
	mallctl("epoch", &epoch, &sz, &epoch, sz);
	size_t value = 0;
	sz = sizeof(value);
	if (mallctl(name, &value, &sz, NULL, 0) != 0)
		return 0;
	return value;
}

size_t malloc_allocated(void) { return stat_value("stats.allocated"); }
size_t malloc_resident(void) { return stat_value("stats.resident"); }

#else

size_t malloc_allocated(void) { return mallinfo2().uordblks; }
size_t malloc_resident(void) { return mallinfo2().arena; }

#endif
