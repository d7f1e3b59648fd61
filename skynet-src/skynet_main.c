/* skynet_main.c: the executable's entry. `skynet CONFIG` loads the INI file into
 * the environment, checks it, and hands over to skynet_start. */
#include "skynet_config.h"
#include "skynet_env.h"
#include "skynet_start.h"

#include <stdio.h>
#include <string.h>

static void
usage(const char *prog) {
	fprintf(stderr, "usage: %s CONFIG\n", prog);
	fprintf(stderr, "  CONFIG is an INI file (e.g. config/game.conf); see README.md for its keys.\n");
}

int
main(int argc, char *argv[]) {
	if (argc != 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(argv[0]);
		return argc == 2 ? 0 : 1;
	}
	env_init();
	struct skynet_config config;
	char err[512];
	if (config_load(argv[1], &config, err, sizeof(err))) {
		fprintf(stderr, "skynet: %s\n", err);
		env_exit();
		return 1;
	}
	int status = skynet_start(&config);
	env_exit();
	return status;
}
