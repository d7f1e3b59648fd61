/* test_config.c: config file loading (skynet_config.c) and env (skynet_env.c). */
#include "testlib.h"
#include "skynet_config.h"
#include "skynet_env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[64];
static char err[512];
static struct skynet_config cfg;

/* Writes text to a fresh temp file, resets env, loads it. */
static int
load(const char *text) {
	strcpy(path, "/tmp/skynet_cfg_XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0)
		return -2;
	size_t n = strlen(text);
	if (write(fd, text, n) != (ssize_t)n) {
		close(fd);
		return -2;
	}
	close(fd);
	env_exit();
	env_init();
	memset(&cfg, 0, sizeof(cfg));
	strcpy(err, "untouched");
	int r = config_load(path, &cfg, err, sizeof(err));
	unlink(path);
	return r;
}

/* err must be "<path>:<line>: " followed by text containing want. */
static int
err_is(int line, const char *want) {
	char prefix[128];
	snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
	if (strncmp(err, prefix, strlen(prefix)) != 0 || strstr(err, want) == NULL ||
	    strchr(err, '\n') != NULL) {
		printf("# err was: %s (want line %d, '%s')\n", err, line, want);
		return 0;
	}
	return 1;
}

static void
test_env(void) {
	env_exit();
	env_init();
	CHECK(env_get("a") == NULL);
	CHECK(env_set("a", "1") == 0);
	CHECK(env_set("b", "2") == 0);
	CHECK(env_set("a", "3") == -1);
	CHECK(strcmp(env_get("a"), "1") == 0);
	const char *keep = env_get("b");
	for (int i = 0; i < 200; i++) {
		char k[16];
		snprintf(k, sizeof(k), "k%d", i);
		CHECK(env_set(k, k) == 0);
	}
	CHECK(keep == env_get("b")); /* pointers survive growth */
	CHECK(strcmp(env_get("k199"), "k199") == 0);
	env_exit();
	env_init();
	CHECK(env_get("a") == NULL);
}

static int foreach_n;
static char foreach_keys[64];

static void
collect(const char *k, const char *v, void *ud) {
	(void)v;
	foreach_n += *(int *)ud;
	strncat(foreach_keys, k, sizeof(foreach_keys) - strlen(foreach_keys) - 1);
}

static void
test_env_foreach(void) {
	env_exit();
	env_init();
	env_set("z", "1");
	env_set("a", "2");
	env_set("m", "3");
	int one = 1;
	foreach_n = 0;
	foreach_keys[0] = '\0';
	env_foreach(collect, &one);
	CHECK(foreach_n == 3);
	CHECK(strcmp(foreach_keys, "zam") == 0);
}

static void
test_keys_and_defaults(void) {
	CHECK(load("thread = 8\nharbor = 0\nprofile = 0\ncpath = ./x/?.so\n"
		"bootstrap = snlua boot\nlogger = /tmp/log.txt\nlogservice = mylog\n"
		"daemon = ./skynet.pid\nmemlimit = 64M\nstart = main\nplayer_max = 100\n"
		"# a comment\n; another\n\n") == 0);
	CHECK(cfg.thread == 8 && cfg.harbor == 0 && cfg.profile == 0);
	CHECK(strcmp(cfg.module_path, "./x/?.so") == 0);
	CHECK(strcmp(cfg.bootstrap, "snlua boot") == 0);
	CHECK(strcmp(cfg.logger, "/tmp/log.txt") == 0);
	CHECK(strcmp(cfg.logservice, "mylog") == 0);
	CHECK(strcmp(cfg.daemon, "./skynet.pid") == 0);
	CHECK(strcmp(env_get("player_max"), "100") == 0);
	CHECK(strcmp(env_get("start"), "main") == 0);
	CHECK(strcmp(env_get("memlimit"), "64M") == 0);
	CHECK(strcmp(env_get("thread"), "8") == 0);
	CHECK(strcmp(env_get("lualoader"), "./lualib/loader.lua") == 0);

	CHECK(load("start = main\n") == 0);
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	CHECK(cfg.thread == (ncpu < 1 ? 1 : ncpu > 1024 ? 1024 : ncpu));
	CHECK(cfg.harbor == 1 && cfg.profile == 1);
	CHECK(strcmp(cfg.module_path, "./cservice/?.so") == 0);
	CHECK(strcmp(cfg.bootstrap, "snlua bootstrap") == 0);
	CHECK(strcmp(cfg.logservice, "logger") == 0);
	CHECK(cfg.logger == NULL && cfg.daemon == NULL);
	char n[16];
	snprintf(n, sizeof(n), "%d", cfg.thread);
	CHECK(strcmp(env_get("thread"), n) == 0);
	CHECK(strcmp(env_get("harbor"), "1") == 0);
	CHECK(strcmp(env_get("profile"), "1") == 0);
	CHECK(strcmp(env_get("cpath"), "./cservice/?.so") == 0);
	CHECK(strcmp(env_get("bootstrap"), "snlua bootstrap") == 0);
	CHECK(strcmp(env_get("logservice"), "logger") == 0);
	CHECK(strcmp(env_get("lualoader"), "./lualib/loader.lua") == 0);
	CHECK(strcmp(env_get("luaservice"), "./service/?.lua") == 0);
	CHECK(strcmp(env_get("lua_path"), "./lualib/?.lua;./lualib/?/init.lua") == 0);
	CHECK(strcmp(env_get("lua_cpath"), "./luaclib/?.so;" LUA_CMOD_DIR "/?.so") == 0);
	CHECK(env_get("standalone") == NULL);
	CHECK(env_get("logger") == NULL);
	/* An empty file is a valid config of defaults. */
	CHECK(load("") == 0);
	CHECK(cfg.harbor == 1);
}

static void
test_expand(void) {
	setenv("SKYNET_T_ROOT", "/opt/game", 1);
	setenv("SKYNET_T_N", "4", 1);
	CHECK(load("root = $SKYNET_T_ROOT/x\nboth = ${SKYNET_T_ROOT}lib;$SKYNET_T_N.\n"
		"thread = $SKYNET_T_N\nprice = $5 and $ alone\n") == 0);
	CHECK(strcmp(env_get("root"), "/opt/game/x") == 0);
	CHECK(strcmp(env_get("both"), "/opt/gamelib;4.") == 0);
	CHECK(strcmp(env_get("price"), "$5 and $ alone") == 0);
	CHECK(cfg.thread == 4);
	unsetenv("SKYNET_T_NOPE");
	CHECK(load("a = 1\nb = x$SKYNET_T_NOPE\n") == -1);
	CHECK(err_is(2, "SKYNET_T_NOPE"));
	CHECK(load("a = ${SKYNET_T_NOPE}\n") == -1);
	CHECK(err_is(1, "SKYNET_T_NOPE"));
	CHECK(load("a = ${SKYNET_T_ROOT\n") == -1);
	CHECK(err_is(1, "${"));
}

static void
test_continuation_and_comments(void) {
	CHECK(load("luaservice = ./service/?.lua;\n"
		"\t./examples/?.lua;\n"
		"    ./test/?.lua\n"
		"after = 1\n") == 0);
	CHECK(strcmp(env_get("luaservice"), "./service/?.lua;./examples/?.lua;./test/?.lua") == 0);
	CHECK(strcmp(env_get("after"), "1") == 0);
	/* ';' glued to the text stays, ';' after whitespace starts a comment. */
	CHECK(load("path = a;b;c ; trailing comment\nk = v;\nq = x  ;c\n") == 0);
	CHECK(strcmp(env_get("path"), "a;b;c") == 0);
	CHECK(strcmp(env_get("k"), "v;") == 0);
	CHECK(strcmp(env_get("q"), "x") == 0);
	/* Expansion applies inside continuation pieces too. */
	setenv("SKYNET_T_ROOT", "/r", 1);
	CHECK(load("p = a;\n  $SKYNET_T_ROOT/b\n") == 0);
	CHECK(strcmp(env_get("p"), "a;/r/b") == 0);
}

static void
test_long_line(void) {
	char text[1024];
	char value[300];
	/* "k = " + 195 = 199 bytes: the longest line accepted. */
	memset(value, 'v', 195);
	value[195] = '\0';
	snprintf(text, sizeof(text), "a = 1\nk = %s\nb = 2\nbad\n", value);
	CHECK(load(text) == -1);
	/* The line after the longest one still has the right number. */
	CHECK(err_is(4, "syntax error"));
	snprintf(text, sizeof(text), "a = 1\nk = %s\nb = 2\n", value);
	CHECK(load(text) == 0);
	CHECK(strlen(env_get("k")) == 195);
	CHECK(strcmp(env_get("b"), "2") == 0);
	/* One more byte is too long, and named. */
	memset(value, 'v', 196);
	value[196] = '\0';
	snprintf(text, sizeof(text), "a = 1\nb = 2\nk = %s\nc = 3\n", value);
	CHECK(load(text) == -1);
	CHECK(err_is(3, "line longer than 199 bytes"));
	/* Also at the end of a file with no final newline. */
	snprintf(text, sizeof(text), "k = %s", value);
	CHECK(load(text) == -1);
	CHECK(err_is(1, "line longer than 199 bytes"));
}

static void
test_errors(void) {
	CHECK(load("a = 1\nthis line has no equals\n") == -1);
	CHECK(err_is(2, "syntax error"));
	CHECK(load("a = 1\n[game]\nb = 2\n") == -1);
	CHECK(err_is(2, "sections are not supported"));
	CHECK(load("a = 1\nb = 2\na = 3\n") == -1);
	CHECK(err_is(3, "duplicate key 'a'"));
	CHECK(load("\n\nthread = 0\n") == -1);
	CHECK(err_is(3, "thread"));
	CHECK(load("thread = abc\n") == -1);
	CHECK(err_is(1, "thread"));
	CHECK(load("thread = 1025\n") == -1);
	CHECK(err_is(1, "thread"));
	CHECK(load("thread = 4x\n") == -1);
	CHECK(err_is(1, "thread"));
	CHECK(load("x = 1\nharbor = 300\n") == -1);
	CHECK(err_is(2, "harbor"));
	CHECK(load("harbor = -1\n") == -1);
	CHECK(err_is(1, "harbor"));
	CHECK(load("profile = 2\n") == -1);
	CHECK(err_is(1, "profile"));
	CHECK(load("memlimit = 12X\n") == -1);
	CHECK(err_is(1, "memlimit"));
	CHECK(load("memlimit = -5\n") == -1);
	CHECK(err_is(1, "memlimit"));
	CHECK(load("memlimit = 1G\nharbor = 255\nthread = 1024\nprofile = 0\n") == 0);
	CHECK(load("daemon =\n") == -1);
	CHECK(err_is(1, "daemon"));

	env_exit();
	env_init();
	strcpy(err, "untouched");
	CHECK(config_load("/nonexistent/dir/x.conf", &cfg, err, sizeof(err)) == -1);
	CHECKF(strcmp(err, "cannot open config file '/nonexistent/dir/x.conf': No such file or directory") == 0,
		"%s", err);
	/* A tiny error buffer truncates rather than overflows. */
	char small[8];
	CHECK(config_load("/nonexistent/x.conf", &cfg, small, sizeof(small)) == -1);
	CHECK(strlen(small) == 7);
	CHECK(config_load("/nonexistent/x.conf", &cfg, NULL, 0) == -1);
}

int
main(void) {
	env_init();
	RUN(test_env);
	RUN(test_env_foreach);
	RUN(test_keys_and_defaults);
	RUN(test_expand);
	RUN(test_continuation_and_comments);
	RUN(test_long_line);
	RUN(test_errors);
	env_exit();
	return TESTS_DONE();
}
