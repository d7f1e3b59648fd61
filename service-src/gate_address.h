/* gate_address.h: the C gate's per-address connection counts: peer ip ->
 * number of its connections open, a chained hash table whose entries exist
 * only while their ip has a connection (the max_per_address option). */
#ifndef GATE_ADDRESS_H
#define GATE_ADDRESS_H

#include <stddef.h>

struct gate_address {
	struct gate_address *next;
	int count;
	char ip[];
};

struct gate_address_table {
	int mask;
	struct gate_address **bucket;
};

/* Sized for about `connections` distinct ips. */
void gate_address_init(struct gate_address_table *t, int connections);
/* The entry for the ip of "ip:port" text (len bytes; created with count 0). */
struct gate_address *gate_address_find(struct gate_address_table *t, const char *text, size_t len);
/* One connection less from a; the entry is freed with its last one (count 0). */
void gate_address_release(struct gate_address_table *t, struct gate_address *a);
void gate_address_free(struct gate_address_table *t);

#endif
