/* gate_address.c: the C gate's peer ip -> connection count table (see
 * gate_address.h). Keys are the ip text of the socket layer's accept report,
 * its ":port" cut off; an entry is freed when its count drops to 0. */
#include "gate_address.h"

#include "skynet.h"

#include <stdint.h>
#include <string.h>

static unsigned
hash_ip(const char *ip, size_t n) {
	unsigned h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)ip[i]) * 16777619u;
	return h;
}

void
gate_address_init(struct gate_address_table *t, int connections) {
	int n = 16;
	while (n < connections)
		n *= 2;
	t->mask = n - 1;
	t->bucket = skynet_malloc(n * sizeof(struct gate_address *));
	memset(t->bucket, 0, n * sizeof(struct gate_address *));
}

struct gate_address *
gate_address_find(struct gate_address_table *t, const char *text, size_t len) {
	size_t n = len;
	for (size_t i = len; i > 0; i--) {
		if (text[i - 1] == ':') {
			n = i - 1; /* cut ":port"; an IPv6 ip keeps its own colons */
			break;
		}
	}
	struct gate_address **head = &t->bucket[hash_ip(text, n) & t->mask];
	for (struct gate_address *a = *head; a; a = a->next)
		if (strlen(a->ip) == n && memcmp(a->ip, text, n) == 0)
			return a;
	struct gate_address *a = skynet_malloc(sizeof(*a) + n + 1);
	memcpy(a->ip, text, n);
	a->ip[n] = '\0';
	a->count = 0;
	a->next = *head;
	*head = a;
	return a;
}

void
gate_address_release(struct gate_address_table *t, struct gate_address *a) {
	if (a == NULL || --a->count > 0)
		return;
	struct gate_address **p = &t->bucket[hash_ip(a->ip, strlen(a->ip)) & t->mask];
	for (; *p; p = &(*p)->next) {
		if (*p == a) {
			*p = a->next;
			skynet_free(a);
			return;
		}
	}
}

void
gate_address_free(struct gate_address_table *t) {
	if (t->bucket == NULL)
		return;
	for (int i = 0; i <= t->mask; i++) {
		struct gate_address *a = t->bucket[i];
		while (a) {
			struct gate_address *next = a->next;
			skynet_free(a);
			a = next;
		}
	}
	skynet_free(t->bucket);
	t->bucket = NULL;
}
