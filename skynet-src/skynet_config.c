/* skynet_config.c: owns turning a config file into env and struct skynet_config.
 *
 * Two formats, one result. The file is read as skynet's Lua script format when
 * any line carries Lua syntax our INI never has (config_detect_lua below: a
 * `--` comment, `local`, `include`, a quoted value, `..` joining names or
 * strings), else as INI. Each reader (skynet_config_ini.c, skynet_config_lua.c)
 * yields the same key/value list with file:line per key; the checks, defaults
 * and env filling here are format-blind, and nothing past this file knows
 * which format was used. When the chosen reader rejects the file, the message
 * also says why the other format does not fit, so a file valid in neither
 * explains both in one line. Values go into env, which is write-once, only
 * after the whole file has been read and checked. */
#include "skynet_config.h"
#include "skynet_config_list.h"
#include "skynet_env.h"
#include "skynet_malloc.h"

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

#define CONFIG_ERR 512
/* Our INI's line limit (inih's buffer), for --print-config's line splitting. */
#define CONFIG_INI_LINE 199

struct config_marker {
	int line;
	const char *what;   /* why the file is Lua, phrased against INI */
};

static int
is_name_start(int c) {
	return isalpha(c) || c == '_';
}

static int
is_name_char(int c) {
	return isalnum(c) || c == '_';
}

static int
starts_word(const char *s, const char *end, const char *word) {
	size_t n = strlen(word);
	return (size_t)(end - s) > n && strncmp(s, word, n) == 0 && !is_name_char((unsigned char)s[n]);
}

/* `..` with a name, string or ')' before it and a name or string after it.
 * A path such as ../lib/?.lua has '/' after its dots, so INI never matches. */
static int
has_concat(const char *s, const char *end) {
	for (const char *d = s; d + 1 < end; d++) {
		if (d[0] != '.' || d[1] != '.')
			continue;
		const char *a = d + 2;
		while (a < end && (*a == ' ' || *a == '\t'))
			a++;
		const char *b = d - 1;
		while (b >= s && (*b == ' ' || *b == '\t'))
			b--;
		int after = a < end && (is_name_start((unsigned char)*a) || *a == '"' || *a == '\'');
		int before = b >= s && (is_name_char((unsigned char)*b) || *b == '"' || *b == '\'' || *b == ')');
		if (after && before)
			return 1;
	}
	return 0;
}

/* Looks at one line (without its '\n'); returns why it is Lua, or NULL. */
static const char *
line_marker(const char *s, const char *end) {
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (end - s >= 2 && s[0] == '-' && s[1] == '-')
		return "a '--' comment (INI comments start with ';' or '#')";
	if (starts_word(s, end, "local"))
		return "'local' (INI has no variables)";
	if (starts_word(s, end, "include"))
		return "'include' (INI has no include)";
	if (has_concat(s, end))
		return "'..' concatenation (INI has none)";
	const char *n = s;
	while (n < end && is_name_char((unsigned char)*n))
		n++;
	if (n == s)
		return NULL;
	while (n < end && (*n == ' ' || *n == '\t'))
		n++;
	if (n == end || *n != '=')
		return NULL;
	n++;
	while (n < end && (*n == ' ' || *n == '\t'))
		n++;
	if (n < end && (*n == '"' || *n == '\'' ||
	    (*n == '[' && n + 1 < end && (n[1] == '[' || n[1] == '='))))
		return "a quoted value (INI values are not quoted)";
	return NULL;
}

/* Returns 1 and fills m if the text has a line only skynet's Lua format has. */
static int
config_detect_lua(const char *text, size_t len, struct config_marker *m) {
	const char *s = text, *end = text + len;
	for (int line = 1; s < end; line++) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *e = nl ? nl : end;
		const char *what = line_marker(s, e);
		if (what) {
			m->line = line;
			m->what = what;
			return 1;
		}
		s = e + 1;
	}
	return 0;
}

