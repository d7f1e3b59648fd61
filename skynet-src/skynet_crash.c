/* skynet_crash.c: the crash report (see skynet_crash.h for what it writes).
 *
 * The handler runs on the crashed thread, on that thread's alternate stack
 * (each node thread gets one in skynet_crash_thread_enter), so a stack
 * overflow is reported too. Order: first the lines the logger service still
 * has queued (taken off its queue and written through the logger's own crash
 * writer), then the report, then the default action of the signal, re-raised.
 *
 * Guards: the first thread to crash owns the report. A fault inside the report
 * (same thread) goes straight to the default action; another thread crashing
 * meanwhile waits (bounded) for the first to end the process. Lines are built
 * in stack buffers with hand-written formatting (no stdio, no malloc); the
 * backtrace comes from glibc's backtrace(), warmed up at install time so its
 * first call (which loads libgcc_s) does not happen in the handler. */
#define _GNU_SOURCE
#include "skynet.h"
#include "skynet_crash.h"
#include "skynet_monitor.h"
#include "skynet_mq.h"
#include "skynet_server.h"

#include <execinfo.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define CRASH_STACK_SIZE (128 * 1024)
#define CRASH_FRAMES 64
#define CRASH_LOG_MAX 100000     /* queued log lines written out at most */
#define CRASH_WAIT_TENTHS 100    /* a second crashing thread waits this long */
#define LINE_CAP 512

struct crash_line {
	char buf[LINE_CAP];
	size_t len;
};

static const int crash_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };

static struct {
	struct skynet_monitor **m;
	_Atomic int count;
	_Atomic uint32_t logger;  /* 0: no crash writer registered */
	struct skynet_crash_log log;
	atomic_int owner;         /* tid of the thread writing the report */
} C;

static __thread const char *thread_name;
static __thread int thread_worker = -1;
static __thread void *thread_stack;   /* our alternate stack, if we set one */
static __thread stack_t thread_prev;  /* the one it replaced */

static void
put(struct crash_line *l, const char *s) {
	while (*s && l->len < LINE_CAP - 1)
		l->buf[l->len++] = *s++;
}

static void
put_dec(struct crash_line *l, long long v) {
	char tmp[24];
	int n = 0;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		tmp[n++] = '-';
	while (n > 0 && l->len < LINE_CAP - 1)
		l->buf[l->len++] = tmp[--n];
}

static void
put_hex(struct crash_line *l, unsigned long long v, int digits) {
	static const char hex[] = "0123456789abcdef";
	char tmp[16];
	int n = 0;
	do {
		tmp[n++] = hex[v & 15];
		v >>= 4;
	} while (v || n < digits);
	while (n > 0 && l->len < LINE_CAP - 1)
		l->buf[l->len++] = tmp[--n];
}

static void
put_handle(struct crash_line *l, uint32_t h) {
	put(l, "[:");
	put_hex(l, h, 8);
	put(l, "]");
}

static bool
has_logger(void) {
	return atomic_load_explicit(&C.logger, memory_order_acquire) != 0;
}

/* Is the log stderr itself (same open file), so one copy is enough? */
static bool
log_is_stderr(int logfd) {
	struct stat a, b;
	if (logfd < 0)
		return false;
	if (logfd == STDERR_FILENO)
		return true;
	return fstat(logfd, &a) == 0 && fstat(STDERR_FILENO, &b) == 0 && a.st_dev == b.st_dev &&
		a.st_ino == b.st_ino;
}

/* One report line: to the log through the logger's writer, and to stderr. */
static void
emit(struct crash_line *l) {
	int logfd = -1;
	if (has_logger()) {
		C.log.line(C.log.ud, 0, l->buf, l->len);
		logfd = C.log.fd(C.log.ud);
	}
	if (log_is_stderr(logfd))
		return;
	struct iovec v[3] = {
		{ "[:00000000] ", 12 },
		{ l->buf, l->len },
		{ "\n", 1 },
	};
	ssize_t r = writev(STDERR_FILENO, v, 3);
	(void)r;
}

