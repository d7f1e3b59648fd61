/* skynet_handle.h: handle -> service table and local names.
 *
 * A handle is 32 bits: the high byte is this node's harbor id, the low 24 bits an
 * index into a power-of-two slot table that doubles when full. 0 is never handed
 * out, and freed slots are reused. Names ('.name' for local ones) map to handles
 * through an array kept sorted for binary search. The table stores opaque pointers;
 * the owner passes a retain function that runs under the read lock in handle_grab,
 * so a grabbed pointer cannot be freed under the caller. */
#ifndef SKYNET_HANDLE_H
#define SKYNET_HANDLE_H

#include <stdint.h>

#define HANDLE_MASK 0xffffff
#define HANDLE_REMOTE_SHIFT 24

typedef void (*handle_retain_fn)(void *ptr);

void handle_init(int harbor, handle_retain_fn retain);
/* Frees the table and the names (the pointers stored are the caller's). */
void handle_exit(void);

/* Returns the new handle, or 0 if all 2^24 slots are taken. */
uint32_t handle_register(void *ptr);
/* Removes handle and every name bound to it; returns the stored pointer or NULL. */
void *handle_remove(uint32_t handle);
/* Pointer for handle, retained, or NULL. */
void *handle_grab(uint32_t handle);
/* 1 if handle is in the table (nothing retained), else 0. */
int handle_alive(uint32_t handle);
/* Up to max live handles into out; returns how many there are in all. */
int handle_list(uint32_t *out, int max);
int handle_count(void);

/* Binds name to handle. Returns the stored copy of the name, or NULL if the name
 * is already taken. */
const char *handle_bindname(uint32_t handle, const char *name);
/* 0 if unknown. */
uint32_t handle_findname(const char *name);


/* For the crash report (a signal handler): if the read lock is free right now
 * and handle is live, calls visit under it with the stored pointer and one of
 * the handle's names (NULL if none) and returns 0; else -1. Never waits. */
typedef void (*handle_visit_fn)(void *ptr, const char *name, void *ud);
int handle_try_visit(uint32_t handle, handle_visit_fn visit, void *ud);

#endif
