/* lua-sproto.c: the `sproto.core` module (luaclib/sproto.so, found by Lua's
 * all-in-one loader as luaopen_sproto_core): schema objects, type and
 * protocol lookups, encode/decode, 0-pack, and the process-wide schema slots
 * behind sprotoloader (saveproto/loadproto).
 *
 * Schema and type objects are light userdata, as in skynet: sproto.lua owns a
 * schema from newproto and frees it with deleteproto (its __gc). A schema put
 * in a slot belongs to the slot table: services share it read-only by index,
 * and a replaced one is kept until the process exits, since other services
 * may still hold its types. The library pins itself in memory
 * (RTLD_NODELETE) so the slots outlive the services that filled them. */
#define _GNU_SOURCE
#include "lsproto.h"
#include "sproto_schema.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOT_MAX 16

struct retired {
	struct retired *next;
	struct sp_schema *s;
};

static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sp_schema *slots[SLOT_MAX];
static struct retired *retired_list;

static struct sp_schema *check_schema(lua_State *L, int idx) {
	struct sp_schema *s = lua_touserdata(L, idx);
	if (s == NULL)
		luaL_argerror(L, idx, "need a sproto object");
	return s;
}

static int lnewproto(lua_State *L) {
	size_t sz = 0;
	const void *bin = lsp_getbuffer(L, 1, &sz);
	const char *err = NULL;
	struct sp_schema *s = sp_schema_new(bin, sz, &err);
	if (s == NULL) {
		lua_pushnil(L);
		lua_pushfstring(L, "invalid sproto schema: %s", err ? err : "?");
		return 2;
	}
	lua_pushlightuserdata(L, s);
	return 1;
}

static int ldeleteproto(lua_State *L) {
	sp_schema_free(check_schema(L, 1));
	return 0;
}

static int lquerytype(lua_State *L) {
	struct sp_schema *s = check_schema(L, 1);
	struct sp_type *t = sp_schema_type(s, luaL_checkstring(L, 2));
	if (t == NULL)
		return 0;
	lua_pushlightuserdata(L, t);
	return 1;
}

static void push_type(lua_State *L, struct sp_type *t) {
	if (t)
		lua_pushlightuserdata(L, t);
	else
		lua_pushnil(L);
}

/* protocol(sp, name) -> tag, request, response; protocol(sp, tag) -> name, ... */
static int lprotocol(lua_State *L) {
	struct sp_schema *s = check_schema(L, 1);
	const struct sp_proto *p;
	if (lua_type(L, 2) == LUA_TNUMBER) {
		lua_Integer tag = luaL_checkinteger(L, 2);
		p = (tag >= 0 && tag <= 0x7fffffff) ? sp_schema_proto_tag(s, (int)tag) : NULL;
		if (p == NULL)
			return 0;
		lua_pushstring(L, p->name);
	} else {
		p = sp_schema_proto_name(s, luaL_checkstring(L, 2));
		if (p == NULL)
			return 0;
		lua_pushinteger(L, p->tag);
	}
	push_type(L, p->request);
	push_type(L, p->response);
	return 3;
}

static const char *kind_name(const struct sp_field *f) {
	static const char *names[] = { "integer", "boolean", "string", "double" };
	if (f->kind == SP_STRUCT)
		return f->st->name;
	if (f->kind == SP_STRING && f->binary)
		return "binary";
	return names[f->kind];
}

static int ldumpproto(lua_State *L) {
	struct sp_schema *s = check_schema(L, 1);
	printf("=== %d types ===\n", s->ntype);
	for (int i = 0; i < s->ntype; i++) {
		const struct sp_type *t = &s->types[i];
		printf("%s\n", t->name);
		for (int j = 0; j < t->n; j++) {
			const struct sp_field *f = &t->f[j];
			printf("\t%s (%d) %s%s", f->name, f->tag, f->array ? "*" : "", kind_name(f));
			if (f->key >= 0)
				printf("(%d)", f->key);
			printf("\n");
		}
	}
	printf("=== %d protocol ===\n", s->nproto);
	for (int i = 0; i < s->nproto; i++) {
		const struct sp_proto *p = &s->protos[i];
		printf("\t%s (%d) request:%s", p->name, p->tag, p->request ? p->request->name : "(null)");
		if (p->response)
			printf(" response:%s", p->response->name);
		else if (p->confirm)
			printf(" response nil");
		printf("\n");
	}
	return 0;
}

