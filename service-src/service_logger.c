/* service_logger.c: the logger service. Every PTYPE_TEXT message becomes one line
 *   [2026-11-23 22:19:43.12] [:0000000a] text
 * on stdout, or appended to the file given as the init parameter (config key
 * `logger`). A PTYPE_SYSTEM message (sent on SIGHUP) reopens the file, so
 * logrotate can move it away and signal the node. */
#include "skynet.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct logger {
	FILE *handle;
	char *filename;
	int close;
};

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
		write_prefix(inst->handle);
		fprintf(inst->handle, "[:%08x] ", source);
		fwrite(msg, sz, 1, inst->handle);
		fputc('\n', inst->handle);
		fflush(inst->handle);
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
	return inst;
}

void
logger_release(struct logger *inst) {
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
	skynet_callback(ctx, inst, logger_cb);
	/* Named before init returns, so even our own LAUNCH line is logged here. */
	skynet_command(ctx, "REG", ".logger");
	return 0;
}
