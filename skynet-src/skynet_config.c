/* skynet_config.c: owns reading the INI config file into env and struct skynet_config.
 *
 * Parsing is inih's (Debian's libinih). Three of its habits shape this file:
 *  - it reads through a 200-byte buffer and parses the rest of a longer line as a
 *    new line, so every line is measured here first and an over-long one is an
 *    error that names it;
 *  - its handler does not receive line numbers, so we feed it through our own
 *    fgets-style reader, which counts lines (one reader call per line, given the
 *    length check) and also notices section headers before inih does;
 *  - an indented line continues the previous key and arrives as another handler
 *    call with the same name; such pieces are joined with no separator.
 * Values are collected here first (continuations change them) and go into env,
 * which is write-once, only after the whole file has parsed and validated. */
#include "skynet_config.h"
#include "skynet_env.h"
#include "skynet_malloc.h"

#include <ini.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef LUA_CMOD_DIR
#define LUA_CMOD_DIR "/usr/local/lib/lua/5.4"
#endif

/* inih's buffer holds 199 bytes plus the NUL. */
#define CONFIG_MAX_LINE 199

struct config_entry {
	char *key;
	char *value;
	int line;
};

struct config_parse {
	const char *path;
	FILE *fp;
	int line;            /* line the reader handed out last */
	int indented;        /* that line starts with whitespace */
	struct config_entry *entry;
	int count;
	int cap;
	char *err;
	size_t errsz;
	int err_line;        /* first line we reported an error for; 0 if none */
};

/* A growable string for building expanded values. */
struct strbuf {
	char *s;
	size_t len;
	size_t cap;
};

