/* skynet_shutdown.h: graceful shutdown hooks. A service that wants to run code
 * before the node retires its services on SIGTERM/SIGINT registers here
 * (command SHUTDOWNHOOK, from skynet.shutdown(fn) or a SHUTDOWN debug command
 * handler); at the signal each gets a PTYPE_DEBUG "SHUTDOWN" message (one
 * registered while the hooks run gets it at once) and says
 * it is done (SHUTDOWNHOOK done). A service that exits counts as done. The
 * timer thread drives the phase (skynet_start.c). Services that register
 * nothing cost nothing. */
#ifndef SKYNET_SHUTDOWN_H
#define SKYNET_SHUTDOWN_H

#include <stdint.h>

/* Registers handle with a label for the log (its service name); a second
 * registration only updates the label. 0, or -1 when out of memory. */
int shutdown_hook_add(uint32_t handle, const char *label);
/* The service's hook has finished. */
void shutdown_hook_done(uint32_t handle);
/* Sends SHUTDOWN to every registered live service; returns how many. */
int shutdown_hook_begin(void);
/* How many of the services sent SHUTDOWN are alive and not done. */
int shutdown_hook_pending(void);
/* Writes up to cap bytes of " [:0100000a] name," for each pending one into
 * buf; returns how many there are. */
int shutdown_hook_describe(char *buf, int cap);
/* Frees the registry (after the threads stopped). */
void shutdown_hook_exit(void);

#endif
