/* skynet_config.h: reading the config file (our INI or skynet's Lua script
 * format, told apart by its content) into the environment.
 *
 * Every key the file sets goes into env as a string (so skynet.getenv sees it):
 * INI with $VAR / ${VAR} expanded and continuation lines joined; Lua with $VAR
 * substituted in the text, then evaluated, its globals becoming the keys. A key
 * set to nil is unset in both. Known keys are then checked and copied into
 * struct skynet_config with their defaults. */
#ifndef SKYNET_CONFIG_H
#define SKYNET_CONFIG_H

#include <stddef.h>
#include <stdio.h>

struct skynet_config {
	int thread;             /* workers, 1..1024; default: number of cores */
	int harbor;             /* 0..255; default 1 */
	int profile;            /* true/false (or 1/0); default true */
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

/* Reads and checks path like config_load, without touching env, and writes the
 * keys it sets, resolved, as an INI file to out (skynet --print-config). Returns
 * 0, or -1 with err set as for config_load (nothing written if a key cannot be
 * written as INI). */
int config_print(const char *path, FILE *out, char *err, size_t errsz);

#endif
