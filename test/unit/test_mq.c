/* test_mq.c: service queues and the global queue (skynet_mq.c). */
#include "testlib.h"
#include "skynet_mq.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

static struct skynet_message
msg(uint32_t source, int session) {
	struct skynet_message m;
	m.source = source;
	m.session = session;
	m.data = NULL;
	m.sz = 0;
	return m;
}

/* Drains a queue that the test owns outright. */
static void
drain_free(struct message_queue *q) {
	mq_mark_release(q);
	mq_release(q, NULL, NULL);
}

static void
test_fifo(void) {
	struct message_queue *q = mq_create(7);
	struct skynet_message m;
	CHECK(mq_handle(q) == 7);
	for (int i = 0; i < 10; i++) {
		m = msg(1, i);
		mq_push(q, &m);
	}
	CHECK(mq_length(q) == 10);
	for (int i = 0; i < 10; i++) {
		CHECK(mq_pop(q, &m) == 0);
		CHECK(m.session == i);
	}
	CHECK(mq_pop(q, &m) == 1);
	/* Interleaved pushes and pops wrap the ring many times without growing. */
	for (int i = 0; i < 1000; i++) {
		m = msg(1, i);
		mq_push(q, &m);
		if (i % 3 == 2) {
			mq_push(q, &m);
			CHECK(mq_pop(q, &m) == 0);
			CHECK(mq_pop(q, &m) == 0);
		}
	}
	/* The empty pop above unlinked it, so the first push relinked it. */
	CHECK(mq_global_pop() == q);
	CHECK(mq_global_pop() == NULL);
	drain_free(q);
}

static void
test_growth(void) {
	struct message_queue *q = mq_create(1);
	struct skynet_message m;
	/* Start mid-ring so growth has to unwrap. */
	for (int i = 0; i < 40; i++) { m = msg(0, -1); mq_push(q, &m); }
	for (int i = 0; i < 40; i++) CHECK(mq_pop(q, &m) == 0);
	for (int i = 0; i < 100000; i++) {
		m = msg(2, i);
		mq_push(q, &m);
	}
	CHECK(mq_length(q) == 100000);
	for (int i = 0; i < 100000; i++) {
		CHECK(mq_pop(q, &m) == 0);
		CHECKF(m.session == i, "got %d want %d", m.session, i);
		CHECK(m.source == 2);
	}
	CHECK(mq_length(q) == 0);
	CHECK(mq_pop(q, &m) == 1);
	drain_free(q);
}

static void
test_in_global(void) {
	mq_global_init();
	struct message_queue *q = mq_create(3);
	struct skynet_message m = msg(0, 1);
	/* Created in global: a push does not link it. */
	CHECK(mq_push(q, &m) == 0);
	CHECK(mq_global_length() == 0);
	CHECK(mq_pop(q, &m) == 0);
	/* Empty pop clears the flag and says so. */
	CHECK(mq_pop(q, &m) == 1);
	/* Now the first push links it, the second does not. */
	CHECK(mq_push(q, &m) == 1);
	CHECK(mq_global_length() == 1);
	CHECK(mq_push(q, &m) == 0);
	CHECK(mq_global_length() == 1);
	CHECK(mq_global_pop() == q);
	CHECK(mq_global_pop() == NULL);
	CHECK(mq_global_length() == 0);
	/* Still in global (being dispatched): pushes do not relink it. */
	CHECK(mq_push(q, &m) == 0);
	CHECK(mq_global_length() == 0);
	/* Unmarked release puts it back. */
	mq_release(q, NULL, NULL);
	CHECK(mq_global_length() == 1);
	CHECK(mq_global_pop() == q);
	drain_free(q);
	mq_global_exit();
}

/* mq_push_claim makes an idle queue runnable without linking it (the caller
 * schedules it); mq_park gives an empty held queue back to idle. */
