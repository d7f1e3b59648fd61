/* skynet_monitor.c: endless-loop detection. The worker's side (trigger) costs
 * two relaxed stores and an increment; everything else happens on the monitor
 * thread, which remembers when it first saw each version.
 *
 * Like skynet, a long message is reported and the service marked (STAT endless)
 * but not interrupted: a legitimate long computation finishes. The loop is
 * broken (snlua's signal 0) only on request (SIGNAL), or after the configured
 * endless_break, or when the node shuts down. */
#include "skynet.h"
#include "skynet_metrics.h"
#include "skynet_monitor.h"
#include "skynet_mq.h"
#include "skynet_server.h"

#include "atomic.h"

struct skynet_monitor {
	ATOM_INT version;
	_Atomic uint32_t source;
	_Atomic uint32_t destination;
	/* the message the worker dispatches (it pops straight into it) */
	struct skynet_message msg;
	/* monitor thread only */
	int check_version;
	uint64_t since;       /* when check_version was first seen */
	uint64_t reported;    /* last report, 0: none for this version */
	uint64_t signalled;   /* last break signal, 0: none */
};

struct skynet_monitor *
skynet_monitor_new(void) {
	struct skynet_monitor *m = skynet_calloc(1, sizeof(*m));
	return m;
}

void
skynet_monitor_delete(struct skynet_monitor *m) {
	skynet_free(m);
}

void
skynet_monitor_trigger(struct skynet_monitor *m, uint32_t source, uint32_t destination) {
	atomic_store_explicit(&m->source, source, memory_order_relaxed);
	atomic_store_explicit(&m->destination, destination, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->version, 1, memory_order_release);
}

struct skynet_message *
skynet_monitor_message(struct skynet_monitor *m) {
	return &m->msg;
}

int
skynet_monitor_version(struct skynet_monitor *m) {
	return atomic_load_explicit(&m->version, memory_order_acquire);
}

uint32_t
skynet_monitor_destination(struct skynet_monitor *m, uint32_t *source) {
	if (source)
		*source = atomic_load_explicit(&m->source, memory_order_relaxed);
	return atomic_load_explicit(&m->destination, memory_order_relaxed);
}

uint64_t
skynet_monitor_check(struct skynet_monitor *m, uint64_t now_ms, uint64_t break_ms) {
	int version = atomic_load_explicit(&m->version, memory_order_acquire);
	if (version != m->check_version || m->since == 0) {
		m->check_version = version;
		m->since = now_ms;
		m->reported = 0;
		m->signalled = 0;
		return 0;
	}
	uint32_t destination = atomic_load_explicit(&m->destination, memory_order_relaxed);
	if (destination == 0)
		return 0;
	uint64_t stuck = now_ms - m->since;
	if (stuck >= MONITOR_REPORT_MS && (m->reported == 0 || now_ms - m->reported >= MONITOR_REPORT_MS)) {
		uint32_t source = atomic_load_explicit(&m->source, memory_order_relaxed);
		m->reported = now_ms;
		skynet_context_endless(destination);
		skynet_metrics_endless();
		skynet_error(NULL, "error: A message from [ :%08x ] to [ :%08x ] maybe in an endless loop (version = %d)",
			source, destination, version);
	}
	/* Signal again now and then: a signal that arrived between two Lua
	 * messages of a C loop may have been missed. */
	if (break_ms && stuck >= break_ms && (m->signalled == 0 || now_ms - m->signalled >= MONITOR_REPORT_MS)) {
		m->signalled = now_ms;
		skynet_error(NULL, "break the loop of [ :%08x ] after %.1f s", destination, (double)stuck / 1000);
		skynet_context_break(destination);
	}
	return stuck;
}
