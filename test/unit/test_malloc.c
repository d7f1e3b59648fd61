/* test_malloc.c: the per-service C memory counts of skynet_malloc.c. */
#include "testlib.h"
#include "skynet_malloc.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

struct found {
	uint32_t handle;
	int64_t bytes;
};

static void
find_one(uint32_t handle, int64_t bytes, void *ud) {
	struct found *f = ud;
	if (handle == f->handle)
		f->bytes = bytes;
}

static int64_t
service_bytes(uint32_t handle) {
	struct found f = { handle, 0 };
	malloc_each_service(find_one, &f);
	return f.bytes;
}

static void
test_counted_to_the_current_service(void) {
	skynet_malloc_bind(0x01000005);
	malloc_current_handle = 0x01000005;
	size_t total = malloc_used_memory(), blocks = malloc_memory_block();
	char *p = skynet_malloc(1000);
	CHECKF(malloc_current_memory() == 1000, "%zu", malloc_current_memory());
	CHECK(malloc_used_memory() == total + 1000);
	CHECK(malloc_memory_block() == blocks + 1);
	p = skynet_realloc(p, 5000);
	CHECK(service_bytes(0x01000005) == 5000);
	skynet_free(p);
	CHECK(malloc_current_memory() == 0);
	CHECK(malloc_used_memory() == total);
	CHECK(malloc_memory_block() == blocks);
	malloc_current_handle = 0;
}

static void
test_calloc_zeroes_and_counts(void) {
	skynet_malloc_bind(0x01000006);
	malloc_current_handle = 0x01000006;
	unsigned char *p = skynet_calloc(100, 40);
	int zero = 1;
	for (int i = 0; i < 4000; i++)
		zero &= p[i] == 0;
	CHECK(zero);
	CHECK(malloc_current_memory() == 4000);
	char *s = skynet_strdup("hello");
	CHECK(strcmp(s, "hello") == 0);
	CHECK(malloc_current_memory() == 4006);
	skynet_free(p);
	skynet_free(s);
	CHECK(malloc_current_memory() == 0);
	malloc_current_handle = 0;
}

static void *
free_elsewhere(void *p) {
	malloc_current_handle = 0x01000099; /* another service frees it */
	skynet_free(p);
	return NULL;
}

static void
test_freed_on_another_thread_by_another_service(void) {
	skynet_malloc_bind(0x01000007);
	malloc_current_handle = 0x01000007;
	void *p = skynet_malloc(777);
	CHECK(service_bytes(0x01000007) == 777);
	pthread_t t;
	CHECK(pthread_create(&t, NULL, free_elsewhere, p) == 0);
	pthread_join(t, NULL);
	CHECK(service_bytes(0x01000007) == 0);
	CHECK(service_bytes(0x01000099) == 0);
	malloc_current_handle = 0;
}

static void
test_a_new_service_starts_from_zero(void) {
	/* 0x01000008 and 0x01004008 share a slot. */
	skynet_malloc_bind(0x01000008);
	malloc_current_handle = 0x01000008;
	void *leak = skynet_malloc(300);
	skynet_malloc_bind(0x01004008);
	malloc_current_handle = 0x01004008;
	CHECK(malloc_current_memory() == 0);
	void *p = skynet_malloc(50);
	CHECK(malloc_current_memory() == 50);
	skynet_free(p);
	malloc_current_handle = 0;
	skynet_free(leak);
}

int
main(void) {
	skynet_malloc_thread_init();
	RUN(test_counted_to_the_current_service);
	RUN(test_calloc_zeroes_and_counts);
	RUN(test_freed_on_another_thread_by_another_service);
	RUN(test_a_new_service_starts_from_zero);
	return TESTS_DONE();
}