static void
test_claim_park(void) {
	mq_global_init();
	struct message_queue *q = mq_create(4);
	struct skynet_message m = msg(0, 1);
	CHECK(mq_pop(q, &m) == 1); /* idle */
	CHECK(mq_push_claim(q, &m) == 1);
	CHECK(mq_global_length() == 0);
	CHECK(mq_push_claim(q, &m) == 0); /* already runnable */
	CHECK(mq_push(q, &m) == 0);       /* and not linked by a plain push either */
	CHECK(mq_global_length() == 0);
	CHECK(mq_park(q) == 0);           /* not empty: stays runnable */
	for (int i = 0; i < 3; i++)
		CHECK(mq_pop(q, &m) == 0);
	CHECK(mq_park(q) == 1);           /* empty: idle again */
	CHECK(mq_push_claim(q, &m) == 1);
	CHECK(mq_pop(q, &m) == 0);
	CHECK(mq_park(q) == 1);
	CHECK(mq_push(q, &m) == 1);       /* idle: a plain push links it */
	CHECK(mq_global_pop() == q);
	mq_mark_release(q);
	mq_release(q, NULL, NULL);
	mq_global_exit();
}

static void
test_overload(void) {
	struct message_queue *q = mq_create(4);
	struct skynet_message m = msg(0, 0);
	for (int i = 0; i < 1024; i++)
		mq_push(q, &m);
	CHECK(mq_overload(q) == 0);
	mq_push(q, &m);
	CHECK(mq_overload(q) == 1025);
	CHECK(mq_overload(q) == 0);
	/* Threshold is now 2048. */
	for (int i = 1025; i < 2048; i++)
		mq_push(q, &m);
	CHECK(mq_overload(q) == 0);
	mq_push(q, &m);
	CHECK(mq_overload(q) == 2049);
	CHECK(mq_overload(q) == 0);
	/* Emptying resets the threshold to 1024. */
	while (mq_pop(q, &m) == 0) {}
	for (int i = 0; i < 1025; i++)
		mq_push(q, &m);
	CHECK(mq_overload(q) == 1025);
	drain_free(q);
}

static void
test_global_order(void) {
	mq_global_init();
	struct message_queue *q[5];
	for (int i = 0; i < 5; i++) q[i] = mq_create(i + 1);
	CHECK(mq_global_pop() == NULL);
	CHECK(mq_global_push(q[0]) == 1);
	for (int i = 1; i < 5; i++) CHECK(mq_global_push(q[i]) == 0);
	CHECK(mq_global_length() == 5);
	for (int i = 0; i < 3; i++) CHECK(mq_global_pop() == q[i]);
	mq_global_push(q[0]);
	CHECK(mq_global_pop() == q[3]);
	CHECK(mq_global_pop() == q[4]);
	CHECK(mq_global_pop() == q[0]);
	CHECK(mq_global_pop() == NULL);
	for (int i = 0; i < 5; i++) {
		/* in_global is still 1 for each, so mark does not relink. */
		mq_mark_release(q[i]);
		CHECK(mq_global_length() == 0);
		mq_release(q[i], NULL, NULL);
	}
	mq_global_exit();
}

#define PRODUCERS 4
#define PER_PRODUCER 100000

static struct message_queue *shared_q;

static void *
producer(void *arg) {
	uint32_t id = (uint32_t)(uintptr_t)arg;
	for (int i = 0; i < PER_PRODUCER; i++) {
		struct skynet_message m = msg(id, i);
		mq_push(shared_q, &m);
	}
	return NULL;
}

