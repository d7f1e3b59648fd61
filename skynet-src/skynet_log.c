/* skynet_log.c: per-service message logs. A socket message is logged as its
 * event header plus the data bytes; anything else as a hex dump. */
#include "skynet.h"
#include "skynet_env.h"
#include "skynet_log.h"
#include "skynet_socket.h"
#include "skynet_timer.h"

#include <errno.h>
#include <string.h>

FILE *
skynet_log_open(struct skynet_context *ctx, uint32_t handle) {
	const char *logpath = env_get("logpath");
	if (logpath == NULL) {
		skynet_error(ctx, "error: LOGON needs the logpath config key");
		return NULL;
	}
	char name[1024];
	snprintf(name, sizeof(name), "%s/%08x.log", logpath, handle);
	FILE *f = fopen(name, "ab");
	if (f == NULL) {
		skynet_error(ctx, "error: open log file %s failed: %s", name, strerror(errno));
		return NULL;
	}
	uint64_t now = timer_now();
	skynet_error(ctx, "open log file %s", name);
	fprintf(f, "open time: %u.%02u\n", (unsigned)(timer_starttime() + now / 100), (unsigned)(now % 100));
	fflush(f);
	return f;
}

void
skynet_log_close(struct skynet_context *ctx, FILE *f, uint32_t handle) {
	skynet_error(ctx, "close log file :%08x", handle);
	fprintf(f, "close time: %llu\n", (unsigned long long)timer_now());
	fclose(f);
}

static void
hex_dump(FILE *f, const uint8_t *p, size_t sz) {
	for (size_t i = 0; i < sz; i++)
		fprintf(f, "%02x", p[i]);
}

void
skynet_log_output(FILE *f, uint32_t source, int type, int session, void *buffer, size_t sz) {
	uint64_t now = timer_now();
	if (type == PTYPE_SOCKET && buffer && sz >= sizeof(struct skynet_socket_message)) {
		struct skynet_socket_message *m = buffer;
		fprintf(f, "[socket] %d %d %d ", m->type, m->id, m->ud);
		if (m->buffer && m->type == SKYNET_SOCKET_TYPE_DATA)
			hex_dump(f, (const uint8_t *)m->buffer, (size_t)m->ud);
		else
			hex_dump(f, (const uint8_t *)(m + 1), sz - sizeof(*m));
	} else {
		fprintf(f, ":%08x %d %d %llu ", source, type, session, (unsigned long long)now);
		hex_dump(f, buffer, buffer ? sz : 0);
	}
	fputc('\n', f);
	fflush(f);
}
