/* socket_server.h: the socket layer as a self-contained data structure.
 *
 * One thread at a time polls (socket_server_poll, socket_server_try_poll): the
 * poller owns the socket table, the epoll set and all socket I/O; callers
 * that take turns serialize themselves (skynet_socket.c holds a lock). Every other function may be called from any thread:
 * it posts a request through the command pipe (send may write directly, see
 * socket_server_send). Events come back to the polling thread as return values
 * with a struct socket_message; the server never calls into the rest of skynet.
 *
 * Ids: an id is an index into a 65,536-slot table plus a rolling counter, so a
 * request for a closed socket never reaches a newer socket in the same slot.
 * Every socket gets exactly one final report, CLOSE or ERR (the one exception:
 * a listening socket reports a failed accept as ERR and keeps listening). */
#ifndef SKYNET_SOCKET_SERVER_H
#define SKYNET_SOCKET_SERVER_H

#include <stdint.h>

#define SOCKET_DATA 0     /* ud = size, data = bytes owned by the receiver */
#define SOCKET_CLOSE 1    /* peer EOF, or a close finished; data = NULL */
#define SOCKET_OPEN 2     /* connect done / start acknowledged; data = text */
#define SOCKET_ACCEPT 3   /* id = listener, ud = new id, data = "ip:port" */
#define SOCKET_ERR 4      /* data = reason text; the socket is gone */
#define SOCKET_EXIT 5     /* socket_server_exit was requested */
#define SOCKET_UDP 6      /* ud = size, data = bytes followed by the sender address */
#define SOCKET_WARNING 7  /* ud = unsent KiB, 0 when drained again */
#define SOCKET_NONE 8     /* socket_server_try_poll: nothing ready */

#define SOCKET_MAX 65536

struct socket_server;

struct socket_message {
	int id;
	uintptr_t opaque; /* the owner given when the socket was opened or started */
	int ud;
	char *data;       /* text results live in the server until the next poll */
};

struct socket_server *socket_server_create(uint64_t time);

/* Callbacks (set before polling starts): log receives one line for the node's
 * log (write-buffer overflow, refused accepts); queued returns how many messages
 * wait at an owner (input throttling). Both run on the polling thread. */
typedef void (*socket_log_fn)(void *ud, const char *text);
typedef int (*socket_queue_fn)(void *ud, uintptr_t opaque);
void socket_server_callbacks(struct socket_server *ss, socket_log_fn log, socket_queue_fn queued,
	void *ud);
/* Defaults for new sockets: unsent bytes allowed before a socket is closed
 * (0 = unlimited), and input bytes queued at the owner before reading pauses
 * (0 = never pause). */
void socket_server_limits(struct socket_server *ss, int64_t write_limit, int64_t input_limit);
/* One socket's write limit (0 = unlimited); any thread, ordered after the
 * socket's open request. */
void socket_server_write_limit(struct socket_server *ss, int id, int64_t bytes);
/* Closes every socket and frees everything; the polling thread must have stopped. */
void socket_server_release(struct socket_server *ss);
void socket_server_updatetime(struct socket_server *ss, uint64_t time);
/* Blocks until there is something to report and returns its type (SOCKET_*), or
 * -1 on a transient error. *more is set to 1 when more events are already waiting. */
int socket_server_poll(struct socket_server *ss, struct socket_message *result, int *more);
/* As socket_server_poll, but returns SOCKET_NONE instead of blocking. */
int socket_server_try_poll(struct socket_server *ss, struct socket_message *result, int *more);
/* Poller, between polls: milliseconds the next wait may sleep (-1: no limit). */
int socket_server_timeout(struct socket_server *ss);
/* One thread, without polling: blocks until an event is ready, a wake-up is
 * posted or timeout_ms passes (the events stay for the next poll). */
void socket_server_wait(struct socket_server *ss, int timeout_ms);

void socket_server_exit(struct socket_server *ss);
/* Any thread: the thread blocked in socket_server_wait returns (or its next
 * wait does, at once). Unlike a request, no other poller can consume it. */
void socket_server_wakeup(struct socket_server *ss);
/* Close once pending output is flushed; the owner gets CLOSE then. */
void socket_server_close(struct socket_server *ss, uintptr_t opaque, int id);
/* Polling thread only (between polls): close at once, dropping pending output and
 * without a report, for a socket whose owner is gone. Posting a request from the
 * polling thread could block on its own full pipe. */
