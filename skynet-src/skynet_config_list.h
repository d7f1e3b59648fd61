/* skynet_config_list.h: what a config reader hands to skynet_config.c (internal).
 *
 * Both readers (INI in skynet_config_ini.c, skynet's Lua script format in
 * skynet_config_lua.c) turn a file into the same list of key/value strings,
 * each remembering the file and line that set it, so that checks done later
 * (thread out of range ...) can name the place whatever the format. Nothing
 * past skynet_config.c sees this list or knows which reader filled it. */
#ifndef SKYNET_CONFIG_LIST_H
#define SKYNET_CONFIG_LIST_H

#include <stddef.h>

struct config_entry {
	char *key;
	char *value;         /* NULL: set to nil, i.e. unset */
	const char *file;    /* one of the list's files */
	int line;
};

struct config_list {
	struct config_entry *entry;
	int count;
	int cap;
	char **file;         /* every file the entries name, owned here */
	int nfile;
};

/* Copies key and value (value may be NULL). file must come from
 * config_list_file. Returns the new entry. */
struct config_entry *config_list_add(struct config_list *l, const char *key, const char *value,
	const char *file, int line);
/* The entry for key, NULL if none (an entry set to nil counts). */
struct config_entry *config_list_find(struct config_list *l, const char *key);
/* A copy of path owned by the list (one per distinct path). */
const char *config_list_file(struct config_list *l, const char *path);
void config_list_free(struct config_list *l);

/* snprintf into err, tolerating err == NULL or errsz == 0. */
void config_set_error(char *err, size_t errsz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Readers: return 0, or -1 with a one-line "file:line: why" in err. */
int config_ini_read(const char *path, struct config_list *out, char *err, size_t errsz);
int config_lua_read(const char *path, struct config_list *out, char *err, size_t errsz);

#endif
