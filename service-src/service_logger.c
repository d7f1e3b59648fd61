/* service_logger.c: the logger service. Every PTYPE_TEXT message becomes one line
 *   [2026-11-23 22:19:43.12] [:0000000a] text
 * on stdout, or appended to the file given as the init parameter (config key
 * `logger`). A PTYPE_SYSTEM message (sent on SIGHUP) reopens the file, so
 * logrotate can move it away and signal the node.
 *
 * Floods: when the same line (same source, same text) comes again within a
 * second of the previous one, more than FLOOD_PASS times in a row, the repeats
 * are counted instead of written, and the count is written as one line
 *   [time] [:0000000a] ... repeated N times
 * when a different line comes, or a second later at the latest (a TIMEOUT
 * answer wakes the logger), and when the logger closes. */
#include "skynet.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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
};

static int64_t
now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void
write_prefix(FILE *f) {
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	localtime_r(&ts.tv_sec, &tm);
	char text[32];
	strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(f, "[%s.%02ld] ", text, ts.tv_nsec / 10000000);
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
	fclose(inst->handle);
	inst->handle = f;
	(void)ctx;
}

static void
write_line(struct logger *inst, uint32_t source, const void *msg, size_t sz) {
	write_prefix(inst->handle);
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
	return inst;
}

void
logger_release(struct logger *inst) {
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
	skynet_callback(ctx, inst, logger_cb);
	/* Named before init returns, so even our own LAUNCH line is logged here. */
	skynet_command(ctx, "REG", ".logger");
	return 0;
}
