/* test_handle.c: the handle table and names (skynet_handle.c). */
#include "testlib.h"
#include "skynet_handle.h"
#include "skynet_malloc.h"

#include <stdint.h>
#include <string.h>

#define HARBOR 3

static int retained;
static void *last_retained;

static void
retain(void *p) {
	retained++;
	last_retained = p;
}

/* Distinct fake pointers; the table never dereferences them. */
static void *
fake(uintptr_t i) {
	return (void *)((i + 1) * 16);
}

static void
setup(void) {
	handle_init(HARBOR, retain);
	retained = 0;
	last_retained = NULL;
}

static void
test_basic(void) {
	setup();
	CHECK(handle_count() == 0);
	CHECK(handle_grab(0) == NULL);
	uint32_t h = handle_register(fake(1));
	CHECK(h != 0);
	CHECK((h & HANDLE_MASK) != 0);
	CHECK(h >> HANDLE_REMOTE_SHIFT == HARBOR);
	CHECK(handle_register(NULL) == 0);
	CHECK(handle_grab(h) == fake(1));
	CHECK(retained == 1 && last_retained == fake(1));
	CHECK(handle_count() == 1);
	/* A handle with another harbor byte, or a neighbour index, is unknown. */
	CHECK(handle_grab((h & HANDLE_MASK) | (4u << 24)) == NULL);
	CHECK(handle_grab(h + 1) == NULL);
	CHECK(retained == 1);
	CHECK(handle_remove(h) == fake(1));
	CHECK(handle_remove(h) == NULL);
	CHECK(handle_grab(h) == NULL);
	CHECK(retained == 1);
	CHECK(handle_count() == 0);
	handle_exit();
}

#define MANY 70000

static void
test_growth(void) {
	setup();
	uint32_t *h = skynet_malloc(sizeof(uint32_t) * MANY);
	int ok = 1;
	for (int i = 0; i < MANY && ok; i++) {
		h[i] = handle_register(fake(i));
		if (h[i] == 0 || h[i] >> 24 != HARBOR)
			ok = 0;
	}
	for (int i = 0; i < MANY && ok; i++)
		if (handle_grab(h[i]) != fake(i))
			ok = 0;
	int n = handle_count();
	int listed = handle_list(h, 0);
	handle_exit();
	skynet_free(h);
	CHECK(ok);
	CHECK(n == MANY);
	CHECK(listed == MANY);
	CHECK(retained == MANY);
}

static void
test_reuse(void) {
	setup();
	uint32_t a = handle_register(fake(1));
	uint32_t b = handle_register(fake(2));
	uint32_t c = handle_register(fake(3));
	CHECK(a != b && b != c && a != c);
	CHECK(handle_remove(b) == fake(2));
	/* The next handle is fresh, not the one just freed. */
	uint32_t d = handle_register(fake(4));
	CHECK(d != b);
	CHECK(handle_grab(b) == NULL);
	/* Churn: the table stays small while handles roll forward, so freed slots
	 * are reused; a stale handle never finds the new occupant. */
	uint32_t prev = d;
	int ok = 1;
	for (int i = 0; i < 100000 && ok; i++) {
		CHECK(handle_remove(prev) != NULL);
		uint32_t e = handle_register(fake(10 + i));
		if (e == prev || e == 0 || handle_grab(prev) != NULL)
			ok = 0;
		prev = e;
	}
	CHECK(ok);
	CHECK(handle_count() == 3);
	uint32_t list[8];
	CHECK(handle_list(list, 8) == 3);
	int seen = 0;
	for (int i = 0; i < 3; i++)
		seen |= (list[i] == a) | (list[i] == c) << 1 | (list[i] == prev) << 2;
	CHECK(seen == 7);
	/* max smaller than the count: fills max, still returns the total */
	list[1] = 0;
	CHECK(handle_list(list, 1) == 3);
	CHECK(list[1] == 0);
	handle_exit();
}

#define NNAMES 500

