/* skynet_monitor.h: watching workers for a service stuck on one message. Each
 * worker owns a monitor slot; the worker bumps a version when it starts a message
 * and the monitor thread checks every 5 s whether the version moved. */
#ifndef SKYNET_MONITOR_H
#define SKYNET_MONITOR_H

#include <stdint.h>

struct skynet_monitor;

struct skynet_monitor *skynet_monitor_new(void);
void skynet_monitor_delete(struct skynet_monitor *);
/* Worker side: before (destination != 0) and after (0, 0) each message. */
void skynet_monitor_trigger(struct skynet_monitor *, uint32_t source, uint32_t destination);
/* Monitor side: reports and signals a service still on the same message as at the
 * previous check. */
void skynet_monitor_check(struct skynet_monitor *);

#endif
