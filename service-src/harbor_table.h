/* harbor_table.h: the harbor service's bookkeeping, no I/O in it.
 *
 *   harbor_queue    messages waiting (for a link or for a global name), FIFO,
 *                   with their byte count so the service can bound them.
 *   harbor_calls    requests sent over a link and not answered yet, keyed by
 *                   (caller, session): a link that drops fails exactly these.
 *   harbor_names    global name -> handle, plus each unknown name's queue. */
#ifndef HARBOR_TABLE_H
#define HARBOR_TABLE_H

#include <stddef.h>
#include <stdint.h>

#define HARBOR_NAME_MAX 16

struct harbor_msg {
	struct harbor_msg *next;
	uint32_t source;
	uint32_t destination; /* 0 while waiting for a name */
	int session;
	int type;
	void *data;
	size_t sz;
};

struct harbor_queue {
	struct harbor_msg *head;
	struct harbor_msg *tail;
	size_t bytes;
	int count;
};

void harbor_queue_push(struct harbor_queue *q, struct harbor_msg *m);
struct harbor_msg *harbor_queue_pop(struct harbor_queue *q);

struct harbor_call {
	uint64_t key;  /* 0 = free slot */
	int node;
};

struct harbor_calls {
	struct harbor_call *slot;
	size_t cap;    /* power of two, or 0 */
	size_t count;
};

void harbor_calls_release(struct harbor_calls *t);
void harbor_calls_add(struct harbor_calls *t, uint32_t source, int session, int node);
/* Returns the node the call went to and forgets it, or -1 when unknown. */
int harbor_calls_remove(struct harbor_calls *t, uint32_t source, int session);
/* Removes every call to node, calling f(ud, source, session) for each. */
void harbor_calls_drop_node(struct harbor_calls *t, int node,
	void (*f)(void *ud, uint32_t source, int session), void *ud);

struct harbor_name {
	struct harbor_name *next;
	char name[HARBOR_NAME_MAX];
	uint32_t handle;            /* 0 until known */
	struct harbor_queue waiting;
};

struct harbor_names {
	struct harbor_name **bucket;
	size_t cap;
	size_t count;
};

void harbor_names_init(struct harbor_names *t);
void harbor_names_release(struct harbor_names *t, void (*drop)(void *ud, struct harbor_msg *m), void *ud);
struct harbor_name *harbor_names_find(struct harbor_names *t, const char *name);
struct harbor_name *harbor_names_get(struct harbor_names *t, const char *name);

#endif
