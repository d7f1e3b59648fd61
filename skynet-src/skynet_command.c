/* skynet_command.c: the text commands of skynet_command(). Each takes the calling
 * context and a parameter string and returns a string in the context's result
 * buffer (or a pointer that outlives the call, such as an env value), or NULL. */
#include "skynet.h"
#include "skynet_env.h"
#include "skynet_handle.h"
#include "skynet_log.h"
#include "skynet_mq.h"
#include "skynet_server.h"
#include "skynet_shutdown.h"
#include "skynet_timer.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The service told about every exit (MONITOR), 0 for none. */
static _Atomic uint32_t monitor_exit = 0;

static char *
result_printf(struct skynet_context *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static char *
result_printf(struct skynet_context *ctx, const char *fmt, ...) {
	char *buf = skynet_context_result(ctx);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, 32, fmt, ap);
	va_end(ap);
	return buf;
}

static const char *
result_handle(struct skynet_context *ctx, uint32_t handle) {
	return result_printf(ctx, ":%08x", handle);
}

/* ":0100000a" or ".name" to a handle; 0 if it names nothing. */
static uint32_t
to_handle(struct skynet_context *ctx, const char *param) {
	if (param == NULL)
		return 0;
	if (param[0] == ':')
		return (uint32_t)strtoul(param + 1, NULL, 16);
	if (param[0] == '.')
		return handle_findname(param + 1);
	skynet_error(ctx, "error: can't convert %s to handle", param);
	return 0;
}

static void
exit_service(struct skynet_context *ctx, uint32_t handle) {
	if (handle == 0) {
		handle = skynet_context_handle(ctx);
		skynet_error(ctx, "KILL self");
	} else {
		skynet_error(ctx, "KILL :%0x", handle);
	}
	uint32_t mon = monitor_exit;
	if (mon)
		skynet_send(ctx, handle, mon, PTYPE_CLIENT, 0, NULL, 0);
	handle_retire(handle);
}

static const char *
cmd_timeout(struct skynet_context *ctx, const char *param) {
	char *end;
	long ti = strtol(param ? param : "", &end, 10);
	if (param == NULL || end == param)
		return NULL;
	int session = skynet_context_newsession(ctx);
	timer_add(skynet_context_handle(ctx), (int)ti, session);
	return result_printf(ctx, "%d", session);
}

static const char *
cmd_reg(struct skynet_context *ctx, const char *param) {
	if (param == NULL || param[0] == '\0')
		return result_handle(ctx, skynet_context_handle(ctx));
	if (param[0] == '.')
		return handle_bindname(skynet_context_handle(ctx), param + 1);
	skynet_error(ctx, "error: can't register global name %s in C (no harbor)", param);
	return NULL;
}

static const char *
cmd_query(struct skynet_context *ctx, const char *param) {
	if (param && param[0] == '.') {
		uint32_t handle = handle_findname(param + 1);
		if (handle)
			return result_handle(ctx, handle);
	}
	return NULL;
}

static const char *
cmd_name(struct skynet_context *ctx, const char *param) {
	if (param == NULL)
		return NULL;
	char name[64], handle_text[32];
	if (sscanf(param, "%63s %31s", name, handle_text) != 2 || handle_text[0] != ':')
		return NULL;
	uint32_t handle = (uint32_t)strtoul(handle_text + 1, NULL, 16);
	if (handle == 0)
		return NULL;
	if (name[0] == '.')
		return handle_bindname(handle, name + 1);
	skynet_error(ctx, "error: can't set global name %s in C (no harbor)", name);
	return NULL;
}

static const char *
cmd_exit(struct skynet_context *ctx, const char *param) {
	(void)param;
	exit_service(ctx, 0);
	return NULL;
}

static const char *
cmd_kill(struct skynet_context *ctx, const char *param) {
	uint32_t handle = to_handle(ctx, param);
	if (handle)
		exit_service(ctx, handle);
	return NULL;
}

static const char *
cmd_launch(struct skynet_context *ctx, const char *param) {
	if (param == NULL)
		return NULL;
	size_t sz = strlen(param);
	char *tmp = skynet_malloc(sz + 1);
	memcpy(tmp, param, sz + 1);
	char *args = tmp;
	char *mod = strsep(&args, " \t\r\n");
	if (args)
		args += strspn(args, " \t\r\n");
	uint32_t handle = skynet_context_new(mod, args);
	skynet_free(tmp);
	if (handle == 0)
		return NULL;
	return result_handle(ctx, handle);
}

static const char *
cmd_getenv(struct skynet_context *ctx, const char *param) {
	(void)ctx;
	return param ? env_get(param) : NULL;
}

static const char *
cmd_setenv(struct skynet_context *ctx, const char *param) {
	if (param == NULL)
		return NULL;
	const char *space = strchr(param, ' ');
	if (space == NULL || space == param)
		return NULL;
	size_t keylen = (size_t)(space - param);
	char key[256];
	if (keylen >= sizeof(key))
		return NULL;
	memcpy(key, param, keylen);
	key[keylen] = 0;
	if (env_set(key, space + 1) != 0)
		skynet_error(ctx, "error: setenv %s: the key already has a value", key);
	return NULL;
}

static const char *
cmd_starttime(struct skynet_context *ctx, const char *param) {
	(void)param;
	return result_printf(ctx, "%u", timer_starttime());
}

