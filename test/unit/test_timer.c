/* test_timer.c: the timer wheel and clocks (skynet_timer.c). */
#include "testlib.h"
#include "skynet_timer.h"
#include "skynet.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAXFIRED 4096

static int fired;
static int fired_session[MAXFIRED];
static uint32_t fired_handle[MAXFIRED];
static uint64_t fired_at[MAXFIRED];
static uint64_t ticks_run; /* ticks the test has advanced since timer_init */
static int readd_left;

static void
on_expire(uint32_t handle, int session) {
	if (fired < MAXFIRED) {
		fired_session[fired] = session;
		fired_handle[fired] = handle;
		fired_at[fired] = ticks_run;
	}
	fired++;
	/* A callback adding a timeout must not deadlock: it runs unlocked. */
	if (handle == 0xcafe && readd_left > 0) {
		readd_left--;
		timer_add(handle, 1, session + 1);
	}
}

static void
setup(void) {
	timer_init(on_expire);
	fired = 0;
	ticks_run = 0;
	readd_left = 0;
}

static void
step(uint32_t n) {
	/* Single ticks so the callback knows the exact tick it fired on. */
	for (uint32_t i = 0; i < n; i++) {
		ticks_run++;
		timer_advance(1);
	}
}

static void
jump(uint32_t n) {
	/* Callers only jump over stretches where nothing may fire. */
	timer_advance(n);
	ticks_run += n;
}

static void
shuffle(int *a, int n, uint32_t seed) {
	for (int i = n - 1; i > 0; i--) {
		seed = seed * 1103515245u + 12345u;
		int j = (seed >> 8) % (i + 1);
		int t = a[i]; a[i] = a[j]; a[j] = t;
	}
}

static void
test_order(void) {
	setup();
	int t[1000];
	for (int i = 0; i < 1000; i++) t[i] = i + 1;
	shuffle(t, 1000, 42);
	for (int i = 0; i < 1000; i++)
		CHECK(timer_add(7, t[i], t[i]) == t[i]);
	CHECK(timer_pending() == 1000);
	for (int tick = 1; tick <= 1000; tick++) {
		step(1);
		CHECKF(fired == tick, "tick %d fired %d", tick, fired);
		CHECKF(fired_session[tick - 1] == tick, "tick %d got session %d", tick, fired_session[tick - 1]);
		CHECK(fired_handle[tick - 1] == 7);
	}
	CHECK(timer_pending() == 0);
	step(2000);
	CHECK(fired == 1000);
	timer_exit();
}

static void
test_same_tick_fifo(void) {
	setup();
	for (int i = 0; i < 10; i++)
		timer_add(1, 300, i);
	step(299);
	CHECK(fired == 0);
	step(1);
	CHECK(fired == 10);
	for (int i = 0; i < 10; i++)
		CHECK(fired_session[i] == i);
	timer_exit();
}

static void
test_immediate(void) {
	setup();
	CHECK(timer_add(5, 0, 11) == 11);
	CHECK(fired == 1 && fired_session[0] == 11 && fired_handle[0] == 5);
	CHECK(timer_add(5, -100, 12) == 12);
	CHECK(fired == 2 && fired_session[1] == 12);
	CHECK(timer_pending() == 0);
	timer_exit();
}

/* Adds the given timeouts (shuffled) at the current tick and checks each fires
 * on exactly its tick. timeouts must be sorted ascending. */
static int
expect_exact(const int *timeouts, int n) {
	int order[64];
	uint64_t base = ticks_run;
	int before = fired;
	for (int i = 0; i < n; i++) order[i] = i;
	shuffle(order, n, (uint32_t)base + 7);
	for (int i = 0; i < n; i++)
		timer_add(1, timeouts[order[i]], order[i]);
	for (int i = 0; i < n; i++) {
		uint64_t due = base + (uint64_t)timeouts[i];
		if (due - 1 > ticks_run)
			jump((uint32_t)(due - 1 - ticks_run));
		if (fired != before + i) {
			printf("# timeout %d: %d fired early\n", timeouts[i], fired - before - i);
			return 0;
		}
		if (ticks_run < due)
			step(1);
		/* Equal timeouts fire on the same tick. */
		int j = i;
		while (j + 1 < n && timeouts[j + 1] == timeouts[i]) j++;
		if (fired != before + j + 1) {
			printf("# timeout %d: fired %d, want %d\n", timeouts[i], fired - before, j + 1);
			return 0;
		}
		i = j;
	}
	return 1;
}

static void
test_long(void) {
	setup();
	const int t[] = { (1 << 24) + 5, 100 * 24 * 3600 * 100 };
	CHECK(expect_exact(t, 2));
	CHECK(timer_pending() == 0);
	/* 2^31 - 1 ticks, the largest the API takes (about 248 days). */
	const int far[] = { 0x7fffffff };
	CHECK(expect_exact(far, 1));
	timer_exit();
}