static const char *
signal_name(int sig) {
	switch (sig) {
	case SIGSEGV: return "SIGSEGV";
	case SIGBUS: return "SIGBUS";
	case SIGFPE: return "SIGFPE";
	case SIGILL: return "SIGILL";
	case SIGABRT: return "SIGABRT";
	}
	return "signal";
}

static const char *
type_name(int type) {
	static const char *names[] = { "text", "response", "multicast", "client", "system", "harbor",
		"socket", "error", "queue", "debug", "lua", "snax", "trace" };
	if (type >= 0 && type < (int)(sizeof(names) / sizeof(names[0])))
		return names[type];
	return "other";
}

static void
drain_line(void *ud, uint32_t source, int type, const void *data, size_t sz) {
	(void)ud;
	if (type == PTYPE_TEXT && data)
		C.log.line(C.log.ud, source, data, sz);
}

/* What the logger had not written yet goes out before the report. */
static void
flush_logger(void) {
	uint32_t logger = atomic_load_explicit(&C.logger, memory_order_acquire);
	if (logger == 0)
		return;
	if (skynet_context_crash_drain(logger, CRASH_LOG_MAX, drain_line, NULL) < 0) {
		struct crash_line l = { .len = 0 };
		put(&l, "crash: the logger's queue was busy, lines it still held may be lost");
		emit(&l);
	}
}

static void
report_signal(int sig, const siginfo_t *info, int tid) {
	struct crash_line l = { .len = 0 };
	put(&l, "crash: ");
	put(&l, signal_name(sig));
	put(&l, " (signal ");
	put_dec(&l, sig);
	put(&l, ")");
	if (info && info->si_code <= 0) {
		put(&l, " sent by pid ");
		put_dec(&l, info->si_pid);
	} else if (info) {
		put(&l, " at address 0x");
		put_hex(&l, (unsigned long long)(uintptr_t)info->si_addr, 1);
		put(&l, " (code ");
		put_dec(&l, info->si_code);
		put(&l, ")");
	}
	put(&l, " in thread ");
	put(&l, thread_name ? thread_name : "unknown");
	if (thread_worker >= 0) {
		put(&l, " ");
		put_dec(&l, thread_worker);
	}
	put(&l, " (tid ");
	put_dec(&l, tid);
	put(&l, ")");
	emit(&l);
}

static void
report_worker(int i, struct skynet_monitor *m) {
	struct crash_line l = { .len = 0 };
	uint32_t source;
	uint32_t dest = skynet_monitor_destination(m, &source);
	put(&l, "crash: worker ");
	put_dec(&l, i);
	put(&l, i == thread_worker ? " (crashed): " : ": ");
	if (dest == 0) {
		put(&l, "idle");
		emit(&l);
		return;
	}
	const struct skynet_message *msg = skynet_monitor_message(m);
	int session = msg->session;
	int type = (int)(msg->sz >> MESSAGE_TYPE_SHIFT);
	char module[64], name[64];
	put(&l, "service ");
	put_handle(&l, dest);
	if (skynet_context_crash_describe(dest, module, sizeof(module), name, sizeof(name)) == 0) {
		put(&l, " module ");
		put(&l, module);
		if (name[0]) {
			put(&l, " name .");
			put(&l, name);
		}
	}
	put(&l, ", message from ");
	put_handle(&l, source);
	put(&l, " session ");
	put_dec(&l, session);
	put(&l, " type ");
	put_dec(&l, type);
	put(&l, " (");
	put(&l, type_name(type));
	put(&l, ")");
	emit(&l);
}

