/* skynet_monitor.c: endless-loop detection. The check is two reads of a version
 * counter 5 s apart, so the hot path (trigger) costs two stores. */
#include "skynet.h"
#include "skynet_monitor.h"
#include "skynet_server.h"

#include "atomic.h"

struct skynet_monitor {
	ATOM_INT version;
	int check_version;
	_Atomic uint32_t source;
	_Atomic uint32_t destination;
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

void
skynet_monitor_check(struct skynet_monitor *m) {
	int version = atomic_load_explicit(&m->version, memory_order_acquire);
	if (version == m->check_version) {
		uint32_t destination = atomic_load_explicit(&m->destination, memory_order_relaxed);
		if (destination) {
			uint32_t source = atomic_load_explicit(&m->source, memory_order_relaxed);
			skynet_context_endless(destination);
			skynet_error(NULL, "error: a message from [ :%08x ] to [ :%08x ] may be in an endless loop (version = %d)",
				source, destination, version);
		}
	} else {
		m->check_version = version;
	}
}
