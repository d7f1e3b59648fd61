/* socket_buffer.h: a socket's pending output.
 *
 * A write list is a FIFO of buffers handed over by senders; each node owns its
 * buffer (skynet_malloc'ed) and remembers how much of it is already written. UDP
 * nodes also carry their destination. The list knows nothing about fds: the socket
 * server writes from the head and calls wb_consume with what the kernel took. */
#ifndef SKYNET_SOCKET_BUFFER_H
#define SKYNET_SOCKET_BUFFER_H

#include <stddef.h>
#include <stdint.h>

/* Binary UDP address: [1 = IPv4 | 2 = IPv6][port, network order, 2 bytes][address]. */
#define UDP_ADDRESS_SIZE 19
#define UDP_ADDRESS_V4 1
#define UDP_ADDRESS_V6 2

struct write_buffer {
	struct write_buffer *next;
	void *buffer;      /* the allocation, freed with the node */
	const char *ptr;   /* first unwritten byte */
	size_t sz;         /* unwritten bytes */
	uint8_t udp_address[UDP_ADDRESS_SIZE];
};

struct wb_list {
	struct write_buffer *head;
	struct write_buffer *tail;
};

/* Takes ownership of buffer. udp_address may be NULL (TCP). NULL on allocation failure
 * (buffer is then freed). */
struct write_buffer *wb_new(void *buffer, size_t sz, const uint8_t *udp_address);
void wb_free(struct write_buffer *wb);

static inline int
wb_list_empty(const struct wb_list *l) {
	return l->head == NULL;
}

void wb_list_init(struct wb_list *l);
/* Frees every node; returns the unwritten byte count that was dropped. */
size_t wb_list_free(struct wb_list *l);
void wb_list_append(struct wb_list *l, struct write_buffer *wb);
void wb_list_prepend(struct wb_list *l, struct write_buffer *wb);
/* Unlinks and returns the head (NULL when empty). */
struct write_buffer *wb_list_pop(struct wb_list *l);

/* Length of a binary UDP address by its tag byte, 0 if the tag is unknown. */
int udp_address_size(const uint8_t *addr);

#endif
