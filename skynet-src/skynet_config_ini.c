/* skynet_config_ini.c: owns reading our INI config format into a config_list.
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
 * A value that is exactly `nil` (after joining) leaves its key unset, as it
 * does in skynet's Lua format, so `logger = nil` means the same in both. */
#include "skynet_config_list.h"
#include "skynet_malloc.h"

#include <ini.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* inih's buffer holds 199 bytes plus the NUL. */
#define CONFIG_MAX_LINE 199

struct config_parse {
	const char *path;
	FILE *fp;
	int line;            /* line the reader handed out last */
	int indented;        /* that line starts with whitespace */
	struct config_list *out;
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
	config_set_error(p->err, p->errsz, "%s:%d: %s", p->path, line, msg);
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
	struct config_list *l = p->out;
	if (p->indented && l->count > 0) {
		/* inih only calls back for an indented line as a continuation of
		 * the key it saw last, which is our last entry. */
		struct config_entry *e = &l->entry[l->count - 1];
		size_t a = strlen(e->value), b = strlen(v);
		e->value = skynet_realloc(e->value, a + b + 1);
		memcpy(e->value + a, v, b + 1);
		skynet_free(v);
		return 1;
	}
	struct config_entry *old = config_list_find(l, name);
	if (old) {
		parse_fail(p, p->line, "duplicate key '%s' (first set on line %d)", name, old->line);
		skynet_free(v);
		return 0;
	}
	config_list_add(l, name, v, config_list_file(l, p->path), p->line);
	skynet_free(v);
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
		config_set_error(p->err, p->errsz, "cannot read config file '%s': %s", p->path, strerror(errno));
		return -1;
	}
	rewind(p->fp);
	return 0;
}

/* `key = nil` leaves key unset; checked after continuation lines joined. */
static void
drop_nils(struct config_list *l) {
	for (int i = 0; i < l->count; i++) {
		struct config_entry *e = &l->entry[i];
		if (e->value && strcmp(e->value, "nil") == 0) {
			skynet_free(e->value);
			e->value = NULL;
		}
	}
}

int
config_ini_read(const char *path, struct config_list *out, char *err, size_t errsz) {
	struct config_parse p;
	memset(&p, 0, sizeof(p));
	p.path = path;
	p.out = out;
	p.err = err;
	p.errsz = errsz;
	p.fp = fopen(path, "r");
	if (p.fp == NULL) {
		config_set_error(err, errsz, "cannot open config file '%s': %s", path, strerror(errno));
		return -1;
	}
	int ret = -1;
	if (check_line_lengths(&p) < 0)
		goto done;
	int r = ini_parse_stream(config_reader, &p, config_handler, &p);
	if (r == -2) {
		config_set_error(err, errsz, "%s: out of memory while parsing", path);
		goto done;
	}
	/* inih reports the first line its handler or its own syntax check
	 * rejected; keep whichever of its error and ours comes first. */
	if (r > 0 && (p.err_line == 0 || r < p.err_line)) {
		config_set_error(err, errsz, "%s:%d: syntax error (expected 'key = value')", path, r);
		goto done;
	}
	if (p.err_line)
		goto done;
	if (ferror(p.fp)) {
		config_set_error(err, errsz, "cannot read config file '%s'", path);
		goto done;
	}
	drop_nils(out);
	ret = 0;
done:
	fclose(p.fp);
	return ret;
}
