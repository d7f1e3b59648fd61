/* skynet_error.c: log lines. A line is a PTYPE_TEXT message to the service named
 * "logger"; before the logger exists (or after it is gone) the line goes to stderr
 * so nothing said during boot or shutdown is lost. */
#include "skynet.h"
#include "skynet_handle.h"
#include "skynet_mq.h"
#include "skynet_server.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define LOG_MESSAGE_SIZE 256

static char *
format_line(const char *fmt, va_list ap, int *len) {
	char tmp[LOG_MESSAGE_SIZE];
	va_list copy;
	va_copy(copy, ap);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, copy);
	va_end(copy);
	if (n < 0)
		n = 0;
	char *data = skynet_malloc((size_t)n + 1);
	if (n < LOG_MESSAGE_SIZE)
		memcpy(data, tmp, (size_t)n + 1);
	else
		vsnprintf(data, (size_t)n + 1, fmt, ap);
	*len = n;
	return data;
}

void
skynet_error(struct skynet_context *context, const char *msg, ...) {
	static _Atomic uint32_t logger = 0;
	uint32_t handle = logger;
	if (handle == 0) {
		handle = handle_findname("logger");
		logger = handle;
	}
	int len;
	va_list ap;
	va_start(ap, msg);
	char *data = format_line(msg, ap, &len);
	va_end(ap);

	uint32_t source = context ? skynet_context_handle(context) : 0;
	if (handle) {
		struct skynet_message smsg;
		smsg.source = source;
		smsg.session = 0;
		smsg.data = data;
		smsg.sz = (size_t)len | ((size_t)PTYPE_TEXT << MESSAGE_TYPE_SHIFT);
		if (skynet_context_push(handle, &smsg) == 0)
			return;
		logger = 0;
	}
	fprintf(stderr, "[:%08x] %s\n", source, data);
	skynet_free(data);
}
