/* skynet_malloc.h: the allocator every part of the runtime uses. jemalloc is linked
 * unprefixed, so these are thin names over the process allocator; keeping the names
 * lets a build swap allocators (the ASan build uses the system one). */
#ifndef SKYNET_MALLOC_H
#define SKYNET_MALLOC_H

#include <stddef.h>

void *skynet_malloc(size_t sz);
void *skynet_calloc(size_t nmemb, size_t size);
void *skynet_realloc(void *ptr, size_t size);
void skynet_free(void *ptr);
char *skynet_strdup(const char *str);

/* Process-wide statistics from the allocator (bytes). Returns 0 when unavailable. */
size_t malloc_allocated(void);
size_t malloc_resident(void);

#endif