static void
test_threads(void) {
	mq_global_init();
	shared_q = mq_create(9);
	struct skynet_message m;
	/* Let the queue idle so producers' pushes exercise linking. */
	CHECK(mq_pop(shared_q, &m) == 1);
	pthread_t th[PRODUCERS];
	int next[PRODUCERS] = {0};
	for (int i = 0; i < PRODUCERS; i++)
		pthread_create(&th[i], NULL, producer, (void *)(uintptr_t)i);
	int seen = 0, bad = 0;
	while (seen < PRODUCERS * PER_PRODUCER && !bad) {
		/* Act like a worker: take the queue from the global list, drain it. */
		struct message_queue *q = mq_global_pop();
		if (q == NULL)
			continue;
		if (q != shared_q) { bad = 1; break; }
		while (mq_pop(q, &m) == 0) {
			if (m.source >= PRODUCERS || m.session != next[m.source]) { bad = 2; break; }
			next[m.source]++;
			seen++;
		}
	}
	for (int i = 0; i < PRODUCERS; i++)
		pthread_join(th[i], NULL);
	CHECKF(bad == 0, "bad=%d", bad);
	for (int i = 0; i < PRODUCERS; i++)
		CHECK(next[i] == PER_PRODUCER);
	CHECK(mq_global_pop() == NULL);
	CHECK(mq_length(shared_q) == 0);
	mq_mark_release(shared_q); /* idle: mark links it for a worker */
	CHECK(mq_global_pop() == shared_q);
	mq_release(shared_q, NULL, NULL);
	mq_global_exit();
}

static int dropped;
static int drop_sum;

static void
count_drop(struct skynet_message *m, void *ud) {
	dropped++;
	drop_sum += m->session;
	*(int *)ud += 1;
}

static void
test_release_drop(void) {
	mq_global_init();
	struct message_queue *q = mq_create(5);
	struct skynet_message m;
	int calls = 0;
	for (int i = 1; i <= 100; i++) {
		m = msg(0, i);
		mq_push(q, &m);
	}
	mq_pop(q, &m);
	mq_mark_release(q);
	CHECK(mq_global_length() == 0); /* was in global already */
	dropped = drop_sum = 0;
	mq_release(q, count_drop, &calls);
	CHECK(dropped == 99);
	CHECK(calls == 99);
	CHECK(drop_sum == 5050 - 1);
	mq_global_exit();
}

static void
measure_push_pop(void) {
	struct message_queue *q = mq_create(1);
	struct skynet_message m = msg(0, 0);
	const int n = 2000000;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < n; i++) {
		m.session = i;
		mq_push(q, &m);
		mq_pop(q, &m);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ns = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n;
	printf("# mq_push+mq_pop pair: %.1f ns\n", ns);
	CHECK(m.session == n - 1);
	drain_free(q);
}

/* The crash report's pop: same order as mq_pop; on an empty queue it
 * answers 1 but leaves the queue linked (a later push does not relink it). */
static void
test_try_pop(void) {
	struct message_queue *q = mq_create(9);
	struct skynet_message m;
	CHECK(mq_global_pop() == NULL);
	for (int i = 0; i < 3; i++) {
		m = msg(2, i);
		mq_push(q, &m);
	}
	for (int i = 0; i < 3; i++) {
		CHECK(mq_try_pop(q, &m) == 0);
		CHECK(m.session == i && m.source == 2);
	}
	CHECK(mq_try_pop(q, &m) == 1);
	CHECK(mq_length(q) == 0);
	/* Created flagged in-global; try_pop did not clear it, so no link. */
	m = msg(2, 7);
	mq_push(q, &m);
	CHECK(mq_global_pop() == NULL);
	CHECK(mq_pop(q, &m) == 0 && m.session == 7);
	drain_free(q);
	while (mq_global_pop())
		;
}

int
main(void) {
	mq_global_init();
	RUN(test_fifo);
	RUN(test_growth);
	RUN(test_in_global);
	RUN(test_claim_park);
	RUN(test_overload);
	RUN(test_global_order);
	RUN(test_threads);
	RUN(test_release_drop);
	RUN(test_try_pop);
	mq_global_init();
	RUN(measure_push_pop);
	mq_global_exit();
	return TESTS_DONE();
}
