/* harbor_table.c: queues, pending calls and global names of the harbor
 * service (see harbor_table.h). Single-threaded: only the harbor service's
 * callback touches them. */
#include "harbor_table.h"
#include "skynet_malloc.h"

#include <string.h>

void
harbor_queue_push(struct harbor_queue *q, struct harbor_msg *m) {
	m->next = NULL;
	if (q->tail)
		q->tail->next = m;
	else
		q->head = m;
	q->tail = m;
	q->bytes += m->sz;
	q->count++;
}

struct harbor_msg *
harbor_queue_pop(struct harbor_queue *q) {
	struct harbor_msg *m = q->head;
	if (m == NULL)
		return NULL;
	q->head = m->next;
	if (q->head == NULL)
		q->tail = NULL;
	q->bytes -= m->sz;
	q->count--;
	return m;
}

/* ---- pending calls: open addressing, linear probing, backward-shift delete ---- */

static uint64_t
call_key(uint32_t source, int session) {
	/* A session is never 0 here, so neither is the key. */
	return (uint64_t)source << 32 | (uint32_t)session;
}

static size_t
call_hash(uint64_t key, size_t mask) {
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return (size_t)key & mask;
}

static void
calls_put(struct harbor_calls *t, uint64_t key, int node) {
	size_t mask = t->cap - 1;
	size_t i = call_hash(key, mask);
	while (t->slot[i].key != 0 && t->slot[i].key != key)
		i = (i + 1) & mask;
	if (t->slot[i].key == 0)
		t->count++;
	t->slot[i].key = key;
	t->slot[i].node = node;
}

static void
calls_grow(struct harbor_calls *t) {
	struct harbor_call *old = t->slot;
	size_t oldcap = t->cap;
	t->cap = oldcap ? oldcap * 2 : 64;
	t->slot = skynet_malloc(t->cap * sizeof(*t->slot));
	memset(t->slot, 0, t->cap * sizeof(*t->slot));
	t->count = 0;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].key)
			calls_put(t, old[i].key, old[i].node);
	skynet_free(old);
}

static void
calls_erase(struct harbor_calls *t, size_t i) {
	size_t mask = t->cap - 1;
	size_t j = i;
	t->slot[i].key = 0;
	t->count--;
	for (;;) {
		j = (j + 1) & mask;
		if (t->slot[j].key == 0)
			return;
		size_t home = call_hash(t->slot[j].key, mask);
		/* Move j back into the hole unless its home lies in (i, j]. */
		int between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
		if (!between) {
			t->slot[i] = t->slot[j];
			t->slot[j].key = 0;
			i = j;
		}
	}
}

void
harbor_calls_release(struct harbor_calls *t) {
	skynet_free(t->slot);
	memset(t, 0, sizeof(*t));
}

void
harbor_calls_add(struct harbor_calls *t, uint32_t source, int session, int node) {
	if ((t->count + 1) * 2 > t->cap)
		calls_grow(t);
	calls_put(t, call_key(source, session), node);
}

int
harbor_calls_remove(struct harbor_calls *t, uint32_t source, int session) {
	if (t->count == 0)
		return -1;
	uint64_t key = call_key(source, session);
	size_t mask = t->cap - 1;
	for (size_t i = call_hash(key, mask); t->slot[i].key != 0; i = (i + 1) & mask) {
		if (t->slot[i].key == key) {
			int node = t->slot[i].node;
			calls_erase(t, i);
			return node;
		}
	}
	return -1;
}

void
harbor_calls_drop_node(struct harbor_calls *t, int node,
	void (*f)(void *ud, uint32_t source, int session), void *ud) {
	size_t i = 0;
	while (i < t->cap) {
		struct harbor_call *c = &t->slot[i];
		if (c->key != 0 && c->node == node) {
			uint64_t key = c->key;
			calls_erase(t, i);
			f(ud, (uint32_t)(key >> 32), (int)(uint32_t)key);
			/* The shift may have moved another entry into slot i: look again. */
			continue;
		}
		i++;
	}
}

/* ---- global names: chained hash, grows by doubling ---- */

static size_t
name_hash(const char *name) {
	size_t h = 2166136261u;
	for (int i = 0; i < HARBOR_NAME_MAX && name[i]; i++)
		h = (h ^ (uint8_t)name[i]) * 16777619u;
	return h;
}

static void
names_grow(struct harbor_names *t) {
	size_t cap = t->cap * 2;
	struct harbor_name **b = skynet_malloc(cap * sizeof(*b));
	memset(b, 0, cap * sizeof(*b));
	for (size_t i = 0; i < t->cap; i++) {
		struct harbor_name *n = t->bucket[i];
		while (n) {
			struct harbor_name *next = n->next;
			size_t h = name_hash(n->name) & (cap - 1);
			n->next = b[h];
			b[h] = n;
			n = next;
		}
	}
	skynet_free(t->bucket);
	t->bucket = b;
	t->cap = cap;
}

void
harbor_names_init(struct harbor_names *t) {
	t->cap = 64;
	t->count = 0;
	t->bucket = skynet_malloc(t->cap * sizeof(*t->bucket));
	memset(t->bucket, 0, t->cap * sizeof(*t->bucket));
}

void
harbor_names_release(struct harbor_names *t, void (*drop)(void *ud, struct harbor_msg *m), void *ud) {
	for (size_t i = 0; i < t->cap; i++) {
		struct harbor_name *n = t->bucket[i];
		while (n) {
			struct harbor_name *next = n->next;
			struct harbor_msg *m;
			while ((m = harbor_queue_pop(&n->waiting)) != NULL)
				drop(ud, m);
			skynet_free(n);
			n = next;
		}
	}
	skynet_free(t->bucket);
	memset(t, 0, sizeof(*t));
}

struct harbor_name *
harbor_names_find(struct harbor_names *t, const char *name) {
	for (struct harbor_name *n = t->bucket[name_hash(name) & (t->cap - 1)]; n; n = n->next)
		if (strncmp(n->name, name, HARBOR_NAME_MAX) == 0)
			return n;
	return NULL;
}

struct harbor_name *
harbor_names_get(struct harbor_names *t, const char *name) {
	struct harbor_name *n = harbor_names_find(t, name);
	if (n)
		return n;
	if (t->count + 1 > t->cap)
		names_grow(t);
	n = skynet_malloc(sizeof(*n));
	memset(n, 0, sizeof(*n));
	strncpy(n->name, name, HARBOR_NAME_MAX - 1);
	size_t h = name_hash(n->name) & (t->cap - 1);
	n->next = t->bucket[h];
	t->bucket[h] = n;
	t->count++;
	return n;
}
