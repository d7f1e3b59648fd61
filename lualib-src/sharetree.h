/* sharetree.h: an immutable tree of Lua values (tables, strings, numbers,
 * booleans) laid out in one malloc'd block, shared by pointer between the Lua
 * states of a node. A tree is built once from a Lua table and never changes;
 * readers in any thread look values up in place. Its life is a reference
 * count. An update does not touch a tree: the owner links the old tree to its
 * successor (st_link) and marks it stale, so a reader can move on by itself.
 *
 * Used by skynet.sharedata.core (lua-sharedata.c), which backs sharedata,
 * sharetable and datasheet. */
#ifndef SKYNET_SHARETREE_H
#define SKYNET_SHARETREE_H

#include <lua.h>
#include <stddef.h>
#include <stdint.h>

struct st_tree;

/* Builds a tree from the table at idx (raw access, metatables ignored).
 * Keys: strings, numbers, booleans; values: those and tables. A table seen
 * twice (or a cycle) becomes one shared node. Raises a Lua error on anything
 * else. Returns a tree holding one reference. */
struct st_tree *st_build(lua_State *L, int idx);

void st_incref(struct st_tree *t);
void st_decref(struct st_tree *t);

/* Marks t stale; next (may be NULL: deleted) becomes its successor, and t
 * keeps a reference on it. Returns 0, or -1 if t was already stale. */
int st_link(struct st_tree *t, struct st_tree *next);
/* 0: current; 1: stale with a successor; 2: stale without (deleted). */
int st_state(const struct st_tree *t);
/* The successor of a stale tree (NULL when deleted or current). */
struct st_tree *st_next(const struct st_tree *t);

uint32_t st_root(const struct st_tree *t);
size_t st_size(const struct st_tree *t);
/* Number of trees alive in the process (for leak checks). */
long st_live(void);

/* Pushes t[node][key at kidx]. Returns 0 (a plain value, or nil if absent)
 * or 1 (a table: pushed its node id, an integer). */
int st_index(lua_State *L, const struct st_tree *t, uint32_t node, int kidx);
/* Iteration: pushes the key and value after the key at kidx (nil: first).
 * Returns -1 at the end (nothing pushed), else as st_index for the value.
 * Raises an error for a key that is not in the node. */
int st_next_entry(lua_State *L, const struct st_tree *t, uint32_t node, int kidx);
/* The length of node's sequence (its keys 1..n). */
lua_Integer st_len(const struct st_tree *t, uint32_t node);
/* Pushes a deep copy of node as plain Lua tables. */
void st_copy(lua_State *L, const struct st_tree *t, uint32_t node);

#endif
