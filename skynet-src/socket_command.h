/* socket_command.h: requests from other threads to the socket thread.
 *
 * Any thread may post a request; only the socket thread reads them. Requests go
 * through a pipe, one write() each and never more than PIPE_BUF bytes, so the
 * kernel keeps concurrent writers from interleaving. Only the bytes a request
 * uses are written (a host name is the variable tail). The read end is
 * non-blocking and drained in large chunks into a local buffer. */
#ifndef SKYNET_SOCKET_COMMAND_H
#define SKYNET_SOCKET_COMMAND_H

#include "socket_buffer.h"

#include <stddef.h>
#include <stdint.h>

enum sc_type {
	SC_START = 'S',          /* id opaque: start reading / take ownership */
	SC_PAUSE = 'P',          /* id: stop reading */
	SC_CLOSE = 'K',          /* id opaque: close after pending output */
	SC_SHUTDOWN = 'H',       /* id: half close after pending output */
	SC_SEND = 'D',           /* id buffer sz: high priority */
	SC_SEND_LOW = 'L',       /* id buffer sz: low priority */
	SC_SEND_UDP = 'A',       /* id buffer sz address */
	SC_DIRECT = 'W',         /* id: a worker left a partial direct write */
	SC_CONNECT = 'O',        /* id opaque port host */
	SC_LISTEN = 'I',         /* id opaque fd: a bound, listening fd */
	SC_BIND = 'B',           /* id opaque fd: adopt an existing fd */
	SC_NODELAY = 'T',        /* id */
	SC_KEEPALIVE = 'Y',      /* id opaque = seconds a silent peer is given */
	SC_UDP = 'U',            /* id opaque fd protocol */
	SC_UDP_CONNECT = 'C',    /* id address */
	SC_LIMIT = 'M',          /* id opaque = write limit in bytes */
	SC_OVERFLOW = 'F',       /* id: a sender found the write limit passed */
	SC_EXIT = 'X',
};

#define SC_HOST_MAX 256

struct sc_request {
	uint16_t len;     /* bytes used, filled by sc_post */
	uint8_t type;
	int id;
	int fd;
	int port;
	int sz;
	uintptr_t opaque;
	void *buffer;
	uint8_t address[UDP_ADDRESS_SIZE];
	char host[SC_HOST_MAX]; /* must stay last: only its used part is sent */
};

struct sc_pipe {
	int rfd;
	int wfd;
	size_t start;
	size_t end;
	char buf[16384];
};

/* Returns 0, or -1 (errno set) when the pipe cannot be created. */
int sc_open(struct sc_pipe *p);
void sc_close(struct sc_pipe *p);
/* Any thread. Returns 0, or -1 if the write failed (the request was not posted). */
int sc_post(struct sc_pipe *p, struct sc_request *req);
/* Socket thread. Returns 1 and fills *req if a whole request is available, 0 if
 * the pipe is drained. */
int sc_next(struct sc_pipe *p, struct sc_request *req);

#endif
