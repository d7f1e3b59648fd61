/* skynet_metrics.h: node-wide counters for the operator's /metrics page, fed
 * from cold paths only (an overload report, an endless-loop report, a service
 * freed, one timer update per tick) and read by lualib-src/lua-metrics.c.
 * The store knows nothing of services: it is a primitive, callable from any
 * layer. */
#ifndef SKYNET_METRICS_H
#define SKYNET_METRICS_H

#include <stdint.h>

struct skynet_metrics {
	uint64_t overload;          /* "May overload" reports */
	uint64_t endless;           /* "maybe in an endless loop" reports */
	uint64_t timer_updates;     /* timer updates that ran at least one tick */
	uint64_t timer_late_ns;     /* sum of their lateness */
	uint64_t timer_late_max_ns; /* the largest since the last read_max */
	uint64_t retired;           /* services freed */
	uint64_t retired_cpu_us;    /* their CPU time (profile on) */
	uint64_t retired_messages;  /* the messages they handled */
};

void skynet_metrics_overload(void);
void skynet_metrics_endless(void);
/* late_ns: how long after its due time the first tick of an update ran */
void skynet_metrics_timer(uint64_t late_ns);
void skynet_metrics_retire(uint64_t cpu_us, int messages);

/* Copies the counters; reset_max clears timer_late_max_ns after reading. */
void skynet_metrics_read(struct skynet_metrics *out, int reset_max);

#endif
