/* socket_internal.h: the socket table and server state shared by socket_server.c
 * (table, requests, event loop) and socket_io.c (reads, writes, accept, connect
 * completion). Not for use outside the socket server. */
#ifndef SKYNET_SOCKET_INTERNAL_H
#define SKYNET_SOCKET_INTERNAL_H

#include "socket_server.h"
#include "socket_buffer.h"
#include "socket_command.h"
#include "socket_poll.h"
#include "atomic.h"
#include "spinlock.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* Slot states. Workers only ever move a slot INVALID -> RESERVE; every other
 * transition happens on the socket thread. */
enum socket_state {
	S_INVALID = 0,
	S_RESERVE,        /* id handed out, open request in flight */
	S_PLISTEN,        /* listening fd, waiting for start */
	S_LISTEN,
	S_CONNECTING,
	S_CONNECTED,
	S_PACCEPT,        /* accepted, waiting for start */
	S_HALFCLOSE_WRITE,/* owner shut down writing: flush, SHUT_WR, keep reading */
	S_HALFCLOSE_READ, /* peer EOF reported: flush, then close silently */
	S_CLOSING,        /* owner closed: flush, then close and report CLOSE */
	S_DYING,          /* being torn down; the slot is not yet free */
};

enum socket_protocol { P_TCP = 0, P_UDP4, P_UDP6 };

#define READ_SIZE_MIN 64
#define READ_SIZE_MAX (1 << 20) /* also bounds what one read adds to an owner's queue */
#define WARN_START (1024 * 1024)
#define MAX_EVENTS 64
#define PENDING_MAX 16
#define TEXT_MAX 128
#define PIPE_KEY UINT64_MAX

struct socket {
	ATOM_INT type;
	ATOM_INT id;
	ATOM_INT sending;   /* posted sends the socket thread has not handled (direct write guard) */
	ATOM_INT wb_empty;  /* both write lists empty: a worker may write directly */
	int fd;
	int protocol;
	bool reading;       /* EPOLLIN wanted by the owner */
	bool writing;       /* EPOLLOUT wanted */
	bool registered;    /* fd is in the epoll set */
	bool held;          /* reading suspended by socket_guard.c (back-off, throttle) */
	bool ep_read;       /* the mask epoll has: reading && !held */
	bool ep_write;
	uint8_t hold_kind;  /* HOLD_* while held */
	bool tight;         /* listener: fds nearly exhausted, probe before accepting */
	_Atomic int64_t write_limit; /* unsent bytes allowed, 0 = unlimited (senders read it) */
	bool reported;      /* CLOSE/ERR already reported */
	bool shut_done;     /* SHUT_WR issued */
	bool bound;         /* adopted with bind (netstat type BIND) */
	uintptr_t opaque;
	struct wb_list high;
	struct wb_list low;
	int64_t wb_size;
	int64_t warn_size;
	int read_size;
	struct spinlock dw_lock;  /* guards fd validity and dw_* against direct writers */
	void *dw_buffer;          /* a worker's partial direct write, owned by the slot */
	int dw_size;
	int dw_offset;
	uint8_t udp_peer[UDP_ADDRESS_SIZE];
	/* netstat counters: written by the socket thread only (dw_written by direct
	 * writers under dw_lock), read by socket_server_info from any thread. For a
	 * listener, stat_read counts accepted connections. */
	_Atomic uint64_t stat_read;
	_Atomic uint64_t stat_write;
	_Atomic uint64_t dw_written;
	_Atomic uint64_t rtime;
	_Atomic uint64_t wtime;
	_Atomic int64_t wb_seen;  /* wb_size as other threads may read it */
	/* socket_guard.c's per-read state, kept away from what senders read */
	uint8_t recent_i;   /* next slot of recent[] */
	int backoff_ms;     /* listener: accept back-off; connection: throttle interval */
	int64_t unchecked;  /* input bytes since the owner's queue was last looked at */
	uint32_t recent[8]; /* sizes of the last data reports, for the throttle estimate */
};

/* Single-writer counters: a relaxed load and store, no locked instruction. */
#define STAT_SET(field, v) atomic_store_explicit(&(field), (v), memory_order_relaxed)
#define STAT_GET(field) atomic_load_explicit(&(field), memory_order_relaxed)
#define STAT_ADD(field, n) STAT_SET(field, STAT_GET(field) + (n))