static void
test_wraps(void) {
	/* Start just before each rollover: near wheel (2^8), each level
	 * (2^14, 2^20, 2^26) and the 32-bit counter itself. */
	const uint64_t edges[] = { 1ull << 8, 1ull << 14, 1ull << 20, 1ull << 26, 1ull << 32 };
	const int t[] = { 1, 2, 3, 4, 4, 255, 256, 257, 300, 16383, 16384, 16385,
		70000, 1 << 20, (1 << 20) + 1, (1 << 26) - 1, (1 << 26) + 3, 1 << 30 };
	const int n = sizeof(t) / sizeof(t[0]);
	for (int e = 0; e < 5; e++) {
		for (int back = 1; back <= 3; back++) {
			setup();
			jump((uint32_t)(edges[e] - back));
			CHECK(fired == 0);
			CHECKF(expect_exact(t, n), "edge %llu - %d", (unsigned long long)edges[e], back);
			CHECK(timer_pending() == 0);
			timer_exit();
		}
	}
}

static void
test_reentrant(void) {
	setup();
	readd_left = 5;
	timer_add(0xcafe, 3, 100);
	step(3);
	CHECK(fired == 1);
	step(5);
	CHECK(fired == 6);
	for (int i = 0; i < 6; i++) {
		CHECK(fired_session[i] == 100 + i);
		CHECK(fired_at[i] == (uint64_t)(3 + i));
	}
	CHECK(timer_pending() == 0);
	timer_exit();
}

#define ADDERS 2
#define PER_ADDER 20000

static volatile int adders_done;

static void *
adder(void *arg) {
	int id = (int)(intptr_t)arg;
	for (int i = 0; i < PER_ADDER; i++)
		timer_add(id, 1 + i % 50, i);
	__atomic_add_fetch(&adders_done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void
test_concurrent_add(void) {
	setup();
	adders_done = 0;
	pthread_t th[ADDERS];
	for (int i = 0; i < ADDERS; i++)
		pthread_create(&th[i], NULL, adder, (void *)(intptr_t)i);
	while (__atomic_load_n(&adders_done, __ATOMIC_SEQ_CST) < ADDERS)
		timer_advance(1);
	for (int i = 0; i < ADDERS; i++)
		pthread_join(th[i], NULL);
	timer_advance(60);
	CHECK(fired == ADDERS * PER_ADDER);
	CHECK(timer_pending() == 0);
	timer_exit();
}

static void
sleep_ms(int ms) {
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static void
test_catch_up(void) {
	setup();
	CHECK(timer_now() == 0);
	timer_add(2, 3, 1);
	sleep_ms(50);
	timer_update();
	uint64_t now = timer_now();
	printf("# after a 50 ms sleep timer_update ran %llu ticks\n", (unsigned long long)now);
	CHECK(now >= 5 && now <= 8);
	CHECK(skynet_now() == now);
	CHECK(fired == 1);
	/* Sub-tick remainders carry: 15 ms + 15 ms make 3 ticks, not 2. */
	timer_exit();
	setup();
	sleep_ms(15);
	timer_update();
	sleep_ms(15);
	timer_update();
	now = timer_now();
	printf("# 15 ms + 15 ms gave %llu ticks\n", (unsigned long long)now);
	CHECK(now >= 3 && now <= 5);
	timer_exit();
}

static void
test_clocks(void) {
	setup();
	uint64_t a = timer_hpc();
	uint64_t b = timer_hpc();
	CHECK(b >= a);
	sleep_ms(2);
	uint64_t c = timer_hpc();
	CHECK(c - a >= 2000000ull);
	/* Not time(NULL): glibc reads a coarse clock there, which can lag the
	 * CLOCK_REALTIME the start time was taken from by a tick. */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint32_t wall = (uint32_t)ts.tv_sec;
	CHECKF(timer_starttime() <= wall && wall - timer_starttime() <= 2, "start time %u, wall clock %u",
		timer_starttime(), wall);
	uint64_t t0 = timer_thread_time();
	volatile uint64_t x = 0;
	for (int i = 0; i < 5000000; i++) x += i;
	uint64_t t1 = timer_thread_time();
	CHECK(t1 > t0);
	uint64_t prev = timer_now();
	for (int i = 0; i < 3; i++) {
		sleep_ms(10);
		timer_update();
		uint64_t n = timer_now();
		CHECK(n >= prev);
		prev = n;
	}
	CHECK(prev >= 3);
	timer_exit();
}

int
main(void) {
	RUN(test_order);
	RUN(test_same_tick_fifo);
	RUN(test_immediate);
	RUN(test_long);
	RUN(test_wraps);
	RUN(test_reentrant);
	RUN(test_concurrent_add);
	RUN(test_catch_up);
	RUN(test_clocks);
	return TESTS_DONE();
}
