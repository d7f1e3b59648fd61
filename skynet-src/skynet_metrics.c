/* skynet_metrics.c: the counters of skynet_metrics.h. Relaxed atomics: the
 * figures are statistics, read while they move; none is on the per-message
 * path (the timer's is once per tick, on the timer thread). */
#include "skynet_metrics.h"

#include <stdatomic.h>

static struct {
	atomic_uint_fast64_t overload;
	atomic_uint_fast64_t endless;
	atomic_uint_fast64_t timer_updates;
	atomic_uint_fast64_t timer_late_ns;
	atomic_uint_fast64_t timer_late_max_ns;
	atomic_uint_fast64_t retired;
	atomic_uint_fast64_t retired_cpu_us;
	atomic_uint_fast64_t retired_messages;
} M;

static void
metrics_add(atomic_uint_fast64_t *c, uint64_t n) {
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static uint64_t
metrics_get(atomic_uint_fast64_t *c) {
	return atomic_load_explicit(c, memory_order_relaxed);
}

void
skynet_metrics_overload(void) {
	metrics_add(&M.overload, 1);
}

void
skynet_metrics_endless(void) {
	metrics_add(&M.endless, 1);
}

void
skynet_metrics_timer(uint64_t late_ns) {
	metrics_add(&M.timer_updates, 1);
	metrics_add(&M.timer_late_ns, late_ns);
	/* only the timer thread writes the max: a plain compare is enough */
	if (late_ns > metrics_get(&M.timer_late_max_ns))
		atomic_store_explicit(&M.timer_late_max_ns, late_ns, memory_order_relaxed);
}

void
skynet_metrics_retire(uint64_t cpu_us, int messages) {
	metrics_add(&M.retired, 1);
	metrics_add(&M.retired_cpu_us, cpu_us);
	metrics_add(&M.retired_messages, messages > 0 ? (uint64_t)messages : 0);
}

void
skynet_metrics_read(struct skynet_metrics *out, int reset_max) {
	out->overload = metrics_get(&M.overload);
	out->endless = metrics_get(&M.endless);
	out->timer_updates = metrics_get(&M.timer_updates);
	out->timer_late_ns = metrics_get(&M.timer_late_ns);
	out->timer_late_max_ns = reset_max
		? atomic_exchange_explicit(&M.timer_late_max_ns, 0, memory_order_relaxed)
		: metrics_get(&M.timer_late_max_ns);
	out->retired = metrics_get(&M.retired);
	out->retired_cpu_us = metrics_get(&M.retired_cpu_us);
	out->retired_messages = metrics_get(&M.retired_messages);
}
