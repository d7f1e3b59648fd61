/* skynet_config_lua.c: owns reading skynet's own config format, a Lua script,
 * into a config_list.
 *
 * What skynet does, and so do we: before a file runs, every `$NAME` in its text
 * (NAME = letters, digits, '_') is replaced by that process environment
 * variable, an undefined one being an error; the file's globals are the config;
 * `include "file"` runs another file (named relative to the including one) into
 * the same globals; the script reaches nothing else (no os, io, require, print),
 * though string methods work. A global that ends up nil is unset, a boolean
 * becomes "true"/"false", a number its Lua string form, anything else is an error.
 *
 * What we add: the globals sit behind a proxy that records where each key was
 * last assigned, so later checks (thread out of range ...) name file:line as for
 * INI, and keys keep their first-assignment order (skynet's is hash order). The
 * script runs in a private Lua state with a memory cap and an instruction budget,
 * so a runaway config fails with a message instead of hanging the boot. */
#include "skynet_config_list.h"
#include "skynet_malloc.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define LUACFG_MEM_LIMIT ((size_t)64 << 20)
#define LUACFG_HOOK_EVERY 1000000   /* instructions per hook call */
#define LUACFG_HOOK_LIMIT 200       /* hook calls: 200 million instructions */
#define LUACFG_MAX_DEPTH 32         /* include nesting */

struct luacfg {
	size_t mem;
	int hooks;
	int depth;
	struct config_list *out;
};

/* Stack slots of the tables luacfg_main builds (absolute indices). */
enum { SLOT_PATH = 1, SLOT_ENV, SLOT_STORE, SLOT_ORDER, SLOT_LINE, SLOT_FILE, SLOT_INCLUDE };

static struct luacfg *
luacfg_of(lua_State *L) {
	void *ud;
	lua_getallocf(L, &ud);
	return ud;
}

static void *
luacfg_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
	struct luacfg *c = ud;
	size_t old = ptr ? osize : 0;
	if (nsize == 0) {
		c->mem -= old;
		skynet_free(ptr);
		return NULL;
	}
	if (nsize > old && c->mem - old + nsize > LUACFG_MEM_LIMIT)
		return NULL;
	void *p = skynet_realloc(ptr, nsize);
	if (p)
		c->mem = c->mem - old + nsize;
	return p;
}

static void
luacfg_hook(lua_State *L, lua_Debug *ar) {
	(void)ar;
	if (++luacfg_of(L)->hooks <= LUACFG_HOOK_LIMIT)
		return;
	luaL_where(L, 0);
	lua_pushfstring(L, "config script runs too long (over %d million instructions)",
		LUACFG_HOOK_LIMIT * (LUACFG_HOOK_EVERY / 1000000));
	lua_concat(L, 2);
	lua_error(L);
}

static int
line_at(const char *text, const char *pos) {
	int line = 1;
	for (const char *s = text; s < pos; s++)
		if (*s == '\n')
			line++;
	return line;
}