static void
report_backtrace(void) {
	struct crash_line l = { .len = 0 };
	put(&l, "crash: backtrace of the crashed thread:");
	emit(&l);
	void *frames[CRASH_FRAMES];
	int n = backtrace(frames, CRASH_FRAMES);
	int logfd = has_logger() ? C.log.fd(C.log.ud) : -1;
	if (logfd >= 0)
		backtrace_symbols_fd(frames, n, logfd);
	if (!log_is_stderr(logfd))
		backtrace_symbols_fd(frames, n, STDERR_FILENO);
}

static void
report(int sig, const siginfo_t *info, int tid) {
	report_signal(sig, info, tid);
	int count = atomic_load(&C.count);
	for (int i = 0; i < count; i++)
		report_worker(i, C.m[i]);
	report_backtrace();
	struct crash_line l = { .len = 0 };
	put(&l, "crash: end of report, the process dies by ");
	put(&l, signal_name(sig));
	emit(&l);
}

/* The default action of sig, now: a core file when enabled. */
static void
die(int sig) {
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	_exit(128 + sig); /* not reached: the default action of each is to die */
}

static void
on_crash(int sig, siginfo_t *info, void *uctx) {
	(void)uctx;
	int tid = (int)syscall(SYS_gettid);
	int expected = 0;
	if (!atomic_compare_exchange_strong(&C.owner, &expected, tid)) {
		if (expected != tid) {
			/* Another thread is writing its report and will end the process. */
			struct timespec tenth = { 0, 100000000 };
			for (int i = 0; i < CRASH_WAIT_TENTHS; i++)
				nanosleep(&tenth, NULL);
		}
		die(sig);
	}
	flush_logger();
	report(sig, info, tid);
	die(sig);
}

void
skynet_crash_install(void) {
	/* backtrace() loads libgcc_s on its first call (which allocates): do
	 * that now, not in the handler. */
	void *warm[2];
	backtrace(warm, 2);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_crash;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(crash_signals) / sizeof(crash_signals[0]); i++)
		sigaction(crash_signals[i], &sa, NULL);
}

void
skynet_crash_workers(struct skynet_monitor **m, int count) {
	atomic_store(&C.count, 0);
	C.m = m;
	atomic_store(&C.count, m ? count : 0);
}

void
skynet_crash_thread_enter(const char *name, int worker) {
	thread_name = name;
	thread_worker = worker;
	/* A thread that already has a big enough one (ASan gives each thread
	 * its own) keeps it. */
	stack_t cur;
	if (sigaltstack(NULL, &cur) == 0 && !(cur.ss_flags & SS_DISABLE) && cur.ss_size >= CRASH_STACK_SIZE / 2)
		return;
	void *p = mmap(NULL, CRASH_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return; /* no report on a stack overflow in this thread, but no failure */
	stack_t ss = { .ss_sp = p, .ss_size = CRASH_STACK_SIZE, .ss_flags = 0 };
	if (sigaltstack(&ss, &thread_prev) != 0) {
		munmap(p, CRASH_STACK_SIZE);
		return;
	}
	thread_stack = p;
}

void
skynet_crash_thread_leave(void) {
	if (thread_stack) {
		sigaltstack(&thread_prev, NULL);
		munmap(thread_stack, CRASH_STACK_SIZE);
		thread_stack = NULL;
	}
	thread_name = NULL;
	thread_worker = -1;
}

void
skynet_crash_set_logger(struct skynet_context *ctx, const struct skynet_crash_log *log) {
	if (ctx == NULL)
		return;
	uint32_t handle = skynet_context_handle(ctx);
	if (log == NULL) {
		/* Only the registered logger unregisters: another logger service
		 * exiting leaves the node's log its report. */
		atomic_compare_exchange_strong(&C.logger, &handle, 0);
		return;
	}
	/* The node's logger starts first and keeps the report; a logger
	 * launched later by a service does not take it over. */
	if (atomic_load_explicit(&C.logger, memory_order_acquire) != 0)
		return;
	C.log = *log;
	atomic_store_explicit(&C.logger, handle, memory_order_release);
}
