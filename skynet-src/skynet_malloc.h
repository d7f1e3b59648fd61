/* skynet_malloc.h: the allocator every part of the runtime uses, and the count of
 * C memory per service behind skynet.memory.
 *
 * Each block from skynet_malloc/calloc/realloc/strdup carries a 16-byte header
 * (requested size, owning handle), so memory freed by another service (a message
 * freed by its receiver) is taken off the service that allocated it. Never mix
 * families: a skynet_malloc block goes to skynet_free, a malloc block to free.
 * Lua states use the raw allocator (snlua counts their bytes itself). */
#ifndef SKYNET_MALLOC_H
#define SKYNET_MALLOC_H

#include <stddef.h>
#include <stdint.h>

/* The service the calling thread works for (0: none); the server sets it
 * around each message and each service's init. */
extern __thread uint32_t malloc_current_handle __attribute__((tls_model("initial-exec")));

void *skynet_malloc(size_t sz);
void *skynet_calloc(size_t nmemb, size_t size);
void *skynet_realloc(void *ptr, size_t size);
void skynet_free(void *ptr);
char *skynet_strdup(const char *str);

/* Every thread calls this first: binds the allocator's per-thread state while
 * memory is plentiful (jemalloc crashes binding it when memory has run out). */
void skynet_malloc_thread_init(void);
/* A service's counters start from zero (its slot may have belonged to an
 * earlier service). */
void skynet_malloc_bind(uint32_t handle);

/* Counted C memory (skynet_malloc blocks), process-wide and per service. */
size_t malloc_used_memory(void);
size_t malloc_memory_block(void);
size_t malloc_current_memory(void);
/* Calls f(handle, bytes, ud) for each service with counted memory. */
void malloc_each_service(void (*f)(uint32_t handle, int64_t bytes, void *ud), void *ud);

/* Allocator statistics (bytes). Returns 0 when unavailable. */
size_t malloc_allocated(void);
size_t malloc_resident(void);
/* jemalloc's mallctl, read as a size_t (0 on error; *ok tells). */
size_t malloc_ctl_read(const char *name, int *ok);
/* jemalloc's mallctl with no value (e.g. "prof.dump"); 0 on success. */
int malloc_ctl_command(const char *name);
/* Reads and optionally sets a bool mallctl; -1 on error. */
int malloc_ctl_bool(const char *name, const int *newval);
/* jemalloc's statistics report to stderr (opts as malloc_stats_print). */
void malloc_dump_stats(const char *opts);

#endif
