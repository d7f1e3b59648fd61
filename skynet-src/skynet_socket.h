/* skynet_socket.h: the socket layer as services see it.
 *
 * All socket operations are asynchronous requests to the socket thread; results
 * and traffic come back to the owning service (the one that opened/listened/bound
 * the socket, or called skynet_socket_start on it) as PTYPE_SOCKET messages whose
 * payload is a struct skynet_socket_message. */
#ifndef SKYNET_SOCKET_H
#define SKYNET_SOCKET_H

#include <stddef.h>
#include <stdint.h>

struct skynet_context;

#define SKYNET_SOCKET_TYPE_DATA 1
#define SKYNET_SOCKET_TYPE_CONNECT 2
#define SKYNET_SOCKET_TYPE_CLOSE 3
#define SKYNET_SOCKET_TYPE_ACCEPT 4
#define SKYNET_SOCKET_TYPE_ERROR 5
#define SKYNET_SOCKET_TYPE_UDP 6
#define SKYNET_SOCKET_TYPE_WARNING 7

/* DATA: ud = byte count, buffer = the bytes (the receiver owns it).
 * ACCEPT: id = listen socket, ud = new socket id, buffer = NULL; the peer address
 *   text follows the struct inside the same message.
 * CONNECT/ERROR/CLOSE: buffer = NULL, text (address or error) follows the struct.
 * UDP: ud = byte count, buffer = the bytes; the sender address follows them
 *   (see skynet_socket_udp_address).
 * WARNING: ud = unsent kilobytes (0 when the buffer drained again). */
struct skynet_socket_message {
	int type;
	int id;
	int ud;
	char *buffer;
};

/* Creates the socket server; -1 (errno set) if it can't (epoll, pipe). */
/* spin_ns: config idle_spin, how long the socket thread polls after a read. */
int skynet_socket_init(uint64_t spin_ns);
void skynet_socket_exit(void);   /* asks the socket thread to stop */
void skynet_socket_free(void);   /* after the thread joined */
/* One round of the socket thread: forwards what is ready, polls while
 * anyone has read lately, then waits in epoll_wait. 0 when exiting, else 1. */
int skynet_socket_poll(void);
/* An idle worker's turn at the sockets, if no one else is polling: forwards
 * what is ready without blocking; 1 if it forwarded something. */
int skynet_socket_poll_idle(void);
void skynet_socket_updatetime(void);

/* Send takes ownership of buffer (skynet_malloc'ed). Returns 0, or -1 if the socket
 * is invalid (the buffer is freed). */
int skynet_socket_sendbuffer(struct skynet_context *ctx, int id, void *buffer, int sz);
int skynet_socket_send(struct skynet_context *ctx, int id, void *buffer, int sz);
int skynet_socket_send_lowpriority(struct skynet_context *ctx, int id, void *buffer, int sz);
/* Return a socket id, or -1 on immediate failure. */
int skynet_socket_listen(struct skynet_context *ctx, const char *host, int port, int backlog);
int skynet_socket_connect(struct skynet_context *ctx, const char *host, int port);
int skynet_socket_bind(struct skynet_context *ctx, int fd);
void skynet_socket_close(struct skynet_context *ctx, int id);
void skynet_socket_shutdown(struct skynet_context *ctx, int id);
void skynet_socket_start(struct skynet_context *ctx, int id);
void skynet_socket_pause(struct skynet_context *ctx, int id);
void skynet_socket_nodelay(struct skynet_context *ctx, int id);
/* A peer silent for about seconds is given up (keepalive + TCP_USER_TIMEOUT). */
void skynet_socket_keepalive(struct skynet_context *ctx, int id, int seconds);

int skynet_socket_udp(struct skynet_context *ctx, const char *addr, int port);
int skynet_socket_udp_connect(struct skynet_context *ctx, int id, const char *addr, int port);
int skynet_socket_udp_send(struct skynet_context *ctx, int id, const char *address,
	const void *buffer, int sz);
const char *skynet_socket_udp_address(struct skynet_socket_message *, int *addrsz);
int skynet_socket_udp_listen(struct skynet_context *ctx, const char *addr, int port);
int skynet_socket_udp_dial(struct skynet_context *ctx, const char *addr, int port);

/* Every socket of the node (see struct socket_info in socket_server.h); free
 * with socket_info_release. */
struct socket_info;
struct socket_info *skynet_socket_info(void);

/* Unsent bytes allowed on one socket before it is closed (0 = unlimited); the
 * node default is the config key socket_write_limit (64M). */
void skynet_socket_write_limit(struct skynet_context *ctx, int id, int64_t bytes);
/* Messages waiting in a service's queue (0 if it is gone): how a gate sees
 * whether the agent it forwards to keeps up. */
int skynet_socket_queued(uint32_t handle);

#endif