/* Reads the whole file for detection. Returns a buffer to free, or NULL. */
static char *
read_all(const char *path, size_t *len, char *err, size_t errsz) {
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		config_set_error(err, errsz, "cannot open config file '%s': %s", path, strerror(errno));
		return NULL;
	}
	size_t cap = 4096, n = 0;
	char *buf = skynet_malloc(cap);
	size_t got;
	while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			cap *= 2;
			buf = skynet_realloc(buf, cap);
		}
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		config_set_error(err, errsz, "cannot read config file '%s'", path);
		skynet_free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* Drops the keys set to nil: from here on they simply are not set. */
static void
drop_unset(struct config_list *l) {
	int n = 0;
	for (int i = 0; i < l->count; i++) {
		if (l->entry[i].value == NULL) {
			skynet_free(l->entry[i].key);
			continue;
		}
		l->entry[n++] = l->entry[i];
	}
	l->count = n;
}

/* Detects the format and reads path into l. *lua says which format it was. */
static int
config_read(const char *path, struct config_list *l, int *lua, char *err, size_t errsz) {
	size_t len;
	char *text = read_all(path, &len, err, errsz);
	if (text == NULL)
		return -1;
	struct config_marker m = { 0, NULL };
	*lua = config_detect_lua(text, len, &m);
	skynet_free(text);
	char first[CONFIG_ERR], other[CONFIG_ERR];
	if (*lua) {
		if (config_lua_read(path, l, first, sizeof(first)) == 0)
			goto done;
		config_set_error(err, errsz, "%s; not INI either: %s:%d: %s", first, path, m.line, m.what);
		return -1;
	}
	if (config_ini_read(path, l, first, sizeof(first)) == 0)
		goto done;
	/* Say why it is not Lua either, unless Lua fails the same way ($VAR). */
	struct config_list scratch;
	memset(&scratch, 0, sizeof(scratch));
	if (config_lua_read(path, &scratch, other, sizeof(other)) != 0 && strcmp(first, other) != 0)
		config_set_error(err, errsz, "%s; not Lua either: %s", first, other);
	else
		config_set_error(err, errsz, "%s", first);
	config_list_free(&scratch);
	return -1;
done:
	drop_unset(l);
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
entry_fail(const struct config_entry *e, char *err, size_t errsz, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
entry_fail(const struct config_entry *e, char *err, size_t errsz, const char *fmt, ...) {
	char msg[CONFIG_ERR];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	config_set_error(err, errsz, "%s:%d: %s", e->file, e->line, msg);
	return -1;
}

static int
check_range(struct config_list *l, const char *key, long lo, long hi, long *out, char *err, size_t errsz) {
	struct config_entry *e = config_list_find(l, key);
	if (e == NULL)
		return 0;
	long v;
	if (parse_int(e->value, &v) < 0 || v < lo || v > hi)
		return entry_fail(e, err, errsz, "%s must be an integer between %ld and %ld, got '%s'",
			key, lo, hi, e->value);
	*out = v;
	return 0;
}

/* skynet reads profile as a boolean; we also take our documented 0/1. */
static int
check_boolean(struct config_list *l, const char *key, long *out, char *err, size_t errsz) {
	struct config_entry *e = config_list_find(l, key);
	if (e == NULL)
		return 0;
	if (strcmp(e->value, "true") == 0 || strcmp(e->value, "1") == 0)
		*out = 1;
	else if (strcmp(e->value, "false") == 0 || strcmp(e->value, "0") == 0)
		*out = 0;
	else
		return entry_fail(e, err, errsz, "%s must be true or false (or 1 or 0), got '%s'", key, e->value);
	return 0;
}

static int
check_memlimit(struct config_list *l, char *err, size_t errsz) {
	struct config_entry *e = config_list_find(l, "memlimit");
	if (e == NULL)
		return 0;
	const char *s = e->value;
	size_t n = 0;
	while (isdigit((unsigned char)s[n]))
		n++;
	int ok = n > 0 && (s[n] == '\0' || (strchr("KMGkmg", s[n]) && s[n + 1] == '\0'));
	if (!ok)
		return entry_fail(e, err, errsz,
			"memlimit must be a non-negative integer with an optional K, M or G suffix, got '%s'", s);
	return 0;
}

static int
validate(struct config_list *l, long *thread, long *harbor, long *profile, char *err, size_t errsz) {
	if (check_range(l, "thread", 1, 1024, thread, err, errsz) < 0 ||
	    check_range(l, "harbor", 0, 255, harbor, err, errsz) < 0 ||
	    check_boolean(l, "profile", profile, err, errsz) < 0 ||
	    check_memlimit(l, err, errsz) < 0)
		return -1;
	struct config_entry *e = config_list_find(l, "daemon");
	if (e && e->value[0] == '\0')
		return entry_fail(e, err, errsz, "daemon must name a pid file");
	return 0;
}

static void
default_env(const char *key, const char *value) {
	if (env_get(key) == NULL)
		env_set(key, value);
}

/* Why value cannot be written as an INI value that reads back the same (as INI),
 * or NULL if it can. */
static const char *
ini_unwritable(const char *key, const char *v) {
	if (!is_name_start((unsigned char)key[0]))
		return "the key is not a plain name";
	for (const char *k = key; *k; k++)
		if (!is_name_char((unsigned char)*k) && *k != '.' && *k != '-')
			return "the key is not a plain name";
	if (strcmp(v, "nil") == 0)
		return "INI reads the value nil as unset";
	size_t n = strlen(v);
	if (n && (isspace((unsigned char)v[0]) || isspace((unsigned char)v[n - 1])))
		return "INI drops spaces around a value";
	if (v[0] == ';')
		return "INI reads a leading ';' as a comment";
	if (strcmp(key, "local") == 0 || strcmp(key, "include") == 0 || has_concat(v, v + n) ||
	    v[0] == '"' || v[0] == '\'' || (v[0] == '[' && (v[1] == '[' || v[1] == '=')))
		return "it would make the file read as Lua";
	for (const char *s = v; *s; s++) {
		if (*s == '\n' || *s == '\r')
			return "INI values are one line";
		if (*s == ';' && s > v && isspace((unsigned char)s[-1]))
			return "INI reads ' ;' as the start of a comment";
		if (*s == '$' && (is_name_start((unsigned char)s[1]) || s[1] == '{'))
			return "INI would expand the '$'";
	}
	return NULL;
}

/* A piece of a split value may start at v[c] (a continuation line). */
static int
can_cut(const char *v, size_t c) {
	if (isspace((unsigned char)v[c - 1]) || isspace((unsigned char)v[c]) || v[c] == ';' || v[c] == '#')
		return 0;
	const char *s = v + c, *end = s + strlen(s);
	return line_marker(s, end) == NULL;
}

/* Writes key = value, split into indented continuation lines where it would
 * pass the INI line limit (preferring cuts after ';', as in a path list).
 * Returns -1 if no cut fits. With out == NULL only checks. */
static int
write_ini_entry(FILE *out, const char *key, const char *v) {
	size_t len = strlen(v), pos = 0;
	if (strlen(key) + 3 >= CONFIG_INI_LINE)
		return -1;
	size_t room = CONFIG_INI_LINE - (strlen(key) + 3);
	if (out)
		fprintf(out, "%s =%s", key, len ? " " : "");
	while (len - pos > room) {
		size_t cut = 0;
		for (size_t c = pos + room; c > pos; c--) {
			if (!can_cut(v, c))
				continue;
			if (cut == 0)
				cut = c;
			if (v[c - 1] == ';') {
				cut = c;
				break;
			}
		}
		if (cut == 0)
			return -1;
		if (out)
			fprintf(out, "%.*s\n\t", (int)(cut - pos), v + pos);
		pos = cut;
		room = CONFIG_INI_LINE - 1;
	}
	if (out)
		fprintf(out, "%s\n", v + pos);
	return 0;
}

void
config_set_error(char *err, size_t errsz, const char *fmt, ...) {
	va_list ap;
	if (err == NULL || errsz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

struct config_entry *
config_list_add(struct config_list *l, const char *key, const char *value, const char *file, int line) {
	if (l->count == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->entry = skynet_realloc(l->entry, sizeof(*l->entry) * l->cap);
	}
	struct config_entry *e = &l->entry[l->count++];
	e->key = skynet_strdup(key);
	e->value = value ? skynet_strdup(value) : NULL;
	e->file = file;
	e->line = line;
	return e;
}

struct config_entry *
config_list_find(struct config_list *l, const char *key) {
	for (int i = 0; i < l->count; i++)
		if (strcmp(l->entry[i].key, key) == 0)
			return &l->entry[i];
	return NULL;
}

const char *
config_list_file(struct config_list *l, const char *path) {
	for (int i = 0; i < l->nfile; i++)
		if (strcmp(l->file[i], path) == 0)
			return l->file[i];
	l->file = skynet_realloc(l->file, sizeof(*l->file) * (l->nfile + 1));
	l->file[l->nfile] = skynet_strdup(path);
	return l->file[l->nfile++];
}

void
config_list_free(struct config_list *l) {
	for (int i = 0; i < l->count; i++) {
		skynet_free(l->entry[i].key);
		skynet_free(l->entry[i].value);
	}
	for (int i = 0; i < l->nfile; i++)
		skynet_free(l->file[i]);
	skynet_free(l->entry);
	skynet_free(l->file);
	memset(l, 0, sizeof(*l));
}

int
config_load(const char *path, struct skynet_config *cfg, char *err, size_t errsz) {
	struct config_list l;
	memset(&l, 0, sizeof(l));
	if (err && errsz)
		err[0] = '\0';
	int lua;
	long nproc = sysconf(_SC_NPROCESSORS_ONLN);
	long thread = nproc < 1 ? 1 : nproc > 1024 ? 1024 : nproc;
	long harbor = 1, profile = 1;
	if (config_read(path, &l, &lua, err, errsz) < 0 ||
	    validate(&l, &thread, &harbor, &profile, err, errsz) < 0)
		goto fail;
	for (int i = 0; i < l.count; i++) {
		struct config_entry *e = &l.entry[i];
		if (env_set(e->key, e->value) < 0) {
			entry_fail(e, err, errsz, "key '%s' is already set", e->key);
			goto fail;
		}
	}

	char num[32];
	snprintf(num, sizeof(num), "%ld", thread);
	default_env("thread", num);
	snprintf(num, sizeof(num), "%ld", harbor);
	default_env("harbor", num);
	default_env("profile", "true"); /* as skynet stores its boolean default */
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
	config_list_free(&l);
	return 0;
fail:
	config_list_free(&l);
	return -1;
}

int
config_print(const char *path, FILE *out, char *err, size_t errsz) {
	struct config_list l;
	memset(&l, 0, sizeof(l));
	if (err && errsz)
		err[0] = '\0';
	int lua, ret = -1;
	long thread = 1, harbor = 1, profile = 1;
	if (config_read(path, &l, &lua, err, errsz) < 0 ||
	    validate(&l, &thread, &harbor, &profile, err, errsz) < 0)
		goto done;
	/* Check everything before printing anything. */
	for (int i = 0; i < l.count; i++) {
		struct config_entry *e = &l.entry[i];
		const char *why = ini_unwritable(e->key, e->value);
		if (why == NULL && write_ini_entry(NULL, e->key, e->value) < 0)
			why = "no place to split its long value";
		if (why) {
			entry_fail(e, err, errsz, "cannot write key '%s' as INI: %s", e->key, why);
			goto done;
		}
	}
	fprintf(out, "; %s (%s) as INI: the keys it sets, resolved (skynet --print-config)\n",
		path, lua ? "skynet's Lua format" : "INI");
	for (int i = 0; i < l.count; i++)
		write_ini_entry(out, l.entry[i].key, l.entry[i].value);
	ret = fflush(out) == 0 ? 0 : -1;
	if (ret < 0)
		config_set_error(err, errsz, "cannot write the config: %s", strerror(errno));
done:
	config_list_free(&l);
	return ret;
}