void socket_server_abandon(struct socket_server *ss, int id);
/* Half close: after pending output, shut the write side; reading goes on. */
void socket_server_shutdown(struct socket_server *ss, uintptr_t opaque, int id);
/* Start reading (accepted sockets and listeners start paused); the caller becomes
 * the owner. The owner gets OPEN. */
void socket_server_start(struct socket_server *ss, uintptr_t opaque, int id);
void socket_server_pause(struct socket_server *ss, uintptr_t opaque, int id);
void socket_server_nodelay(struct socket_server *ss, int id);
/* Gives up a TCP peer silent (unacknowledged) for about seconds; 0: system timing. */
void socket_server_keepalive(struct socket_server *ss, int id, int seconds);

/* Sends take ownership of buffer (skynet_malloc'ed). Return 0, or -1 if id is not
 * a live socket or the data would pass its write limit (buffer freed; the
 * socket is then closed, its owner gets ERR). Low priority data goes out only
 * when the high priority list is empty. */
int socket_server_send(struct socket_server *ss, int id, void *buffer, int sz);
int socket_server_send_lowpriority(struct socket_server *ss, int id, void *buffer, int sz);

/* Return a new id, or -1 on immediate failure (bad address, no free slot). A
 * connect failing later is reported as ERR. */
int socket_server_listen(struct socket_server *ss, uintptr_t opaque, const char *addr,
	int port, int backlog);
int socket_server_connect(struct socket_server *ss, uintptr_t opaque, const char *addr, int port);
int socket_server_bind(struct socket_server *ss, uintptr_t opaque, int fd);

/* UDP. addr may be NULL (IPv4, unbound). Datagrams are reported as SOCKET_UDP. */
int socket_server_udp(struct socket_server *ss, uintptr_t opaque, const char *addr, int port);
/* Sets the default destination; 0 or -1 (cannot resolve). */
int socket_server_udp_connect(struct socket_server *ss, int id, const char *addr, int port);
/* address is a binary address as returned by socket_server_udp_address, or NULL for
 * the connected peer. Takes ownership of buffer. */
int socket_server_udp_send(struct socket_server *ss, int id, const uint8_t *address,
	void *buffer, int sz);
/* The sender address of a SOCKET_UDP result (binary, *addrsz bytes), NULL if none. */
const uint8_t *socket_server_udp_address(const struct socket_message *msg, int *addrsz);
/* Binary address -> text ip and port. Returns 0 or -1. */
int socket_server_udp_address_text(const uint8_t *address, int addrsz, char *ip,
	int ipsz, int *port);
/* A UDP socket bound to addr:port (IPv4 or IPv6 by the address). */
int socket_server_udp_listen(struct socket_server *ss, uintptr_t opaque, const char *addr, int port);
/* A UDP socket connected to addr:port: datagrams from elsewhere are filtered by
 * the kernel, and send/udp_send without an address go there. */
int socket_server_udp_dial(struct socket_server *ss, uintptr_t opaque, const char *addr, int port);

/* netstat: a snapshot of every live socket, any thread. */
enum socket_info_type {
	SOCKET_INFO_UNKNOWN = 0,
	SOCKET_INFO_LISTEN,
	SOCKET_INFO_TCP,
	SOCKET_INFO_UDP,
	SOCKET_INFO_BIND,
	SOCKET_INFO_CLOSING,
};

struct socket_info {
	int id;
	int type;            /* SOCKET_INFO_* */
	uintptr_t opaque;    /* the owner */
	uint64_t read;       /* bytes read; a listener: connections accepted */
	uint64_t write;      /* bytes written */
	uint64_t rtime;      /* time of the last read / write (socket_server_updatetime units) */
	uint64_t wtime;
	int64_t wbuffer;     /* bytes waiting to be sent */
	int reading;
	int writing;
	int nodelay;         /* TCP: TCP_NODELAY is set (Nagle off) */
	char name[128];      /* peer "ip:port" (listener: its own address), or "" */
	struct socket_info *next;
};

/* A list in slot order, NULL when there is no socket. Free with socket_info_release. */
struct socket_info *socket_server_info(struct socket_server *ss);
void socket_info_release(struct socket_info *si);

#endif
