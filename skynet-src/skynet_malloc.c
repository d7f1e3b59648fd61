/* skynet_malloc.c: allocation wrappers, per-service C memory counts and allocator
 * statistics.
 *
 * Counting, cheaply: every block has a 16-byte header {size, handle}. Each
 * thread owns an array of counters (bytes, blocks) indexed by the low bits of
 * the handle, written with plain loads and stores (no locked instruction, no
 * shared cache line on the hot path); a reader sums the arrays of all threads.
 * A free on another thread than the allocation makes one thread's counter go
 * down and the other's up: only the sum means something. A slot is shared by
 * handles equal modulo MEM_SLOTS; a new service starts from the slot's current
 * sum (its base), so the figures stay right for live services unless more than
 * MEM_SLOTS of them run at once.
 *
 * Out of memory: a reserve taken at start-up is given back on the first
 * failure, so the node can still log and shut down; a second failure aborts.
 * With jemalloc (the default build) statistics come from mallctl; the ASan
 * build defines NOJEMALLOC and reports what glibc's mallinfo2 knows. */
#include "skynet_malloc.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#ifndef NOJEMALLOC
#include <jemalloc/jemalloc.h>
#else
#include <malloc.h>
#endif

#define MEM_SLOTS 0x4000
#define RESERVE_SIZE (8 * 1024 * 1024)

struct mem_header {
	size_t size;
	uint32_t handle;
	uint32_t pad;
};

struct mem_counter {
	_Atomic int64_t bytes;
	_Atomic int64_t blocks;
};

struct mem_thread {
	struct mem_thread *next;
	struct mem_counter slot[MEM_SLOTS];
};

__thread uint32_t malloc_current_handle __attribute__((tls_model("initial-exec")));

static __thread struct mem_thread *self_counters __attribute__((tls_model("initial-exec")));
static struct mem_thread *_Atomic all_counters;
static _Atomic int64_t slot_base[MEM_SLOTS];
static _Atomic uint32_t slot_owner[MEM_SLOTS];
static void *_Atomic reserve;
static atomic_int reserve_taken;

/* One thread's counters, created on its first allocation. mmap, not malloc:
 * zero pages that cost nothing until touched, and no recursion. */
static struct mem_thread *
thread_counters(void) {
	struct mem_thread *t = self_counters;
	if (t)
		return t;
	t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t == MAP_FAILED) {
		fprintf(stderr, "skynet: out of memory for the allocation counters\n");
		abort();
	}
	t->next = atomic_load(&all_counters);
	while (!atomic_compare_exchange_weak(&all_counters, &t->next, t))
		;
	self_counters = t;
	return t;
}

static inline void
count(uint32_t handle, int64_t bytes, int64_t blocks) {
	struct mem_counter *c = &thread_counters()->slot[handle & (MEM_SLOTS - 1)];
	/* Only this thread writes c: a plain add, readers see a whole value. */
	atomic_store_explicit(&c->bytes, atomic_load_explicit(&c->bytes, memory_order_relaxed) + bytes,
		memory_order_relaxed);
	atomic_store_explicit(&c->blocks, atomic_load_explicit(&c->blocks, memory_order_relaxed) + blocks,
		memory_order_relaxed);
}

static int64_t
slot_sum(int slot, int64_t *blocks) {
	int64_t bytes = 0, n = 0;
	for (struct mem_thread *t = atomic_load(&all_counters); t; t = t->next) {
		bytes += atomic_load_explicit(&t->slot[slot].bytes, memory_order_relaxed);
		n += atomic_load_explicit(&t->slot[slot].blocks, memory_order_relaxed);
	}
	if (blocks)
		*blocks = n;
	return bytes;
}

static void
oom(size_t sz) {
	fprintf(stderr, "skynet: out of memory allocating %zu bytes\n", sz);
	abort();
}

/* On the first failure, give the reserve back and let the caller retry. */
static int
release_reserve(void) {
	void *r = atomic_exchange(&reserve, NULL);
	if (r == NULL)
		return 0;
	free(r);
	atomic_store(&reserve_taken, 1);
	fprintf(stderr, "skynet: memory is exhausted, the emergency reserve is released\n");
	return 1;
}

/* The slow path of an allocation that failed: old/zero as the first try. */
static __attribute__((noinline, cold)) void *
retry_alloc(void *old, size_t sz, int zero) {
	for (;;) {
		if (!release_reserve())
			oom(sz);
		void *p = zero ? calloc(1, sz) : realloc(old, sz);
		if (p)
			return p;
	}
}

static inline void *
raw_malloc(size_t sz) {
	void *p = malloc(sz);
	return __builtin_expect(p != NULL, 1) ? p : retry_alloc(NULL, sz, 0);
}

static void *
attach(struct mem_header *h, size_t sz) {
	uint32_t handle = malloc_current_handle;
	h->size = sz;
	h->handle = handle;
	count(handle, (int64_t)sz, 1);
	return h + 1;
}

static struct mem_header *
detach(void *ptr) {
	struct mem_header *h = (struct mem_header *)ptr - 1;
	count(h->handle, -(int64_t)h->size, -1);
	return h;
}

void *
skynet_malloc(size_t sz) {
	if (sz > SIZE_MAX - sizeof(struct mem_header))
		oom(sz);
	return attach(raw_malloc(sz + sizeof(struct mem_header)), sz);
}

