/* atomic.h: short names over C11 atomics, so the core reads the same everywhere. */
#ifndef SKYNET_ATOMIC_H
#define SKYNET_ATOMIC_H

#include <stdatomic.h>
#include <stdint.h>

#define ATOM_INT  atomic_int
#define ATOM_UINT atomic_uint
#define ATOM_SIZET atomic_size_t
#define ATOM_ULONG atomic_ulong
#define ATOM_INIT(ptr, v) atomic_init(ptr, v)
#define ATOM_LOAD(ptr) atomic_load(ptr)
#define ATOM_STORE(ptr, v) atomic_store(ptr, v)
#define ATOM_CAS(ptr, oval, nval) \
	({ __typeof__(oval) _o = (oval); atomic_compare_exchange_weak(ptr, &_o, nval); })
#define ATOM_FINC(ptr) atomic_fetch_add(ptr, 1)
#define ATOM_FDEC(ptr) atomic_fetch_sub(ptr, 1)
#define ATOM_FADD(ptr, n) atomic_fetch_add(ptr, n)
#define ATOM_FSUB(ptr, n) atomic_fetch_sub(ptr, n)

#endif
