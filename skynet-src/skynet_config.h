/* skynet_config.h: reading the INI config file into the environment.
 *
 * Every key=value pair goes into env (so skynet.getenv sees it), with $VAR and
 * ${VAR} expanded from the process environment and indented continuation lines
 * joined onto the previous value. Known keys are then checked and copied into
 * struct skynet_config with their defaults. */
#ifndef SKYNET_CONFIG_H
#define SKYNET_CONFIG_H

#include <stddef.h>

struct skynet_config {
	int thread;             /* workers, 1..1024; default: number of cores */
	int harbor;             /* 0..255; default 1 */
	int profile;            /* 0/1; default 1 */
	const char *daemon;     /* pid file or NULL */
	const char *module_path; /* cpath; default "./cservice/?.so" */
	const char *bootstrap;  /* default "snlua bootstrap" */
	const char *logger;     /* log file or NULL for stdout */
	const char *logservice; /* default "logger" */
};

/* Returns 0 on success. On failure returns -1 and writes one line (no newline) such
 * as "config/game.conf:12: thread must be between 1 and 1024" into err. The strings
 * in cfg point into env and live until env_exit. */
int config_load(const char *path, struct skynet_config *cfg, char *err, size_t errsz);

#endif
