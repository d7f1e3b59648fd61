/* service_logger.c: the logger service. Every PTYPE_TEXT message becomes one
 * line, in skynet's format: on stdout
 *   [:0000000a] text
 * and, appended to the file given as the init parameter (config key `logger`),
 * with the local time first
 *   23/11/26 22:19:43.12 [:0000000a] text
 * A PTYPE_SYSTEM message (sent on SIGHUP) reopens the file, so
 * logrotate can move it away and signal the node.
 *
 * Floods: when the same line (same source, same text) comes again within a
 * second of the previous one, more than FLOOD_PASS times in a row, the repeats
 * are counted instead of written, and the count is written as one line
 *   [:0000000a] ... repeated N times
 * when a different line comes, or a second later at the latest (a TIMEOUT
 * answer wakes the logger), and when the logger closes.
 *
 * Crash time: the logger registers a writer with the crash report
 * (skynet_crash.h) that formats a line the same way with write(2) only, from
 * the descriptor and UTC offset remembered here (localtime_r is not safe in a
 * signal handler). */
#include "skynet.h"
#include "skynet_crash.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define FLOOD_PASS 5          /* identical lines in a row written as they are */
#define FLOOD_WINDOW_NS 1000000000LL

struct logger {
	FILE *handle;
	char *filename;
	int close;
	struct skynet_context *ctx;
	/* the previous line, for flood collapsing */
	uint32_t last_source;
	char *last;
	size_t last_sz;
	size_t last_cap;
	int64_t last_ns;      /* when it was last seen */
	int run;              /* times it was written in a row */
	int suppressed;       /* repeats counted since the last summary */
	int timer;            /* a TIMEOUT is pending */
	/* for the crash writer */
	atomic_int fd;
	atomic_long gmtoff;   /* seconds east of UTC, as of the last line */
};

static int64_t
now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The time, when writing to a file (skynet writes none on stdout). */
static void
write_prefix(struct logger *inst, FILE *f) {
	if (inst->filename == NULL)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	localtime_r(&ts.tv_sec, &tm);
	atomic_store_explicit(&inst->gmtoff, tm.tm_gmtoff, memory_order_relaxed);
	char text[32];
	strftime(text, sizeof(text), "%d/%m/%y %H:%M:%S", &tm);
	fprintf(f, "%s.%02ld ", text, ts.tv_nsec / 10000000);
}

static void
reopen(struct skynet_context *ctx, struct logger *inst) {
	if (inst->filename == NULL)
		return;
	FILE *f = fopen(inst->filename, "a");
	if (f == NULL) {
		/* Keep writing to the old file rather than losing lines. */
		fprintf(inst->handle, "[:%08x] logger: can't reopen %s: %s\n",
			skynet_current_handle(), inst->filename, strerror(errno));
		fflush(inst->handle);
		return;
	}
	/* The crash writer sees the new descriptor before the old one closes. */
	FILE *old = inst->handle;
	inst->handle = f;
	atomic_store(&inst->fd, fileno(f));
	fclose(old);
	(void)ctx;
}

static void
write_line(struct logger *inst, uint32_t source, const void *msg, size_t sz) {
	write_prefix(inst, inst->handle);
	fprintf(inst->handle, "[:%08x] ", source);
	fwrite(msg, sz, 1, inst->handle);
	fputc('\n', inst->handle);
	fflush(inst->handle);
}

static void
write_summary(struct logger *inst) {
	if (inst->suppressed == 0)
		return;
	char text[64];
	int n = snprintf(text, sizeof(text), "... repeated %d times", inst->suppressed);
	inst->suppressed = 0;
	write_line(inst, inst->last_source, text, (size_t)n);
}

static int
same_as_last(struct logger *inst, uint32_t source, const void *msg, size_t sz, int64_t now) {
	return inst->last && source == inst->last_source && sz == inst->last_sz &&
		now - inst->last_ns < FLOOD_WINDOW_NS && memcmp(msg, inst->last, sz) == 0;
}

static void
remember(struct logger *inst, uint32_t source, const void *msg, size_t sz, int64_t now) {
	if (sz + 1 > inst->last_cap) {
		skynet_free(inst->last);
		inst->last_cap = sz + 1 > 256 ? sz + 1 : 256;
		inst->last = skynet_malloc(inst->last_cap);
	}
	memcpy(inst->last, msg, sz);
	inst->last_sz = sz;
	inst->last_source = source;
	inst->last_ns = now;
}

static void
log_text(struct logger *inst, uint32_t source, const void *msg, size_t sz) {
	int64_t now = now_ns();
	if (same_as_last(inst, source, msg, sz, now)) {
		inst->last_ns = now;
		if (inst->run < FLOOD_PASS) {
			inst->run++;
			write_line(inst, source, msg, sz);
			return;
		}
		inst->suppressed++;
		if (!inst->timer && skynet_command(inst->ctx, "TIMEOUT", "100"))
			inst->timer = 1;
		return;
	}
	write_summary(inst);
	remember(inst, source, msg, sz, now);
	inst->run = 1;
	write_line(inst, source, msg, sz);
}

