/* spinlock.h: a tiny test-and-test-and-set lock for very short critical sections
 * (queue push/pop). Held for a handful of instructions only, so spinning beats a
 * futex round trip. */
#ifndef SKYNET_SPINLOCK_H
#define SKYNET_SPINLOCK_H

#include <stdatomic.h>

struct spinlock {
	atomic_int lock;
};

static inline void
spinlock_init(struct spinlock *l) {
	atomic_init(&l->lock, 0);
}

static inline void
spinlock_lock(struct spinlock *l) {
	for (;;) {
		if (!atomic_exchange_explicit(&l->lock, 1, memory_order_acquire))
			return;
		while (atomic_load_explicit(&l->lock, memory_order_relaxed))
			__builtin_ia32_pause();
	}
}

static inline int
spinlock_trylock(struct spinlock *l) {
	return !atomic_load_explicit(&l->lock, memory_order_relaxed) &&
		!atomic_exchange_explicit(&l->lock, 1, memory_order_acquire);
}

static inline void
spinlock_unlock(struct spinlock *l) {
	atomic_store_explicit(&l->lock, 0, memory_order_release);
}

static inline void
spinlock_destroy(struct spinlock *l) {
	(void)l;
}

#endif