static int lpack(lua_State *L) {
	size_t sz = 0;
	const uint8_t *src = lsp_getbuffer(L, 1, &sz);
	luaL_Buffer b;
	uint8_t *out = (uint8_t *)luaL_buffinitsize(L, &b, sp_pack_bound(sz));
	luaL_pushresultsize(&b, sp_pack(src, sz, out));
	return 1;
}

static int lunpack(lua_State *L) {
	size_t sz = 0;
	const uint8_t *src = lsp_getbuffer(L, 1, &sz);
	uint8_t stack[LSP_BUFFER_SIZE];
	long n = sp_unpack(src, sz, stack, sizeof(stack));
	if (n < 0)
		return luaL_error(L, "Invalid unpack stream");
	if ((size_t)n <= sizeof(stack)) {
		lua_pushlstring(L, (const char *)stack, (size_t)n);
		return 1;
	}
	luaL_Buffer b;
	uint8_t *out = (uint8_t *)luaL_buffinitsize(L, &b, (size_t)n);
	sp_unpack(src, sz, out, (size_t)n);
	luaL_pushresultsize(&b, (size_t)n);
	return 1;
}

static int slot_index(lua_State *L, int idx) {
	lua_Integer i = luaL_optinteger(L, idx, 0);
	if (i < 0 || i >= SLOT_MAX)
		luaL_error(L, "Invalid global slot index %d", (int)i);
	return (int)i;
}

/* saveproto(sp [, index]): the slot takes sp over (a string is parsed first). */
static int lsaveproto(lua_State *L) {
	struct sp_schema *s;
	if (lua_type(L, 1) == LUA_TSTRING) {
		size_t sz;
		const char *bin = lua_tolstring(L, 1, &sz);
		const char *err = NULL;
		s = sp_schema_new(bin, sz, &err);
		if (s == NULL)
			return luaL_error(L, "invalid sproto schema: %s", err ? err : "?");
	} else {
		s = check_schema(L, 1);
	}
	int i = slot_index(L, 2);
	struct retired *r = malloc(sizeof(*r));
	if (r == NULL)
		return luaL_error(L, "out of memory");
	pthread_mutex_lock(&slot_lock);
	if (slots[i] && slots[i] != s) {
		r->s = slots[i];
		r->next = retired_list;
		retired_list = r;
		r = NULL;
	}
	slots[i] = s;
	pthread_mutex_unlock(&slot_lock);
	free(r);
	return 0;
}

static int lloadproto(lua_State *L) {
	int i = slot_index(L, 1);
	pthread_mutex_lock(&slot_lock);
	struct sp_schema *s = slots[i];
	pthread_mutex_unlock(&slot_lock);
	if (s == NULL)
		return luaL_error(L, "nil sproto at index %d", i);
	lua_pushlightuserdata(L, s);
	return 1;
}

/* One schema may sit in several slots and in the retired list: free it once. */
static void free_once(struct sp_schema *s) {
	if (s == NULL)
		return;
	for (int i = 0; i < SLOT_MAX; i++) {
		if (slots[i] == s)
			slots[i] = NULL;
	}
	for (struct retired *r = retired_list; r; r = r->next) {
		if (r->s == s)
			r->s = NULL;
	}
	sp_schema_free(s);
}

__attribute__((destructor)) static void slots_release(void) {
	for (int i = 0; i < SLOT_MAX; i++)
		free_once(slots[i]);
	while (retired_list) {
		struct retired *r = retired_list;
		free_once(r->s);
		retired_list = r->next;
		free(r);
	}
}

/* A service that exits unloads its Lua C libraries; keep this one so the
 * slots stay valid for every other service. */
static void pin_library(void) {
	static int pinned;
	Dl_info info;
	if (pinned || dladdr((void *)pin_library, &info) == 0 || info.dli_fname == NULL)
		return;
	if (dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE) != NULL)
		pinned = 1;
}

int luaopen_sproto_core(lua_State *L) {
	luaL_checkversion(L);
	luaL_Reg l[] = {
		{ "newproto", lnewproto },
		{ "deleteproto", ldeleteproto },
		{ "dumpproto", ldumpproto },
		{ "querytype", lquerytype },
		{ "decode", lsp_decode },
		{ "protocol", lprotocol },
		{ "default", lsp_default },
		{ "pack", lpack },
		{ "unpack", lunpack },
		{ "saveproto", lsaveproto },
		{ "loadproto", lloadproto },
		{ NULL, NULL },
	};
	pin_library();
	luaL_newlib(L, l);
	lua_newuserdatauv(L, LSP_BUFFER_SIZE, 0);
	lua_pushcclosure(L, lsp_encode, 1);
	lua_setfield(L, -2, "encode");
	return 1;
}