static const char *
cmd_abort(struct skynet_context *ctx, const char *param) {
	/* "ABORT reason" stops the node as a failure (exit status 1). */
	int failed = param && param[0];
	skynet_error(ctx, failed ? "ABORT: %s" : "ABORT requested", failed ? param : "");
	skynet_server_abort(failed);
	return NULL;
}

static const char *
cmd_monitor(struct skynet_context *ctx, const char *param) {
	if (param == NULL || param[0] == '\0') {
		uint32_t mon = monitor_exit;
		return mon ? result_handle(ctx, mon) : NULL;
	}
	monitor_exit = to_handle(ctx, param);
	return NULL;
}

static const char *
cmd_stat(struct skynet_context *ctx, const char *param) {
	if (param == NULL)
		return NULL;
	if (strcmp(param, "mqlen") == 0)
		return result_printf(ctx, "%d", mq_length(skynet_context_queue(ctx)));
	if (strcmp(param, "endless") == 0)
		return result_printf(ctx, "%d", skynet_context_take_endless(ctx));
	if (strcmp(param, "cpu") == 0) {
		uint64_t us = skynet_context_cpu(ctx);
		return result_printf(ctx, "%u.%06u", (unsigned)(us / 1000000), (unsigned)(us % 1000000));
	}
	if (strcmp(param, "time") == 0) {
		uint64_t us = skynet_context_cpu_running(ctx);
		return result_printf(ctx, "%u.%06u", (unsigned)(us / 1000000), (unsigned)(us % 1000000));
	}
	if (strcmp(param, "message") == 0)
		return result_printf(ctx, "%d", skynet_context_message_count(ctx));
	return NULL;
}

/* LOGON/LOGOFF/SIGNAL act on another service, found by handle. */
static struct skynet_context *
grab_target(struct skynet_context *ctx, const char *param, uint32_t *handle) {
	*handle = to_handle(ctx, param);
	if (*handle == 0)
		return NULL;
	return handle_grab(*handle);
}

static const char *
cmd_logon(struct skynet_context *ctx, const char *param) {
	uint32_t handle;
	struct skynet_context *target = grab_target(ctx, param, &handle);
	if (target == NULL)
		return NULL;
	FILE *f = skynet_log_open(ctx, handle);
	if (f) {
		FILE *old = skynet_context_swaplog(target, f);
		if (old)
			fclose(old); /* it was already on: keep the new one */
	}
	skynet_context_release(target);
	return NULL;
}

static const char *
cmd_logoff(struct skynet_context *ctx, const char *param) {
	uint32_t handle;
	struct skynet_context *target = grab_target(ctx, param, &handle);
	if (target == NULL)
		return NULL;
	FILE *f = skynet_context_swaplog(target, NULL);
	if (f)
		skynet_log_close(ctx, f, handle);
	skynet_context_release(target);
	return NULL;
}

static const char *
cmd_signal(struct skynet_context *ctx, const char *param) {
	uint32_t handle;
	struct skynet_context *target = grab_target(ctx, param, &handle);
	if (target == NULL)
		return NULL;
	const char *space = strchr(param, ' ');
	int sig = space ? (int)strtol(space + 1, NULL, 0) : 0;
	skynet_context_signal(target, sig);
	skynet_context_release(target);
	return NULL;
}

/* "SHUTDOWNHOOK add NAME": the caller has a graceful shutdown hook (NAME is
 * for the log); "SHUTDOWNHOOK done": it has finished. See skynet_shutdown.h. */
static const char *
cmd_shutdownhook(struct skynet_context *ctx, const char *param) {
	uint32_t self = skynet_context_handle(ctx);
	if (param && strcmp(param, "done") == 0) {
		shutdown_hook_done(self);
		return NULL;
	}
	if (param && strncmp(param, "add", 3) == 0 && (param[3] == ' ' || param[3] == '\0')) {
		const char *label = param[3] ? param + 4 : "";
		if (shutdown_hook_add(self, label))
			skynet_error(ctx, "error: SHUTDOWNHOOK: out of memory");
		return NULL;
	}
	skynet_error(ctx, "error: SHUTDOWNHOOK needs \"add NAME\" or \"done\", not \"%s\"", param ? param : "");
	return NULL;
}

struct command_func {
	const char *name;
	const char *(*func)(struct skynet_context *ctx, const char *param);
};

static const struct command_func commands[] = {
	{ "TIMEOUT", cmd_timeout },
	{ "REG", cmd_reg },
	{ "QUERY", cmd_query },
	{ "NAME", cmd_name },
	{ "EXIT", cmd_exit },
	{ "KILL", cmd_kill },
	{ "LAUNCH", cmd_launch },
	{ "GETENV", cmd_getenv },
	{ "SETENV", cmd_setenv },
	{ "STARTTIME", cmd_starttime },
	{ "ABORT", cmd_abort },
	{ "MONITOR", cmd_monitor },
	{ "STAT", cmd_stat },
	{ "LOGON", cmd_logon },
	{ "LOGOFF", cmd_logoff },
	{ "SIGNAL", cmd_signal },
	{ "SHUTDOWNHOOK", cmd_shutdownhook },
	{ NULL, NULL },
};

const char *
skynet_command(struct skynet_context *ctx, const char *cmd, const char *param) {
	for (const struct command_func *m = commands; m->name; m++) {
		if (strcmp(cmd, m->name) == 0)
			return m->func(ctx, param);
	}
	skynet_error(ctx, "error: unknown command %s", cmd);
	return NULL;
}
