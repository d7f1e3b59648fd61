/* rwlock.h: reader/writer lock for tables read on every send and written rarely
 * (the handle table). pthread's rwlock prefers neither side here; writers are rare. */
#ifndef SKYNET_RWLOCK_H
#define SKYNET_RWLOCK_H

#include <pthread.h>

struct rwlock {
	pthread_rwlock_t lock;
};

static inline void rwlock_init(struct rwlock *l) { pthread_rwlock_init(&l->lock, NULL); }
static inline void rwlock_rlock(struct rwlock *l) { pthread_rwlock_rdlock(&l->lock); }
/* 0 when the read lock was taken, without waiting (the crash report). */
static inline int rwlock_tryrlock(struct rwlock *l) { return pthread_rwlock_tryrdlock(&l->lock); }
static inline void rwlock_wlock(struct rwlock *l) { pthread_rwlock_wrlock(&l->lock); }
static inline void rwlock_runlock(struct rwlock *l) { pthread_rwlock_unlock(&l->lock); }
static inline void rwlock_wunlock(struct rwlock *l) { pthread_rwlock_unlock(&l->lock); }
static inline void rwlock_destroy(struct rwlock *l) { pthread_rwlock_destroy(&l->lock); }

#endif