static void
test_names(void) {
	setup();
	uint32_t h[NNAMES];
	char name[32];
	int order[NNAMES];
	for (int i = 0; i < NNAMES; i++) {
		h[i] = handle_register(fake(i));
		order[i] = i;
	}
	/* Bind in a shuffled order (fixed LCG so failures reproduce). */
	uint32_t seed = 12345;
	for (int i = NNAMES - 1; i > 0; i--) {
		seed = seed * 1103515245u + 12345u;
		int j = (seed >> 8) % (i + 1);
		int t = order[i]; order[i] = order[j]; order[j] = t;
	}
	for (int k = 0; k < NNAMES; k++) {
		int i = order[k];
		snprintf(name, sizeof(name), ".svc%d", i);
		const char *stored = handle_bindname(h[i], name);
		CHECK(stored != NULL && stored != name && strcmp(stored, name) == 0);
	}
	/* Every name is found: binary search only works if the array is sorted. */
	for (int i = 0; i < NNAMES; i++) {
		snprintf(name, sizeof(name), ".svc%d", i);
		CHECKF(handle_findname(name) == h[i], "%s", name);
	}
	CHECK(handle_findname(".svc") == 0);
	CHECK(handle_findname(".svc9999") == 0);
	CHECK(handle_findname("") == 0);
	/* Duplicate rejected, even for another handle. */
	CHECK(handle_bindname(h[1], ".svc0") == NULL);
	CHECK(handle_findname(".svc0") == h[0]);
	/* Several names for one handle; remove drops them all. */
	CHECK(handle_bindname(h[7], "alias7") != NULL);
	CHECK(handle_bindname(h[7], ".zz7") != NULL);
	CHECK(handle_remove(h[7]) == fake(7));
	CHECK(handle_findname(".svc7") == 0);
	CHECK(handle_findname("alias7") == 0);
	CHECK(handle_findname(".zz7") == 0);
	/* The others survive the compaction, still sorted. */
	for (int i = 0; i < NNAMES; i++) {
		if (i == 7) continue;
		snprintf(name, sizeof(name), ".svc%d", i);
		CHECKF(handle_findname(name) == h[i], "%s", name);
	}
	/* A removed local handle cannot take a name; the name is free again. */
	CHECK(handle_bindname(h[7], ".svc7") == NULL);
	CHECK(handle_bindname(h[8], ".svc7") != NULL);
	CHECK(handle_findname(".svc7") == h[8]);
	/* A remote handle may be aliased locally. */
	uint32_t remote = (9u << 24) | 5;
	CHECK(handle_bindname(remote, ".far") != NULL);
	CHECK(handle_findname(".far") == remote);
	handle_exit();
}

struct visit_seen {
	void *ptr;
	char name[32];
	int calls;
};

static void
visit_record(void *ptr, const char *name, void *ud) {
	struct visit_seen *v = ud;
	v->ptr = ptr;
	snprintf(v->name, sizeof(v->name), "%s", name ? name : "(none)");
	v->calls++;
}

/* The crash report's look-up: live handle with and without a name, a
 * stale handle, and no retain (nothing to release in a signal handler). */
static void
test_try_visit(void) {
	setup();
	uint32_t a = handle_register(fake(1));
	uint32_t b = handle_register(fake(2));
	CHECK(handle_bindname(b, "crashed") != NULL);
	struct visit_seen v = { NULL, "", 0 };
	CHECK(handle_try_visit(a, visit_record, &v) == 0);
	CHECK(v.ptr == fake(1) && strcmp(v.name, "(none)") == 0 && v.calls == 1);
	CHECK(handle_try_visit(b, visit_record, &v) == 0);
	CHECK(v.ptr == fake(2) && strcmp(v.name, "crashed") == 0 && v.calls == 2);
	CHECK(retained == 0);
	CHECK(handle_remove(a) == fake(1));
	CHECK(handle_try_visit(a, visit_record, &v) == -1 && v.calls == 2);
	CHECK(handle_try_visit(0, visit_record, &v) == -1);
	handle_exit();
}

int
main(void) {
	RUN(test_basic);
	RUN(test_growth);
	RUN(test_reuse);
	RUN(test_names);
	RUN(test_try_visit);
	return TESTS_DONE();
}
