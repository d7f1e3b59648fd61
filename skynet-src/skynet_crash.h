/* skynet_crash.h: the crash report. On SIGSEGV, SIGBUS, SIGFPE, SIGILL or
 * SIGABRT the node writes what the logger still has queued, then a report (the
 * signal, what each worker was running, a backtrace of the crashed thread) to
 * the log and to stderr, and dies by the signal with its default action (a core
 * file when enabled). Everything here that runs in the signal handler uses only
 * async-signal-safe calls, locks taken by try only, and no allocation. */
#ifndef SKYNET_CRASH_H
#define SKYNET_CRASH_H

#include <stddef.h>
#include <stdint.h>

struct skynet_context;
struct skynet_monitor;

/* How the logger service writes at crash time: line writes one log line as the
 * logger formats it (write(2) only); fd is the descriptor of the log, for the
 * raw backtrace lines. */
struct skynet_crash_log {
	void (*line)(void *ud, uint32_t source, const char *text, size_t sz);
	int (*fd)(void *ud);
	void *ud;
};

/* Installs the handlers (process-wide) and warms up the backtrace machinery. */
void skynet_crash_install(void);
/* The workers' monitors, read by the report (count 0: none, before freeing them). */
void skynet_crash_workers(struct skynet_monitor **m, int count);
/* Each node thread, when it starts and before it ends: names the thread in a
 * report (worker is its index, -1 for the others) and gives it an alternate
 * signal stack, so a stack overflow is still reported. */
void skynet_crash_thread_enter(const char *name, int worker);
void skynet_crash_thread_leave(void);
/* The logger registers how to write (log NULL: unregister, at its release).
 * The first logger registered (the node's) keeps it until it unregisters. */
void skynet_crash_set_logger(struct skynet_context *ctx, const struct skynet_crash_log *log);

#endif