static int
is_var_char(int c) {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Pushes text with $NAME replaced from the environment (skynet's rule: a '$'
 * not followed by a name char stays). Raises "path:line: ..." if NAME is unset. */
static void
push_expanded(lua_State *L, const char *path, const char *text, size_t len) {
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	const char *s = text, *end = text + len;
	while (s < end) {
		const char *d = memchr(s, '$', (size_t)(end - s));
		if (d == NULL) {
			luaL_addlstring(&b, s, (size_t)(end - s));
			break;
		}
		luaL_addlstring(&b, s, (size_t)(d - s));
		const char *name = d + 1, *e = name;
		while (e < end && is_var_char((unsigned char)*e))
			e++;
		if (e == name) {
			luaL_addchar(&b, '$');
			s = name;
			continue;
		}
		lua_pushlstring(L, name, (size_t)(e - name));
		const char *var = lua_tostring(L, -1);
		const char *val = getenv(var);
		if (val == NULL) {
			lua_pushfstring(L, "%s:%d: undefined environment variable '%s'", path,
				line_at(text, d), var);
			lua_error(L);
		}
		lua_pop(L, 1);
		luaL_addstring(&b, val);
		s = e;
	}
	luaL_pushresult(&b);
}

/* Pushes the whole file as a userdata buffer and returns its length, or
 * raises fmt (with %s for the path and %s for why). The buffer is allocated
 * before the file opens, so no Lua error can leak the FILE. */
static size_t
push_file(lua_State *L, const char *path, const char *fmt) {
	struct stat st;
	const char *why = NULL;
	if (stat(path, &st) != 0)
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	else if ((size_t)st.st_size > LUACFG_MEM_LIMIT)
		why = "file too large";
	if (why)
		luaL_error(L, fmt, path, why);
	size_t cap = (size_t)st.st_size;
	char *buf = lua_newuserdatauv(L, cap ? cap : 1, 0);
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		luaL_error(L, fmt, path, strerror(errno));
	size_t n = fread(buf, 1, cap, f);
	int bad = ferror(f);
	fclose(f);
	if (bad)
		luaL_error(L, fmt, path, "read error");
	return n;
}

/* Loads and runs one file with the proxy env (at stack index env). An error
 * opening it is raised as fmt at the position of whoever called our caller
 * (the include line), or with no position for the top file. */
static void
run_file(lua_State *L, const char *path, int env, const char *fmt) {
	struct luacfg *c = luacfg_of(L);
	if (c->depth >= LUACFG_MAX_DEPTH)
		luaL_error(L, "include nested more than %d deep (does a file include itself?)", LUACFG_MAX_DEPTH);
	config_list_file(c->out, path); /* so an error naming it can be repaired */
	size_t len = push_file(L, path, fmt);
	push_expanded(L, path, lua_touserdata(L, -1), len);
	lua_remove(L, -2);
	size_t tlen;
	const char *text = lua_tolstring(L, -1, &tlen);
	lua_pushfstring(L, "@%s", path);
	if (luaL_loadbufferx(L, text, tlen, lua_tostring(L, -1), "t") != LUA_OK)
		lua_error(L);
	lua_pushvalue(L, env);
	lua_setupvalue(L, -2, 1); /* a main chunk's only upvalue is _ENV */
	c->depth++;
	lua_call(L, 0, 0);
	c->depth--;
	lua_pop(L, 2); /* chunk name, text */
}

/* include(name): upvalue 1 is the proxy env. A relative name is taken from
 * the directory of the file that calls include. */
static int
luacfg_include(lua_State *L) {
	const char *name = luaL_checkstring(L, 1);
	lua_Debug ar;
	const char *dir = "";
	int dirlen = 0;
	if (name[0] != '/' && lua_getstack(L, 1, &ar) && lua_getinfo(L, "S", &ar) && ar.source[0] == '@') {
		const char *slash = strrchr(ar.source, '/');
		if (slash) {
			dir = ar.source + 1;
			dirlen = (int)(slash - dir) + 1;
		}
	}
	const char *path = lua_pushfstring(L, "%s", name);
	if (dirlen) {
		lua_pushlstring(L, dir, (size_t)dirlen);
		lua_pushvalue(L, -2);
		lua_concat(L, 2);
		path = lua_tostring(L, -1);
	}
	run_file(L, path, lua_upvalueindex(1), "cannot open included file '%s': %s");
	return 0;
}

/* __index(env, k): upvalues store, include. */
static int
luacfg_index(lua_State *L) {
	lua_pushvalue(L, 2);
	if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)
		return 1;
	if (lua_type(L, 2) == LUA_TSTRING && strcmp(lua_tostring(L, 2), "include") == 0)
		lua_pushvalue(L, lua_upvalueindex(2));
	return 1;
}

/* __newindex(env, k, v): upvalues store, order, line, file. */
static int
luacfg_newindex(lua_State *L) {
	if (lua_type(L, 2) != LUA_TSTRING)
		return luaL_error(L, "config keys must be strings, got a %s", luaL_typename(L, 2));
	lua_Debug ar;
	int line = 0;
	const char *src = NULL;
	if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar) && ar.source[0] == '@') {
		line = ar.currentline;
		src = ar.source + 1;
	}
	lua_pushvalue(L, 2);
	if (lua_rawget(L, lua_upvalueindex(3)) == LUA_TNIL) {
		lua_pushvalue(L, 2);
		lua_rawseti(L, lua_upvalueindex(2), (lua_Integer)lua_rawlen(L, lua_upvalueindex(2)) + 1);
	}
	lua_pop(L, 1);
	lua_pushvalue(L, 2);
	lua_pushvalue(L, 3);
	lua_rawset(L, lua_upvalueindex(1));
	lua_pushvalue(L, 2);
	lua_pushinteger(L, line);
	lua_rawset(L, lua_upvalueindex(3));
	lua_pushvalue(L, 2);
	lua_pushstring(L, src ? src : "(config)");
	lua_rawset(L, lua_upvalueindex(4));
	return 0;
}

/* Converts the value at the top the way skynet stores it in its env; pops it. */
static void
add_value(lua_State *L, struct config_list *out, const char *key, const char *file, int line) {
	const char *file_in = config_list_file(out, file);
	int t = lua_type(L, -1);
	if (t == LUA_TNIL) {
		lua_pop(L, 1);
		return;
	}
	if (t == LUA_TBOOLEAN) {
		config_list_add(out, key, lua_toboolean(L, -1) ? "true" : "false", file_in, line);
		lua_pop(L, 1);
		return;
	}
	if (t != LUA_TNUMBER && t != LUA_TSTRING)
		luaL_error(L, "%s:%d: config key '%s' is a %s (a value must be a string, number or boolean)",
			file, line, key, lua_typename(L, t));
	size_t len;
	const char *v = lua_tolstring(L, -1, &len);
	if (strlen(v) != len)
		luaL_error(L, "%s:%d: config key '%s' contains a NUL byte", file, line, key);
	config_list_add(out, key, v, file_in, line);
	lua_pop(L, 1);
}

