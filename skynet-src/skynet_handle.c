/* skynet_handle.c: owns the handle -> pointer table and the name -> handle index.
 *
 * Handles come from a rolling 24-bit counter; a handle lives in slot
 * (handle & (slot_size - 1)). Because the counter keeps moving forward, a freed
 * handle is not handed out again until the counter comes back round to its slot,
 * which makes a stale handle in a late message miss instead of hitting a newer
 * service. Each slot keeps the full handle next to the pointer so a lookup with a
 * stale handle that maps to a reused slot is told apart. When no slot is free
 * within one sweep the table doubles (rehash by the wider mask keeps every live
 * handle in a distinct slot). Names sit in an array sorted by strcmp. */
#include "skynet_handle.h"
#include "skynet_malloc.h"
#include "rwlock.h"

#include <string.h>

#define HANDLE_INITIAL_SLOTS 4
#define HANDLE_MAX_SLOTS (HANDLE_MASK + 1)
#define NAME_INITIAL_CAP 8

struct handle_slot {
	uint32_t handle; /* full handle, harbor byte included; 0 when empty */
	void *ptr;
};

struct handle_name {
	char *name;
	uint32_t handle;
};

struct handle_storage {
	struct rwlock lock;
	uint32_t harbor;       /* already shifted into the high byte */
	uint32_t handle_index; /* next 24-bit index to try */
	int slot_size;
	int count;
	struct handle_slot *slot;
	int name_cap;
	int name_count;
	struct handle_name *name;
	handle_retain_fn retain;
};

static struct handle_storage *H;

/* Called with the write lock held. */
static void
slots_grow(void) {
	int size = H->slot_size * 2;
	struct handle_slot *slot = skynet_calloc(size, sizeof(*slot));
	for (int i = 0; i < H->slot_size; i++) {
		struct handle_slot *s = &H->slot[i];
		if (s->ptr)
			slot[s->handle & (size - 1)] = *s;
	}
	skynet_free(H->slot);
	H->slot = slot;
	H->slot_size = size;
}

/* Slot of a live handle, or NULL. Caller holds a lock. */
static struct handle_slot *
slot_find(uint32_t handle) {
	struct handle_slot *s = &H->slot[handle & (H->slot_size - 1)];
	if (s->ptr && s->handle == handle)
		return s;
	return NULL;
}