static void
sb_append(struct strbuf *b, const char *s, size_t n) {
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		b->s = skynet_realloc(b->s, cap);
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
set_error(char *err, size_t errsz, const char *fmt, ...) {
	va_list ap;
	if (err == NULL || errsz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

/* Records the first error only; later ones are usually fallout. */
static void
parse_fail(struct config_parse *p, int line, const char *fmt, ...) {
	char msg[256];
	va_list ap;
	if (p->err_line)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->err_line = line;
	set_error(p->err, p->errsz, "%s:%d: %s", p->path, line, msg);
}

static int
is_name_start(int c) {
	return isalpha(c) || c == '_';
}

static int
is_name_char(int c) {
	return isalnum(c) || c == '_';
}

/* Expands $VAR and ${VAR} from the process environment. A '$' not followed by
 * a name or '{' is kept as it is. Returns the new string, or NULL after
 * reporting the error. */
static char *
expand_value(struct config_parse *p, const char *in) {
	struct strbuf b = { NULL, 0, 0 };
	sb_append(&b, "", 0);
	const char *s = in;
	while (*s) {
		const char *dollar = strchr(s, '$');
		if (dollar == NULL) {
			sb_append(&b, s, strlen(s));
			break;
		}
		sb_append(&b, s, (size_t)(dollar - s));
		const char *name = dollar + 1;
		size_t n = 0;
		const char *after;
		if (*name == '{') {
			name++;
			while (is_name_char((unsigned char)name[n]))
				n++;
			if (n == 0 || !is_name_start((unsigned char)name[0]) || name[n] != '}') {
				parse_fail(p, p->line, "bad variable reference '${' (expected ${NAME})");
				skynet_free(b.s);
				return NULL;
			}
			after = name + n + 1;
		} else if (is_name_start((unsigned char)*name)) {
			while (is_name_char((unsigned char)name[n]))
				n++;
			after = name + n;
		} else {
			sb_append(&b, "$", 1);
			s = name;
			continue;
		}
		char var[128];
		if (n >= sizeof(var)) {
			parse_fail(p, p->line, "variable name too long");
			skynet_free(b.s);
			return NULL;
		}
		memcpy(var, name, n);
		var[n] = '\0';
		const char *val = getenv(var);
		if (val == NULL) {
			parse_fail(p, p->line, "undefined environment variable '%s'", var);
			skynet_free(b.s);
			return NULL;
		}
		sb_append(&b, val, strlen(val));
		s = after;
	}
	return b.s;
}

static struct config_entry *
entry_find(struct config_parse *p, const char *key) {
	for (int i = 0; i < p->count; i++)
		if (strcmp(p->entry[i].key, key) == 0)
			return &p->entry[i];
	return NULL;
}

/* fgets for inih that counts lines. The length check guarantees a line fits in
 * num - 1 bytes apart from its '\n', which we swallow here if it did not fit,
 * so every call hands out exactly one line. */
static char *
config_reader(char *str, int num, void *stream) {
	struct config_parse *p = stream;
	if (p->err_line)
		return NULL; /* stop inih once we have an error */
	if (fgets(str, num, p->fp) == NULL)
		return NULL;
	size_t len = strlen(str);
	if (len > 0 && str[len - 1] != '\n') {
		int c = getc(p->fp);
		if (c != '\n' && c != EOF)
			ungetc(c, p->fp);
	}
	p->line++;
	p->indented = str[0] == ' ' || str[0] == '\t';
	if (!p->indented && str[0] == '[') {
		parse_fail(p, p->line, "sections are not supported");
		return NULL;
	}
	return str;
}

static int
config_handler(void *user, const char *section, const char *name, const char *value) {
	struct config_parse *p = user;
	if (p->err_line)
		return 0;
	if (section[0]) {
		/* An indented [x] before any key gets past the reader. */
		parse_fail(p, p->line, "sections are not supported");
		return 0;
	}
	char *v = expand_value(p, value);
	if (v == NULL)
		return 0;
	if (p->indented && p->count > 0) {
		/* inih only calls back for an indented line as a continuation of
		 * the key it saw last, which is our last entry. */
		struct config_entry *e = &p->entry[p->count - 1];
		size_t a = strlen(e->value), b = strlen(v);
		e->value = skynet_realloc(e->value, a + b + 1);
		memcpy(e->value + a, v, b + 1);
		skynet_free(v);
		return 1;
	}
	struct config_entry *old = entry_find(p, name);
	if (old) {
		parse_fail(p, p->line, "duplicate key '%s' (first set on line %d)", name, old->line);
		skynet_free(v);
		return 0;
	}
	if (p->count == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 16;
		p->entry = skynet_realloc(p->entry, sizeof(*p->entry) * p->cap);
	}
	p->entry[p->count].key = skynet_strdup(name);
	p->entry[p->count].value = v;
	p->entry[p->count].line = p->line;
	p->count++;
	return 1;
}

/* Measures every line before inih sees the file. Returns 0 or -1 with err set. */
static int
check_line_lengths(struct config_parse *p) {
	int c, line = 1;
	size_t len = 0;
	while ((c = getc(p->fp)) != EOF) {
		if (c == '\n') {
			line++;
			len = 0;
			continue;
		}
		if (++len > CONFIG_MAX_LINE) {
			parse_fail(p, line, "line longer than %d bytes", CONFIG_MAX_LINE);
			return -1;
		}
	}
	if (ferror(p->fp)) {
		set_error(p->err, p->errsz, "cannot read config file '%s': %s", p->path, strerror(errno));
		return -1;
	}
	rewind(p->fp);
	return 0;
}

/* Parses a whole decimal integer; returns 0 on success. */
static int
parse_int(const char *s, long *out) {
	char *end;
	if (*s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

static int
check_range(struct config_parse *p, const char *key, long lo, long hi, long *out) {
	struct config_entry *e = entry_find(p, key);
	if (e == NULL)
		return 0;
	long v;
	if (parse_int(e->value, &v) < 0 || v < lo || v > hi) {
		if (lo == 0 && hi == 1)
			parse_fail(p, e->line, "%s must be 0 or 1, got '%s'", key, e->value);
		else
			parse_fail(p, e->line, "%s must be an integer between %ld and %ld, got '%s'",
				key, lo, hi, e->value);
		return -1;
	}
	*out = v;
	return 0;
}

static int
check_memlimit(struct config_parse *p) {
	struct config_entry *e = entry_find(p, "memlimit");
	if (e == NULL)
		return 0;
	const char *s = e->value;
	size_t n = 0;
	while (isdigit((unsigned char)s[n]))
		n++;
	int ok = n > 0 && (s[n] == '\0' || (strchr("KMGkmg", s[n]) && s[n + 1] == '\0'));
	if (!ok) {
		parse_fail(p, e->line, "memlimit must be a non-negative integer with an optional K, M or G suffix, got '%s'", s);
		return -1;
	}
	return 0;
}

static int
validate(struct config_parse *p, long *thread, long *harbor, long *profile) {
	if (check_range(p, "thread", 1, 1024, thread) < 0 ||
	    check_range(p, "harbor", 0, 255, harbor) < 0 ||
	    check_range(p, "profile", 0, 1, profile) < 0 ||
	    check_memlimit(p) < 0)
		return -1;
	struct config_entry *e = entry_find(p, "daemon");
	if (e && e->value[0] == '\0') {
		parse_fail(p, e->line, "daemon must name a pid file");
		return -1;
	}
	return 0;
}

static void
default_env(const char *key, const char *value) {
	if (env_get(key) == NULL)
		env_set(key, value);
}

static void
parse_free(struct config_parse *p) {
	for (int i = 0; i < p->count; i++) {
		skynet_free(p->entry[i].key);
		skynet_free(p->entry[i].value);
	}
	skynet_free(p->entry);
	if (p->fp)
		fclose(p->fp);
}

int
config_load(const char *path, struct skynet_config *cfg, char *err, size_t errsz) {
	struct config_parse p;
	memset(&p, 0, sizeof(p));
	p.path = path;
	p.err = err;
	p.errsz = errsz;
	if (err && errsz)
		err[0] = '\0';
	p.fp = fopen(path, "r");
	if (p.fp == NULL) {
		set_error(err, errsz, "cannot open config file '%s': %s", path, strerror(errno));
		return -1;
	}
	if (check_line_lengths(&p) < 0)
		goto fail;
	int r = ini_parse_stream(config_reader, &p, config_handler, &p);
	if (r == -2) {
		set_error(err, errsz, "%s: out of memory while parsing", path);
		goto fail;
	}
	/* inih reports the first line its handler or its own syntax check
	 * rejected; keep whichever of its error and ours comes first. */
	if (r > 0 && (p.err_line == 0 || r < p.err_line)) {
		set_error(err, errsz, "%s:%d: syntax error (expected 'key = value')", path, r);
		goto fail;
	}
	if (p.err_line)
		goto fail;
	if (ferror(p.fp)) {
		set_error(err, errsz, "cannot read config file '%s'", path);
		goto fail;
	}

	long nproc = sysconf(_SC_NPROCESSORS_ONLN);
	long thread = nproc < 1 ? 1 : nproc > 1024 ? 1024 : nproc;
	long harbor = 1, profile = 1;
	if (validate(&p, &thread, &harbor, &profile) < 0)
		goto fail;
	for (int i = 0; i < p.count; i++) {
		if (env_set(p.entry[i].key, p.entry[i].value) < 0) {
			parse_fail(&p, p.entry[i].line, "key '%s' is already set", p.entry[i].key);
			goto fail;
		}
	}

	char num[32];
	snprintf(num, sizeof(num), "%ld", thread);
	default_env("thread", num);
	snprintf(num, sizeof(num), "%ld", harbor);
	default_env("harbor", num);
	snprintf(num, sizeof(num), "%ld", profile);
	default_env("profile", num);
	default_env("cpath", "./cservice/?.so");
	default_env("bootstrap", "snlua bootstrap");
	default_env("logservice", "logger");
	default_env("lualoader", "./lualib/loader.lua");
	default_env("luaservice", "./service/?.lua");
	default_env("lua_path", "./lualib/?.lua;./lualib/?/init.lua");
	default_env("lua_cpath", "./luaclib/?.so;" LUA_CMOD_DIR "/?.so");

	cfg->thread = (int)thread;
	cfg->harbor = (int)harbor;
	cfg->profile = (int)profile;
	cfg->daemon = env_get("daemon");
	cfg->module_path = env_get("cpath");
	cfg->bootstrap = env_get("bootstrap");
	cfg->logger = env_get("logger");
	cfg->logservice = env_get("logservice");
	parse_free(&p);
	return 0;
fail:
	parse_free(&p);
	return -1;
}
