/* skynet_monitor.h: watching workers for a service stuck on one message. Each
 * worker owns a monitor slot; the worker bumps a version when it starts and ends
 * a message, and the monitor thread checks every second how long the version
 * has stood still. */
#ifndef SKYNET_MONITOR_H
#define SKYNET_MONITOR_H

#include <stdint.h>

struct skynet_monitor;
struct skynet_message;

/* After this long on one message a service is reported and marked endless
 * (skynet's monitor checks every 5 s; so does the report). */
#define MONITOR_REPORT_MS 5000

struct skynet_monitor *skynet_monitor_new(void);
void skynet_monitor_delete(struct skynet_monitor *);
/* Worker side: before (destination != 0) and after (0, 0) each message. */
void skynet_monitor_trigger(struct skynet_monitor *, uint32_t source, uint32_t destination);
/* Monitor side, now_ms from a monotonic clock. A service on the same message
 * for MONITOR_REPORT_MS is logged and marked endless (again every
 * MONITOR_REPORT_MS while it stays); once it has been there break_ms (0: never)
 * it is signalled to break the loop. Returns how long (ms) the worker has been
 * on its current message, 0 when idle. */
uint64_t skynet_monitor_check(struct skynet_monitor *, uint64_t now_ms, uint64_t break_ms);
/* The worker's message counter (moves at each start and end of a message). */
int skynet_monitor_version(struct skynet_monitor *);
/* The service the worker is on (0: idle) and the message's source. */
uint32_t skynet_monitor_destination(struct skynet_monitor *, uint32_t *source);

/* The worker's message slot: the dispatch loop pops each message into it, so
 * the crash report can tell what the worker was running (session, type) at no
 * cost per message. Read from another thread only by the crash report. */
struct skynet_message *skynet_monitor_message(struct skynet_monitor *);

#endif
