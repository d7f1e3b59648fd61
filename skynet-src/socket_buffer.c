/* socket_buffer.c: write list nodes and the FIFO operations on them (see
 * socket_buffer.h). */
#include "socket_buffer.h"
#include "skynet_malloc.h"

#include <string.h>

struct write_buffer *
wb_new(void *buffer, size_t sz, const uint8_t *udp_address) {
	struct write_buffer *wb = skynet_malloc(sizeof(*wb));
	if (wb == NULL) {
		skynet_free(buffer);
		return NULL;
	}
	wb->next = NULL;
	wb->buffer = buffer;
	wb->ptr = buffer;
	wb->sz = sz;
	if (udp_address) {
		int n = udp_address_size(udp_address);
		memcpy(wb->udp_address, udp_address, n);
	} else {
		wb->udp_address[0] = 0;
	}
	return wb;
}

void
wb_free(struct write_buffer *wb) {
	skynet_free(wb->buffer);
	skynet_free(wb);
}

void
wb_list_init(struct wb_list *l) {
	l->head = l->tail = NULL;
}

size_t
wb_list_free(struct wb_list *l) {
	size_t dropped = 0;
	struct write_buffer *wb = l->head;
	while (wb) {
		struct write_buffer *next = wb->next;
		dropped += wb->sz;
		wb_free(wb);
		wb = next;
	}
	l->head = l->tail = NULL;
	return dropped;
}

void
wb_list_append(struct wb_list *l, struct write_buffer *wb) {
	wb->next = NULL;
	if (l->tail)
		l->tail->next = wb;
	else
		l->head = wb;
	l->tail = wb;
}

void
wb_list_prepend(struct wb_list *l, struct write_buffer *wb) {
	wb->next = l->head;
	l->head = wb;
	if (l->tail == NULL)
		l->tail = wb;
}

struct write_buffer *
wb_list_pop(struct wb_list *l) {
	struct write_buffer *wb = l->head;
	if (wb) {
		l->head = wb->next;
		if (l->head == NULL)
			l->tail = NULL;
		wb->next = NULL;
	}
	return wb;
}

int
udp_address_size(const uint8_t *addr) {
	switch (addr[0]) {
	case UDP_ADDRESS_V4: return 1 + 2 + 4;
	case UDP_ADDRESS_V6: return 1 + 2 + 16;
	default: return 0;
	}
}