/* Index where name is or would go. Caller holds a lock. */
static int
name_search(const char *name, int *found) {
	int lo = 0, hi = H->name_count;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		int c = strcmp(H->name[mid].name, name);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

void
handle_init(int harbor, handle_retain_fn retain) {
	H = skynet_malloc(sizeof(*H));
	rwlock_init(&H->lock);
	H->harbor = ((uint32_t)harbor & 0xff) << HANDLE_REMOTE_SHIFT;
	H->handle_index = 1;
	H->slot_size = HANDLE_INITIAL_SLOTS;
	H->count = 0;
	H->slot = skynet_calloc(H->slot_size, sizeof(*H->slot));
	H->name_cap = NAME_INITIAL_CAP;
	H->name_count = 0;
	H->name = skynet_malloc(sizeof(*H->name) * H->name_cap);
	H->retain = retain;
}

void
handle_exit(void) {
	if (H == NULL)
		return;
	for (int i = 0; i < H->name_count; i++)
		skynet_free(H->name[i].name);
	skynet_free(H->name);
	skynet_free(H->slot);
	rwlock_destroy(&H->lock);
	skynet_free(H);
	H = NULL;
}

uint32_t
handle_register(void *ptr) {
	uint32_t handle = 0;
	if (ptr == NULL)
		return 0;
	rwlock_wlock(&H->lock);
	for (;;) {
		uint32_t index = H->handle_index;
		for (int i = 0; i < H->slot_size; i++, index++) {
			index &= HANDLE_MASK;
			if (index == 0)
				continue; /* 0 means "no service"; never hand it out */
			struct handle_slot *s = &H->slot[index & (H->slot_size - 1)];
			if (s->ptr == NULL) {
				handle = H->harbor | index;
				s->handle = handle;
				s->ptr = ptr;
				H->count++;
				H->handle_index = (index + 1) & HANDLE_MASK;
				goto done;
			}
		}
		if (H->slot_size >= HANDLE_MAX_SLOTS)
			break;
		slots_grow();
	}
done:
	rwlock_wunlock(&H->lock);
	return handle;
}

void *
handle_remove(uint32_t handle) {
	void *ptr = NULL;
	rwlock_wlock(&H->lock);
	struct handle_slot *s = slot_find(handle);
	if (s) {
		ptr = s->ptr;
		s->ptr = NULL;
		s->handle = 0;
		H->count--;
		/* Compact the name array in place; order is kept. */
		int j = 0;
		for (int i = 0; i < H->name_count; i++) {
			if (H->name[i].handle == handle)
				skynet_free(H->name[i].name);
			else
				H->name[j++] = H->name[i];
		}
		H->name_count = j;
	}
	rwlock_wunlock(&H->lock);
	return ptr;
}

void *
handle_grab(uint32_t handle) {
	void *ptr = NULL;
	rwlock_rlock(&H->lock);
	struct handle_slot *s = slot_find(handle);
	if (s) {
		ptr = s->ptr;
		if (H->retain)
			H->retain(ptr);
	}
	rwlock_runlock(&H->lock);
	return ptr;
}

int
handle_alive(uint32_t handle) {
	rwlock_rlock(&H->lock);
	int live = slot_find(handle) != NULL;
	rwlock_runlock(&H->lock);
	return live;
}

int
handle_list(uint32_t *out, int max) {
	int n = 0;
	rwlock_rlock(&H->lock);
	for (int i = 0; i < H->slot_size && n < max; i++) {
		if (H->slot[i].ptr)
			out[n++] = H->slot[i].handle;
	}
	n = H->count;
	rwlock_runlock(&H->lock);
	return n;
}

int
handle_count(void) {
	int n;
	rwlock_rlock(&H->lock);
	n = H->count;
	rwlock_runlock(&H->lock);
	return n;
}

const char *
handle_bindname(uint32_t handle, const char *name) {
	const char *result = NULL;
	int found;
	if (name == NULL || name[0] == '\0')
		return NULL;
	rwlock_wlock(&H->lock);
	int pos = name_search(name, &found);
	/* A local handle must be live, or nothing would ever drop the name. A
	 * remote handle (another harbor's) may be aliased freely. */
	int local = (handle & ~(uint32_t)HANDLE_MASK) == H->harbor;
	if (!found && handle != 0 && (!local || slot_find(handle))) {
		if (H->name_count == H->name_cap) {
			H->name_cap *= 2;
			H->name = skynet_realloc(H->name, sizeof(*H->name) * H->name_cap);
		}
		memmove(&H->name[pos + 1], &H->name[pos],
			sizeof(*H->name) * (H->name_count - pos));
		H->name[pos].name = skynet_strdup(name);
		H->name[pos].handle = handle;
		H->name_count++;
		result = H->name[pos].name;
	}
	rwlock_wunlock(&H->lock);
	return result;
}

uint32_t
handle_findname(const char *name) {
	uint32_t handle = 0;
	int found;
	if (name == NULL)
		return 0;
	rwlock_rlock(&H->lock);
	int pos = name_search(name, &found);
	if (found)
		handle = H->name[pos].handle;
	rwlock_runlock(&H->lock);
	return handle;
}

int
handle_try_visit(uint32_t handle, handle_visit_fn visit, void *ud) {
	if (H == NULL || rwlock_tryrlock(&H->lock) != 0)
		return -1;
	struct handle_slot *s = slot_find(handle);
	int r = -1;
	if (s) {
		const char *name = NULL;
		for (int i = 0; i < H->name_count && name == NULL; i++) {
			if (H->name[i].handle == handle)
				name = H->name[i].name;
		}
		visit(s->ptr, name, ud);
		r = 0;
	}
	rwlock_runlock(&H->lock);
	return r;
}
