/* lua-clientsocket.c: the `client` Lua module for stand-alone test clients run
 * with a plain lua5.4 (no skynet symbols). It speaks the gate's framing: each
 * packet is a 2-byte big-endian length followed by that many bytes.
 *
 *   client.connect(host, port [, timeout_ms]) -> conn | nil, reason
 *   conn:send(data) -> true | nil, reason     blocks until the packet is out
 *   conn:recv([timeout_ms]) -> packet | nil, "timeout" | nil, "closed" | nil, reason
 *       timeout_ms: 0 polls, negative or absent waits up to 5 s
 *   conn:close()                              also done by the garbage collector
 *   client.sleep(ms)
 *
 * Bytes that arrive beyond the packet being returned stay in the connection's
 * own buffer for the next recv. */
#include <lua.h>
#include <lauxlib.h>

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#define CONN_META "client.conn"
#define PACKET_MAX 65535
#define DEFAULT_TIMEOUT_MS 5000

struct conn {
	int fd;
	size_t len;    /* buffered bytes */
	size_t cap;
	char *buf;
};

static long long
now_ms(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct conn *
check_conn(lua_State *L) {
	struct conn *c = luaL_checkudata(L, 1, CONN_META);
	if (c->fd < 0)
		luaL_error(L, "client: connection is closed");
	return c;
}

static void
conn_release(struct conn *c) {
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = 0;
}

static int
push_failure(lua_State *L, const char *why) {
	lua_pushnil(L);
	lua_pushstring(L, why);
	return 2;
}

/* Connects with a deadline: non-blocking connect, then poll for writability. */
static int
connect_to(const char *host, int port, int timeout_ms, const char **why) {
	char service[16];
	snprintf(service, sizeof(service), "%d", port);
	struct addrinfo hints, *list = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	int gai = getaddrinfo(host, service, &hints, &list);
	if (gai != 0) {
		*why = gai_strerror(gai);
		return -1;
	}
	int fd = -1;
	*why = "no address";
	for (struct addrinfo *ai = list; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			*why = strerror(errno);
			continue;
		}
		int flags = fcntl(fd, F_GETFL, 0);
		fcntl(fd, F_SETFL, flags | O_NONBLOCK);
		int r = connect(fd, ai->ai_addr, ai->ai_addrlen);
		if (r < 0 && errno == EINPROGRESS) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			r = poll(&p, 1, timeout_ms);
			if (r == 1) {
				int err = 0;
				socklen_t len = sizeof(err);
				getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
				r = err ? -1 : 0;
				errno = err;
			} else {
				errno = r == 0 ? ETIMEDOUT : errno;
				r = -1;
			}
		}
		if (r == 0) {
			int one = 1;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			break;
		}
		*why = strerror(errno);
		close(fd);
		fd = -1;
	}
	freeaddrinfo(list);
	return fd;
}

static int
lconnect(lua_State *L) {
	const char *host = luaL_checkstring(L, 1);
	lua_Integer port = luaL_checkinteger(L, 2);
	int timeout = (int)luaL_optinteger(L, 3, DEFAULT_TIMEOUT_MS);
	if (port <= 0 || port > 65535)
		return luaL_error(L, "client.connect: port %d out of range", (int)port);
	struct conn *c = lua_newuserdatauv(L, sizeof(*c), 0);
	c->fd = -1;
	c->len = c->cap = 0;
	c->buf = NULL;
	luaL_setmetatable(L, CONN_META);
	const char *why = NULL;
	c->fd = connect_to(host, (int)port, timeout, &why);
	if (c->fd < 0)
		return push_failure(L, why);
	return 1;
}

/* Writes all of buf, waiting (poll) while the kernel buffer is full. */
static int
write_all(int fd, const char *buf, size_t sz, const char **why) {
	while (sz > 0) {
		ssize_t n = send(fd, buf, sz, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				struct pollfd p = { .fd = fd, .events = POLLOUT };
				if (poll(&p, 1, DEFAULT_TIMEOUT_MS) <= 0) {
					*why = "send timeout";
					return -1;
				}
				continue;
			}
			*why = strerror(errno);
			return -1;
		}
		buf += n;
		sz -= (size_t)n;
	}
	return 0;
}

static int
lsend(lua_State *L) {
	struct conn *c = check_conn(L);
	size_t sz;
	const char *data = luaL_checklstring(L, 2, &sz);
	if (sz > PACKET_MAX)
		return luaL_error(L, "client: packet of %d bytes is over the %d limit", (int)sz, PACKET_MAX);
	char header[2] = { (char)((sz >> 8) & 0xff), (char)(sz & 0xff) };
	const char *why = NULL;
	if (write_all(c->fd, header, 2, &why) < 0 || write_all(c->fd, data, sz, &why) < 0)
		return push_failure(L, why);
	lua_pushboolean(L, 1);
	return 1;
}

/* A complete packet at the front of the buffer: push it and consume it. */
static int
pop_packet(lua_State *L, struct conn *c) {
	if (c->len < 2)
		return 0;
	size_t need = ((size_t)(unsigned char)c->buf[0] << 8) | (unsigned char)c->buf[1];
	if (c->len < need + 2)
		return 0;
	lua_pushlstring(L, c->buf + 2, need);
	memmove(c->buf, c->buf + 2 + need, c->len - 2 - need);
	c->len -= 2 + need;
	return 1;
}

static int
lrecv(lua_State *L) {
	struct conn *c = check_conn(L);
	lua_Integer timeout = luaL_optinteger(L, 2, -1);
	if (timeout < 0)
		timeout = DEFAULT_TIMEOUT_MS;
	long long deadline = now_ms() + timeout;
	for (;;) {
		if (pop_packet(L, c))
			return 1;
		if (c->cap - c->len < 4096) {
			size_t cap = c->cap ? c->cap * 2 : 8192;
			char *nb = realloc(c->buf, cap);
			if (nb == NULL)
				return luaL_error(L, "client: out of memory");
			c->buf = nb;
			c->cap = cap;
		}
		ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (n > 0) {
			c->len += (size_t)n;
			continue;
		}
		if (n == 0)
			return push_failure(L, "closed");
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return push_failure(L, strerror(errno));
		long long left = deadline - now_ms();
		if (left <= 0)
			return push_failure(L, "timeout");
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		poll(&p, 1, (int)left);
	}
}

static int
lclose(lua_State *L) {
	struct conn *c = luaL_checkudata(L, 1, CONN_META);
	conn_release(c);
	return 0;
}

static int
lsleep(lua_State *L) {
	lua_Integer ms = luaL_checkinteger(L, 1);
	if (ms > 0) {
		struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
		}
	}
	return 0;
}

int
luaopen_client(lua_State *L) {
	luaL_checkversion(L);
	luaL_Reg methods[] = {
		{ "send", lsend },
		{ "recv", lrecv },
		{ "close", lclose },
		{ NULL, NULL },
	};
	luaL_newmetatable(L, CONN_META);
	luaL_newlib(L, methods);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, lclose);
	lua_setfield(L, -2, "__gc");
	lua_pushcfunction(L, lclose);
	lua_setfield(L, -2, "__close");
	lua_pop(L, 1);
	luaL_Reg lib[] = {
		{ "connect", lconnect },
		{ "sleep", lsleep },
		{ NULL, NULL },
	};
	luaL_newlib(L, lib);
	return 1;
}