struct pending_report {
	int type;
	struct socket_message msg;
	char text[TEXT_MAX];
};

struct socket_server {
	uint64_t time;
	int efd;
	int wake_fd;             /* eventfd only socket_server_wait reads: a wake-up no poller can take */
	int64_t write_limit;     /* default for new sockets, 0 = unlimited */
	int64_t input_limit;     /* bytes queued at an owner before reading pauses, 0 = off */
	socket_log_fn log;       /* one line of text for the node's log, or NULL */
	socket_queue_fn queued;  /* messages waiting at an owner, or NULL */
	void *cb_ud;
	struct ss_hold *holds;   /* sockets whose reading is suspended, with deadlines */
	int hold_n;
	int hold_cap;
	int fd_watermark;        /* an accepted fd from here on leaves too few free */
	uint64_t refused;        /* accepts refused (no fd) since the last log line */
	uint64_t refuse_log_ms;  /* when the last such line was logged */
	int refuse_err;
	ATOM_UINT alloc_id;
	bool checkctrl;
	int event_n;
	int event_index;
	struct sp_event events[MAX_EVENTS];
	int pending_head;
	int pending_count;
	struct pending_report pending[PENDING_MAX];
	struct sc_pipe pipe;
	char udpbuf[65536];
	struct socket slot[SOCKET_MAX];
};

enum { HOLD_NONE = 0, HOLD_ACCEPT, HOLD_INPUT };

struct ss_hold {
	int id;
	uint64_t due_ms;
};

static inline struct socket *
ss_slot(struct socket_server *ss, int id) {
	return &ss->slot[(unsigned)id % SOCKET_MAX];
}

/* socket_server.c */
/* The socket behind a request or event id; NULL when stale or closed. */
struct socket *ss_live(struct socket_server *ss, int id);
void ss_emit(struct socket_server *ss, int type, int id, uintptr_t opaque, int ud,
	char *data, const char *text);
int ss_reserve_id(struct socket_server *ss);
struct socket *ss_setup(struct socket_server *ss, int id, int fd, int protocol,
	uintptr_t opaque, int state);
/* Returns false (and reports ERR, closing the socket) if epoll refuses. */
bool ss_set_events(struct socket_server *ss, struct socket *s, bool read, bool write);
void ss_force_close(struct socket_server *ss, struct socket *s);
/* Report the final ERR (unless already reported) and close. */
void ss_fail(struct socket_server *ss, struct socket *s, const char *why);
void ss_addr_text(const struct sockaddr *sa, char *buf, size_t sz, int *port);

/* socket_io.c */
void sio_read(struct socket_server *ss, struct socket *s);
void sio_read_udp(struct socket_server *ss, struct socket *s);
void sio_accept(struct socket_server *ss, struct socket *s);
void sio_connected(struct socket_server *ss, struct socket *s);
/* Move a worker's partial direct write to the head of the high list. */
void sio_absorb_direct(struct socket_server *ss, struct socket *s);
/* Queue output (taking buffer), then try to write it at once. */
void sio_queue(struct socket_server *ss, struct socket *s, bool high, void *buffer,
	int sz, const uint8_t *udp_address);
/* Write what the kernel takes; handles drain, deferred close and half close. */
void sio_flush(struct socket_server *ss, struct socket *s);

/* socket_guard.c: the protections (see its header comment). */
uint64_t sg_now_ms(void);
/* After queueing output: past the write limit the socket is logged, reported
 * (ERR) and closed; returns true then (s is gone). */
bool sg_write_overflow(struct socket_server *ss, struct socket *s);
void sg_overflow(struct socket_server *ss, struct socket *s);
void sg_accept_failed(struct socket_server *ss, struct socket *s, int err);
/* Before accepting: true if the listener is tight on fds and stays held. */
bool sg_accept_tight(struct socket_server *ss, struct socket *s);
/* After accepting fd: resets the back-off; holds the listener when fd is close
 * to the limit (the connection itself is kept). */
void sg_accept_ok(struct socket_server *ss, struct socket *s, int fd);
/* After a data report of n bytes: may hold reading while the owner is behind. */
void sg_input(struct socket_server *ss, struct socket *s, int n);
/* Milliseconds until the next hold ends, -1 if none. */
int sg_timeout(struct socket_server *ss);
/* Ends the holds that are due. */
void sg_release_due(struct socket_server *ss);

#endif
