/* lsproto.h: the Lua-facing halves of sproto.core, shared between its files
 * (lua-sproto.c registers them). */
#ifndef LSPROTO_H
#define LSPROTO_H

#include <lua.h>
#include <lauxlib.h>

#define LSP_MAX_DEPTH 64
#define LSP_MAX_SIZE 0x1000000
#define LSP_BUFFER_SIZE 2048

/* core.encode(st, table) -> string; upvalue 1 is a scratch userdata buffer */
int lsp_encode(lua_State *L);
/* core.decode(st, string | ptr, size [, table]) -> table, bytes used */
int lsp_decode(lua_State *L);
/* core.default(st) -> a table of the type's default values */
int lsp_default(lua_State *L);

/* The message argument at index: a string or a (userdata, size) pair. */
const void *lsp_getbuffer(lua_State *L, int index, size_t *sz);

#endif
