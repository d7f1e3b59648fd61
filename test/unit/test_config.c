/* test_config.c: config file loading (skynet_config*.c: INI and skynet's Lua
 * format, the detection rule, --print-config) and env (skynet_env.c). */
#include "testlib.h"
#include "skynet_config.h"
#include "skynet_env.h"
#include "skynet_malloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char path[256];
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
	char prefix[320];
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
	CHECK(strcmp(env_get("profile"), "true") == 0); /* skynet's default, as skynet stores it */
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

/* A scratch folder for multi-file (include) configs. */
static char dir[64];

static void
make_dir(void) {
	strcpy(dir, "/tmp/skynet_cfgdir_XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
}

static void
remove_dir(void) {
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
}

/* Writes dir/name (creating the folders in name) and returns its path. */
static const char *
put(const char *name, const char *text) {
	static char file[256];
	snprintf(file, sizeof(file), "%s/%s", dir, name);
	for (char *slash = file + strlen(dir) + 1; (slash = strchr(slash, '/')); slash++) {
		*slash = '\0';
		mkdir(file, 0700);
		*slash = '/';
	}
	FILE *f = fopen(file, "w");
	if (f == NULL || fputs(text, f) < 0)
		abort();
	fclose(f);
	return file;
}

/* Loads dir/name into a fresh env. */
static int
load_at(const char *name) {
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	env_exit();
	env_init();
	memset(&cfg, 0, sizeof(cfg));
	strcpy(err, "untouched");
	return config_load(path, &cfg, err, sizeof(err));
}

static int
env_is(const char *key, const char *want) {
	const char *v = env_get(key);
	if (v == NULL || strcmp(v, want) != 0) {
		printf("# env %s = %s, want %s\n", key, v ? v : "(unset)", want);
		return 0;
	}
	return 1;
}

/* skynet's examples/config style: every value type it stores. */
static void
test_lua_values(void) {
	CHECK(load("root = \"./\"\n"
		"thread = 2\n"
		"logger = nil\n"
		"daemon = nil\n"
		"harbor = 0\n"
		"start = \"main\"\t-- main script\n"
		"-- preload = \"./examples/preload.lua\"\n"
		"luaservice = root..\"service/?.lua;\"..root..\"test/?.lua\"\n"
		"lualoader = root .. \"lualib/loader.lua\"\n"
		"local port = 8000\n"
		"gate_port = port + 888\n"
		"ratio = port / 16000\n"
		"name = 'single' .. [[ long]]\n"
		"flag = true\n"
		"off = false\n"
		"gone = \"x\"\n"
		"gone = nil\n"
		"twice = 1\n"
		"twice = 2\n"
		"--[[ a block\ncomment ]]\n"
		"shout = (\"ab\"):upper():rep(2)\n") == 0);
	CHECK(cfg.thread == 2 && cfg.harbor == 0 && cfg.profile == 1);
	CHECK(cfg.logger == NULL && cfg.daemon == NULL);
	CHECK(env_is("root", "./"));
	CHECK(env_is("start", "main"));
	CHECK(env_is("luaservice", "./service/?.lua;./test/?.lua"));
	CHECK(env_is("lualoader", "./lualib/loader.lua"));
	CHECK(env_is("gate_port", "8888"));
	CHECK(env_is("ratio", "0.5"));
	CHECK(env_is("name", "single long"));
	CHECK(env_is("flag", "true"));
	CHECK(env_is("off", "false"));
	CHECK(env_is("twice", "2"));
	CHECK(env_is("shout", "ABAB"));
	CHECK(env_get("gone") == NULL && env_get("port") == NULL && env_get("logger") == NULL);
	CHECK(env_get("preload") == NULL);
	/* Defaults fill in as for INI. */
	CHECK(env_is("cpath", "./cservice/?.so"));
	CHECK(env_is("profile", "true"));
}

static void
test_lua_include(void) {
	make_dir();
	put("config", "root = \"./\"\ninclude \"conf/paths.lua\"\nafter = seen .. \"!\"\n");
	/* Relative to the including file: conf/paths.lua includes conf/deeper/x. */
	put("conf/paths.lua", "luaservice = root .. \"service/?.lua\"\ninclude \"deeper/x\"\n");
	put("conf/deeper/x", "seen = \"deep\"\nthread = 3\n");
	CHECK(load_at("config") == 0);
	CHECK(env_is("luaservice", "./service/?.lua"));
	CHECK(env_is("seen", "deep"));
	CHECK(env_is("after", "deep!"));
	CHECK(cfg.thread == 3);
	/* An absolute name is taken as is. */
	char text[256];
	snprintf(text, sizeof(text), "include \"%s/conf/deeper/x\"\n", dir);
	put("abs", text);
	CHECK(load_at("abs") == 0);
	CHECK(env_is("seen", "deep"));
	/* A key checked later names the included file and its line. */
	put("conf/bad", "a = 1\nthread = 0\n");
	put("top", "include \"conf/bad\"\n");
	CHECK(load_at("top") == -1);
	char want[160];
	snprintf(want, sizeof(want), "%s/conf/bad:2: thread must be", dir);
	CHECKF(strncmp(err, want, strlen(want)) == 0, "%s", err);
	/* A missing file is named at the include line. */
	put("miss", "a = \"x\"\n\ninclude \"nope.lua\"\n");
	CHECK(load_at("miss") == -1);
	CHECK(err_is(3, "cannot open included file"));
	CHECK(strstr(err, "nope.lua") != NULL);
	/* A syntax error in an included file names that file. */
	put("conf/syntax", "a = = 1\n");
	put("top2", "b = 2\ninclude \"conf/syntax\"\n");
	CHECK(load_at("top2") == -1);
	snprintf(want, sizeof(want), "%s/conf/syntax:1:", dir);
	CHECKF(strncmp(err, want, strlen(want)) == 0, "%s", err);
	/* A file that includes itself stops. */
	put("loop", "include \"loop\"\n");
	CHECK(load_at("loop") == -1);
	CHECK(err_is(1, "include nested more than"));
	remove_dir();
}

static void
test_lua_expand(void) {
	setenv("SKYNET_T_ROOT", "/opt/game", 1);
	setenv("SKYNET_T_N", "4", 1);
	/* Substituted in the text before it runs: inside strings and as code. */
	CHECK(load("root = \"$SKYNET_T_ROOT/\"\nthread = $SKYNET_T_N\n"
		"lib = root .. \"lib\"\nprice = \"5$ and $\"\nbraces = \"${SKYNET_T_N}\"\n") == 0);
	CHECK(env_is("root", "/opt/game/"));
	CHECK(env_is("lib", "/opt/game/lib"));
	CHECK(cfg.thread == 4);
	CHECK(env_is("price", "5$ and $"));
	/* skynet's rule is $NAME only: ${NAME} stays as written. */
	CHECK(env_is("braces", "${SKYNET_T_N}"));
	unsetenv("SKYNET_T_NOPE");
	CHECK(load("a = \"x\"\n\nb = \"$SKYNET_T_NOPE\"\n") == -1);
	CHECK(err_is(3, "undefined environment variable 'SKYNET_T_NOPE'"));
	/* Also in an included file (and before it runs: even in a comment). */
	make_dir();
	put("inc", "ok = 1\n-- $SKYNET_T_NOPE\n");
	put("top", "include \"inc\"\n");
	CHECK(load_at("top") == -1);
	char want[128];
	snprintf(want, sizeof(want), "%s/inc:2: undefined environment variable", dir);
	CHECKF(strncmp(err, want, strlen(want)) == 0, "%s", err);
	remove_dir();
}

static void
test_lua_errors(void) {
	CHECK(load("a = \"x\"\nb = = 2\n") == -1);
	CHECK(err_is(2, "unexpected symbol"));
	CHECK(strstr(err, "not INI either") && strstr(err, ":1: a quoted value"));
	CHECK(load("root = \"./\"\nx = nothing .. \"y\"\n") == -1);
	CHECK(err_is(2, "attempt to concatenate a nil value"));
	CHECK(load("a = \"x\"\n\nt = {}\n") == -1);
	CHECK(err_is(3, "config key 't' is a table"));
	CHECK(load("a = \"x\"\nf = function() end\n") == -1);
	CHECK(err_is(2, "config key 'f' is a function"));
	/* A table assigned and then dropped is fine, as in skynet. */
	CHECK(load("a = \"x\"\nt = {}\nt = nil\n") == 0);
	CHECK(load("a = \"x\"\n_ENV[1] = 2\n") == -1);
	CHECK(err_is(2, "config keys must be strings"));
	CHECK(load("start = \"main\"\nthread = 0\n") == -1);
	CHECK(err_is(2, "thread must be"));
	CHECK(load("a = \"x\"\nprofile = \"maybe\"\n") == -1);
	CHECK(err_is(2, "profile must be true or false"));
	CHECK(load("a = \"x\"\ndaemon = \"\"\n") == -1);
	CHECK(err_is(2, "daemon must name a pid file"));
	CHECK(load("a = \"x\\0y\"\n") == -1);
	CHECK(err_is(1, "NUL"));
	CHECK(load("a = \"x\"\nerror(\"boom\")\n") == -1);
	CHECK(err_is(2, "attempt to call a nil value (global 'error')"));
}

/* No os, io, require, print, load: only the config's own globals (and include). */
static void
test_lua_sandbox(void) {
	CHECK(load("home = os.getenv(\"HOME\") .. \"x\"\n") == -1);
	CHECK(err_is(1, "global 'os'"));
	CHECK(load("local f = io.open(\"/etc/passwd\")\n") == -1);
	CHECK(err_is(1, "global 'io'"));
	CHECK(load("local x = require \"os\"\n") == -1);
	CHECK(err_is(1, "global 'require'"));
	CHECK(load("local x = load(\"return 1\")\n") == -1);
	CHECK(err_is(1, "global 'load'"));
	CHECK(load("-- skynet\nlocal x = string.rep\n") == -1);
	CHECK(err_is(2, "global 'string'"));
	/* A runaway script fails instead of hanging or eating the machine. */
	CHECK(load("-- skynet\nwhile true do end\n") == -1);
	CHECK(err_is(2, "runs too long"));
	CHECK(load("-- skynet\nlocal s = (\"x\"):rep(1 << 30)\n") == -1);
	CHECKF(strstr(err, "more than 64 MB") != NULL, "%s", err);
}

/* The rule: a line with a '--' comment, local, include, a quoted value or
 * '..' joining names/strings makes the file Lua; anything else is INI. */
static void
test_detect(void) {
	/* Plain INI, even with dots, quotes inside, $ and Lua-like words in values. */
	CHECK(load("lua_path = ../lualib/?.lua;./x/..;\nmotd = it's \"fine\"\nprice = $5\n"
		"say = local news -- today\nlocality = 1\nincluded = yes\n") == 0);
	CHECK(env_is("lua_path", "../lualib/?.lua;./x/..;"));
	CHECK(env_is("motd", "it's \"fine\""));
	CHECK(env_is("say", "local news -- today"));
	/* Each marker alone makes it Lua (seen by a Lua-only result). */
	CHECK(load("-- skynet\nx = 1 + 1\n") == 0 && env_is("x", "2"));
	CHECK(load("local a = 5\nx = a\n") == 0 && env_is("x", "5"));
	CHECK(load("x = 'q'\n") == 0 && env_is("x", "q"));
	CHECK(load("x = [[q]]\n") == 0 && env_is("x", "q"));
	CHECK(load("a = 1\nx = a..a\n") == 0 && env_is("x", "11"));
	make_dir();
	put("inc", "y = 7\n");
	put("top", "include 'inc'\nz = y\n");
	CHECK(load_at("top") == 0 && env_is("z", "7"));
	remove_dir();
	/* Numbers-only files read the same either way. */
	CHECK(load("thread = 3\nharbor = 0\nprofile = false\n") == 0);
	CHECK(cfg.thread == 3 && cfg.harbor == 0 && cfg.profile == 0);
	/* Valid in neither: one line with both reasons, each with file:line. */
	CHECK(load("thread = 2\nthis line has no equals sign\n") == -1);
	CHECK(err_is(2, "syntax error (expected 'key = value'); not Lua either: "));
	CHECK(strstr(err, ":2: syntax error near 'line'") != NULL);
	CHECK(load("a = 1\n[game]\n") == -1);
	CHECK(err_is(2, "sections are not supported; not Lua either: "));
	CHECK(load("start = \"main\"\nthis line has no equals sign\n") == -1);
	CHECK(err_is(2, "syntax error near 'line'; not INI either: "));
	CHECK(strstr(err, ":1: a quoted value") != NULL);
	/* When the other format would read it, only the chosen one's error. */
	CHECK(load("a = 1\nb = 2\na = 3\n") == -1);
	CHECK(err_is(3, "duplicate key 'a'") && strstr(err, "not Lua") == NULL);
	/* An undefined $VAR fails both the same way: said once. */
	CHECK(load("a = $SKYNET_T_NOPE\n") == -1);
	CHECK(err_is(1, "SKYNET_T_NOPE") && strstr(err, "not Lua") == NULL);
}

/* profile is a boolean as skynet reads it; nil unsets in both formats. */
static void
test_booleans_and_nil(void) {
	CHECK(load("profile = false\n") == 0 && cfg.profile == 0 && env_is("profile", "false"));
	CHECK(load("profile = true\n") == 0 && cfg.profile == 1 && env_is("profile", "true"));
	CHECK(load("profile = 0\n") == 0 && cfg.profile == 0);
	CHECK(load("-- skynet\nprofile = false\n") == 0 && cfg.profile == 0 && env_is("profile", "false"));
	CHECK(load("-- skynet\nprofile = true\n") == 0 && cfg.profile == 1);
	CHECK(load("-- skynet\nprofile = 0\n") == 0 && cfg.profile == 0);
	CHECK(load("profile = yes\n") == -1);
	CHECK(err_is(1, "profile must be true or false"));
	/* INI: the value nil leaves the key unset, as in skynet's format. */
	CHECK(load("daemon = nil\nlogger = nil\ngame = nil\nstart = main\n") == 0);
	CHECK(cfg.daemon == NULL && cfg.logger == NULL && env_get("game") == NULL);
	CHECK(env_get("daemon") == NULL && env_get("logger") == NULL);
	CHECK(load("-- skynet\ndaemon = nil\nlogger = nil\n") == 0);
	CHECK(cfg.daemon == NULL && cfg.logger == NULL);
	/* nil only as the whole value. */
	CHECK(load("a = nil;\nb = nill\n") == 0 && env_is("a", "nil;") && env_is("b", "nill"));
}

/* Runs config_print on dir/name into dir/out.ini; returns its result. */
static int
print_at(const char *name, char *outbuf, size_t outsz) {
	char src[128], dst[128];
	snprintf(src, sizeof(src), "%s/%s", dir, name);
	snprintf(dst, sizeof(dst), "%s/out.ini", dir);
	FILE *f = fopen(dst, "w");
	strcpy(err, "untouched");
	int r = config_print(src, f, err, sizeof(err));
	fclose(f);
	f = fopen(dst, "r");
	size_t n = fread(outbuf, 1, outsz - 1, f);
	outbuf[n] = '\0';
	fclose(f);
	return r;
}

static void
test_print_config(void) {
	make_dir();
	static char out[8192];
	put("paths", "luaservice = root..\"service/?.lua;\"..root..\"examples/?.lua\"\n");
	put("config", "root = \"./\"\nthread = 2\nlogger = nil\ninclude \"paths\"\nprofile = false\n");
	CHECK(print_at("config", out, sizeof(out)) == 0);
	CHECKF(strstr(out, "\nroot = ./\nthread = 2\nluaservice = ./service/?.lua;./examples/?.lua\nprofile = false\n") != NULL,
		"%s", out);
	CHECK(out[0] == ';' && strstr(out, "logger") == NULL && strstr(out, "cpath") == NULL);
	/* A long value is split on ';' into continuation lines, and the output,
	 * read back as INI, gives the same keys. */
	char text[2048] = "root = \"/a/rather/long/root/folder/for/the/game/\"\nluaservice = \"\"";
	for (int i = 0; i < 12; i++)
		strcat(text, " .. root .. \"service/?.lua;\"");
	strcat(text, "\n");
	put("long", text);
	CHECK(print_at("long", out, sizeof(out)) == 0);
	char *line = out;
	for (char *nl; (nl = strchr(line, '\n')); line = nl + 1)
		CHECK(nl - line <= 199);
	CHECK(load_at("long") == 0);
	char *want = skynet_strdup(env_get("luaservice"));
	CHECK(strlen(want) > 400);
	put("back.ini", out);
	int r = load_at("back.ini");
	CHECKF(r == 0, "%s", err);
	int same = strcmp(env_get("luaservice"), want) == 0;
	skynet_free(want);
	CHECK(same);
	/* INI input prints too. */
	put("plain", "a = x;\n\ty\n");
	CHECK(print_at("plain", out, sizeof(out)) == 0);
	CHECK(strstr(out, "(INI)") && strstr(out, "\na = x;y\n"));
	/* A value INI cannot hold is an error naming it; nothing printed. */
	put("unwritable", "a = \" padded \"\n");
	CHECK(print_at("unwritable", out, sizeof(out)) == -1);
	CHECKF(strstr(err, "unwritable:1: cannot write key 'a' as INI") != NULL, "%s", err);
	CHECK(out[0] == '\0');
	put("dollar", "a = \"x\" .. \"$\" .. \"HOME\"\n");
	CHECK(print_at("dollar", out, sizeof(out)) == -1);
	CHECK(strstr(err, "expand") != NULL);
	/* Checks apply as for a boot. */
	put("badthread", "thread = 0\n");
	CHECK(print_at("badthread", out, sizeof(out)) == -1);
	CHECK(strstr(err, "badthread:1: thread") != NULL);
	remove_dir();
}

/* Lua shortens long chunk names in its messages; ours carry the whole path. */
static void
test_lua_long_path(void) {
	make_dir();
	const char *name = "a_rather_long_folder_name_for_testing/and_another_long_one/config.lua";
	put(name, "x = \"1\"\ny = = 2\n");
	CHECK(load_at(name) == -1);
	char want[256];
	snprintf(want, sizeof(want), "%s/%s:2: ", dir, name);
	CHECKF(strncmp(err, want, strlen(want)) == 0, "%s", err);
	remove_dir();
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
	RUN(test_lua_values);
	RUN(test_lua_include);
	RUN(test_lua_expand);
	RUN(test_lua_errors);
	RUN(test_lua_sandbox);
	RUN(test_detect);
	RUN(test_booleans_and_nil);
	RUN(test_print_config);
	RUN(test_lua_long_path);
	env_exit();
	return TESTS_DONE();
}