void *
skynet_calloc(size_t nmemb, size_t size) {
	if (size && nmemb > (SIZE_MAX - sizeof(struct mem_header)) / size)
		oom(SIZE_MAX);
	size_t sz = nmemb * size;
	/* calloc, not malloc + memset: big blocks come zeroed from the kernel. */
	void *p = calloc(1, sz + sizeof(struct mem_header));
	if (p == NULL)
		p = retry_alloc(NULL, sz + sizeof(struct mem_header), 1);
	return attach(p, sz);
}

void *
skynet_realloc(void *ptr, size_t size) {
	if (ptr == NULL)
		return skynet_malloc(size);
	if (size > SIZE_MAX - sizeof(struct mem_header))
		oom(size);
	struct mem_header *h = detach(ptr);
	void *p = realloc(h, size + sizeof(struct mem_header));
	if (p == NULL)
		p = retry_alloc(h, size + sizeof(struct mem_header), 0);
	return attach(p, size);
}

void
skynet_free(void *ptr) {
	if (ptr)
		free(detach(ptr));
}

char *
skynet_strdup(const char *str) {
	size_t sz = strlen(str) + 1;
	char *p = skynet_malloc(sz);
	memcpy(p, str, sz);
	return p;
}

void
skynet_malloc_thread_init(void) {
	thread_counters();
	/* Binds jemalloc's thread cache and arena now. volatile: the compiler
	 * drops a malloc whose block is only freed. */
	void *volatile probe = malloc(64);
	free(probe);
	void *expected = NULL;
	if (!atomic_load(&reserve_taken) && atomic_load(&reserve) == NULL) {
		void *r = malloc(RESERVE_SIZE);
		if (r && !atomic_compare_exchange_strong(&reserve, &expected, r))
			free(r);
	}
}

void
skynet_malloc_bind(uint32_t handle) {
	int slot = (int)(handle & (MEM_SLOTS - 1));
	atomic_store(&slot_base[slot], slot_sum(slot, NULL));
	atomic_store(&slot_owner[slot], handle);
}

size_t
malloc_used_memory(void) {
	int64_t total = 0;
	for (int i = 0; i < MEM_SLOTS; i++)
		total += slot_sum(i, NULL);
	return total > 0 ? (size_t)total : 0;
}

size_t
malloc_memory_block(void) {
	int64_t total = 0;
	for (int i = 0; i < MEM_SLOTS; i++) {
		int64_t n;
		slot_sum(i, &n);
		total += n;
	}
	return total > 0 ? (size_t)total : 0;
}

size_t
malloc_current_memory(void) {
	uint32_t handle = malloc_current_handle;
	int slot = (int)(handle & (MEM_SLOTS - 1));
	if (handle == 0 || atomic_load(&slot_owner[slot]) != handle)
		return 0;
	int64_t v = slot_sum(slot, NULL) - atomic_load(&slot_base[slot]);
	return v > 0 ? (size_t)v : 0;
}

void
malloc_each_service(void (*f)(uint32_t handle, int64_t bytes, void *ud), void *ud) {
	for (int i = 1; i < MEM_SLOTS; i++) {
		uint32_t owner = atomic_load(&slot_owner[i]);
		if (owner == 0)
			continue;
		int64_t v = slot_sum(i, NULL) - atomic_load(&slot_base[i]);
		if (v != 0)
			f(owner, v, ud);
	}
}

#ifndef NOJEMALLOC

size_t
malloc_ctl_read(const char *name, int *ok) {
	uint64_t epoch = 1;
	size_t sz = sizeof(epoch);
	mallctl("epoch", &epoch, &sz, &epoch, sz);
	size_t value = 0;
	sz = sizeof(value);
	int r = mallctl(name, &value, &sz, NULL, 0);
	if (ok)
		*ok = r == 0;
	return r == 0 ? value : 0;
}

int
malloc_ctl_command(const char *name) {
	return mallctl(name, NULL, NULL, NULL, 0);
}

int
malloc_ctl_bool(const char *name, const int *newval) {
	bool v = false, nv = newval ? *newval != 0 : false;
	size_t sz = sizeof(v);
	if (mallctl(name, &v, &sz, newval ? &nv : NULL, newval ? sizeof(nv) : 0) != 0)
		return -1;
	return v;
}

void
malloc_dump_stats(const char *opts) {
	malloc_stats_print(NULL, NULL, opts);
}

size_t malloc_allocated(void) { return malloc_ctl_read("stats.allocated", NULL); }
size_t malloc_resident(void) { return malloc_ctl_read("stats.resident", NULL); }

#else

size_t
malloc_ctl_read(const char *name, int *ok) {
	(void)name;
	if (ok)
		*ok = 0;
	return 0;
}

int
malloc_ctl_command(const char *name) {
	(void)name;
	return -1;
}

int
malloc_ctl_bool(const char *name, const int *newval) {
	(void)name;
	(void)newval;
	return -1;
}

void
malloc_dump_stats(const char *opts) {
	(void)opts;
	fprintf(stderr, "skynet: no jemalloc in this build (statistics unavailable)\n");
}

size_t malloc_allocated(void) { return mallinfo2().uordblks; }
size_t malloc_resident(void) { return mallinfo2().arena; }

#endif