static int
logger_cb(struct skynet_context *ctx, void *ud, int type, int session, uint32_t source, const void *msg,
	size_t sz) {
	(void)session;
	struct logger *inst = ud;
	switch (type) {
	case PTYPE_SYSTEM:
		reopen(ctx, inst);
		break;
	case PTYPE_TEXT:
		log_text(inst, source, msg, sz);
		break;
	case PTYPE_RESPONSE: /* the flood timer */
		inst->timer = 0;
		write_summary(inst);
		break;
	}
	return 0;
}

/* Crash-time formatting: no stdio, no locale, no allocation. */
static char *
put_num(char *p, long v, int digits) {
	for (int i = digits - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + digits;
}

static int
leap(long y) {
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* "DD/MM/YY hh:mm:ss.cc " for local time, as write_prefix; returns its end. */
static char *
crash_time(struct logger *inst, char *p) {
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	long long t = (long long)ts.tv_sec + atomic_load_explicit(&inst->gmtoff, memory_order_relaxed);
	long secs = (long)(t % 86400), days = (long)(t / 86400), year = 1970, month = 0;
	while (days >= 365 + leap(year))
		days -= 365 + leap(year++);
	while (days >= mdays[month] + (month == 1 && leap(year)))
		days -= mdays[month] + (month == 1 && leap(year)), month++;
	p = put_num(p, days + 1, 2);
	*p++ = '/';
	p = put_num(p, month + 1, 2);
	*p++ = '/';
	p = put_num(p, year % 100, 2);
	*p++ = ' ';
	p = put_num(p, secs / 3600, 2);
	*p++ = ':';
	p = put_num(p, secs / 60 % 60, 2);
	*p++ = ':';
	p = put_num(p, secs % 60, 2);
	*p++ = '.';
	p = put_num(p, ts.tv_nsec / 10000000, 2);
	*p++ = ' ';
	return p;
}

/* The line's prefix as logger_cb writes it; returns its length. */
static size_t
crash_prefix(struct logger *inst, uint32_t source, char *out) {
	static const char hex[] = "0123456789abcdef";
	char *p = out;
	if (inst->filename)
		p = crash_time(inst, p);
	memcpy(p, "[:", 2);
	p += 2;
	for (int i = 28; i >= 0; i -= 4)
		*p++ = hex[(source >> i) & 15];
	memcpy(p, "] ", 2);
	return (size_t)(p + 2 - out);
}

static void
crash_line(void *ud, uint32_t source, const char *text, size_t sz) {
	struct logger *inst = ud;
	char prefix[64];
	struct iovec v[3] = {
		{ prefix, crash_prefix(inst, source, prefix) },
		{ (void *)text, sz },
		{ "\n", 1 },
	};
	ssize_t r = writev(atomic_load(&inst->fd), v, 3);
	(void)r;
}

static int
crash_fd(void *ud) {
	struct logger *inst = ud;
	return atomic_load(&inst->fd);
}

struct logger *
logger_create(void) {
	struct logger *inst = skynet_malloc(sizeof(*inst));
	inst->handle = NULL;
	inst->filename = NULL;
	inst->close = 0;
	inst->ctx = NULL;
	inst->last = NULL;
	inst->last_cap = inst->last_sz = 0;
	inst->suppressed = inst->run = inst->timer = 0;
	atomic_init(&inst->fd, -1);
	atomic_init(&inst->gmtoff, 0);
	return inst;
}

void
logger_release(struct logger *inst) {
	if (inst->ctx)
		skynet_crash_set_logger(inst->ctx, NULL);
	if (inst->handle)
		write_summary(inst);
	skynet_free(inst->last);
	if (inst->close)
		fclose(inst->handle);
	skynet_free(inst->filename);
	skynet_free(inst);
}

int
logger_init(struct logger *inst, struct skynet_context *ctx, const char *parm) {
	if (parm && parm[0]) {
		inst->handle = fopen(parm, "a");
		if (inst->handle == NULL) {
			fprintf(stderr, "skynet: can't open log file %s: %s\n", parm, strerror(errno));
			return 1;
		}
		inst->filename = skynet_strdup(parm);
		inst->close = 1;
	} else {
		inst->handle = stdout;
	}
	inst->ctx = ctx;
	atomic_store(&inst->fd, fileno(inst->handle));
	struct tm tm;
	time_t now = time(NULL);
	localtime_r(&now, &tm);
	atomic_store(&inst->gmtoff, tm.tm_gmtoff);
	struct skynet_crash_log crash = { crash_line, crash_fd, inst };
	skynet_crash_set_logger(ctx, &crash);
	skynet_callback(ctx, inst, logger_cb);
	/* Named before init returns, so even our own LAUNCH line is logged here. */
	skynet_command(ctx, "REG", ".logger");
	return 0;
}