/* Runs in protected mode: argument 1 is the top file's path. */
static int
luacfg_main(lua_State *L) {
	struct luacfg *c = luacfg_of(L);
	luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 0); /* string methods only */
	lua_pop(L, 1);
	lua_settop(L, SLOT_PATH);
	lua_newtable(L);  /* SLOT_ENV: stays empty so every access hits the metamethods */
	lua_newtable(L);  /* SLOT_STORE */
	lua_newtable(L);  /* SLOT_ORDER */
	lua_newtable(L);  /* SLOT_LINE */
	lua_newtable(L);  /* SLOT_FILE */
	lua_pushvalue(L, SLOT_ENV);
	lua_pushcclosure(L, luacfg_include, 1); /* SLOT_INCLUDE */
	lua_createtable(L, 0, 2);
	lua_pushvalue(L, SLOT_STORE);
	lua_pushvalue(L, SLOT_INCLUDE);
	lua_pushcclosure(L, luacfg_index, 2);
	lua_setfield(L, -2, "__index");
	for (int i = SLOT_STORE; i <= SLOT_FILE; i++)
		lua_pushvalue(L, i);
	lua_pushcclosure(L, luacfg_newindex, 4);
	lua_setfield(L, -2, "__newindex");
	lua_setmetatable(L, SLOT_ENV);

	run_file(L, lua_tostring(L, SLOT_PATH), SLOT_ENV, "cannot open config file '%s': %s");

	lua_Integer n = (lua_Integer)lua_rawlen(L, SLOT_ORDER);
	for (lua_Integer i = 1; i <= n; i++) {
		lua_rawgeti(L, SLOT_ORDER, i);
		const char *key = lua_tostring(L, -1);
		lua_pushvalue(L, -1);
		lua_rawget(L, SLOT_LINE);
		int line = (int)lua_tointeger(L, -1);
		lua_pushvalue(L, -2);
		lua_rawget(L, SLOT_FILE);
		const char *file = lua_tostring(L, -1);
		lua_pushvalue(L, -3);
		lua_rawget(L, SLOT_STORE);
		add_value(L, c->out, key, file, line);
		lua_pop(L, 3);
	}
	return 0;
}

/* Lua shortens a long chunk name to "...tail" in positions; put the whole
 * path back when the message starts with such a shortened name. */
static void
repair_error(const struct config_list *files, const char *msg, char *err, size_t errsz) {
	for (int i = 0; i < files->nfile; i++) {
		const char *path = files->file[i];
		size_t len = strlen(path);
		if (len < LUA_IDSIZE)
			continue;
		const char *tail = path + len - (LUA_IDSIZE - 4);
		if (strncmp(msg, "...", 3) == 0 && strncmp(msg + 3, tail, strlen(tail)) == 0 &&
		    msg[3 + strlen(tail)] == ':') {
			config_set_error(err, errsz, "%s%s", path, msg + 3 + strlen(tail));
			return;
		}
	}
	config_set_error(err, errsz, "%s", msg);
}

int
config_lua_read(const char *path, struct config_list *out, char *err, size_t errsz) {
	struct luacfg c = { 0, 0, 0, out };
	lua_State *L = lua_newstate(luacfg_alloc, &c);
	if (L == NULL) {
		config_set_error(err, errsz, "%s: out of memory", path);
		return -1;
	}
	lua_sethook(L, luacfg_hook, LUA_MASKCOUNT, LUACFG_HOOK_EVERY);
	lua_pushcfunction(L, luacfg_main);
	lua_pushstring(L, path);
	int r = lua_pcall(L, 1, 0, 0);
	if (r != LUA_OK) {
		const char *msg = lua_tostring(L, -1);
		if (r == LUA_ERRMEM)
			config_set_error(err, errsz, "%s: config script needs more than %zu MB of memory",
				path, LUACFG_MEM_LIMIT >> 20);
		else if (msg == NULL)
			config_set_error(err, errsz, "%s: config script raised a %s value", path, luaL_typename(L, -1));
		else
			repair_error(out, msg, err, errsz);
		for (char *s = err; s && errsz && *s; s++)
			if (*s == '\n' || *s == '\r')
				*s = ' ';
	}
	lua_close(L);
	return r == LUA_OK ? 0 : -1;
}
