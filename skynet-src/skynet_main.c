/* skynet_main.c: the executable's entry. `skynet CONFIG` loads the config file
 * (INI or skynet's Lua format) into the environment, checks it, and hands over
 * to skynet_start; `skynet --print-config CONFIG` prints it resolved as INI. */
#include "skynet_config.h"
#include "skynet_env.h"
#include "skynet_start.h"

#include <stdio.h>
#include <string.h>

static void
usage(const char *prog) {
	fprintf(stderr, "usage: %s CONFIG\n", prog);
	fprintf(stderr, "       %s --print-config CONFIG\n", prog);
	fprintf(stderr, "  CONFIG is an INI file (e.g. config/game.conf) or a skynet Lua config;\n"
		"  see README.md for its keys. --print-config prints its keys, resolved, as INI.\n");
}

static int
print_config(const char *path) {
	char err[512];
	if (config_print(path, stdout, err, sizeof(err)) < 0) {
		fprintf(stderr, "skynet: %s\n", err);
		return 1;
	}
	return 0;
}

int
main(int argc, char *argv[]) {
	if (argc >= 2 && strcmp(argv[1], "--print-config") == 0) {
		if (argc == 3)
			return print_config(argv[2]);
		usage(argv[0]);
		return 1;
	}
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
