/* lua-socket.c: the Lua module skynet.socketdriver, the C side of skynet.socket.
 *
 * Socket requests (all asynchronous; results arrive as PTYPE_SOCKET messages for
 * the calling service, see unpack):
 *   connect(host, port) / connect("host:port" | "[v6]:port") -> id   error if refused at once
 *   listen(host, port [, backlog]) -> id   error if the address cannot be bound; listening
 *       starts with start(id), whose "connect" message has ud = the bound port
 *   bind(fd) -> id            adopt an existing fd (e.g. 0 for stdin); reading starts at once
 *   start(id)                 start reading / accepting; makes the caller the owner; always
 *                             answered by a "connect" message (or "error" for a dead id)
 *   pause(id)                 stop reading (the kernel buffer then pushes back on the peer)
 *   close(id)                 close after pending output; answered by one "close" message
 *                             unless the socket already reported close or error
 *   shutdown(id)              half close: FIN after pending output, reading goes on
 *   nodelay(id), keepalive(id, seconds)
 *   send(id, data [, sz]) -> boolean       high priority
 *   lsend(id, data [, sz]) -> boolean      low priority (sent when no high data waits)
 *       data: a string, a table (array) of strings sent as one piece, or a
 *       lightuserdata + sz whose ownership passes to the socket layer.
 *       false means the id is not a live socket, or the data would pass its
 *       write limit (the data is dropped and the socket closed).
 *   udp([host [, port]]) -> id             a UDP socket, bound if host is given
 *   udp_connect(id, host, port)            default destination; error if unresolvable
 *   udp_send(id, address, data [, sz]) -> boolean   address: binary string from unpack
 *   udp_address(address) -> ip, port
 *   udp_listen(host, port) / udp_listen("host:port") -> id   a bound UDP socket
 *   udp_dial(host, port) / udp_dial("host:port") -> id       a UDP socket connected
 *       to the peer (send() and udp_send without address go there); IPv4 or IPv6
 *   resolve(host) -> { "ip", ... }           getaddrinfo; error with its reason
 *   write_limit(id, bytes)      unsent bytes allowed before the socket is closed with
 *                               ERR "write buffer overflow" (0 = unlimited; the node
 *                               default is the config key socket_write_limit)
 *   queued(handle) -> n         messages waiting at a service (gate back-pressure)
 *   info() -> { {id, address (owner), type, read, write, wbuffer, rtime, wtime,
 *       reading, writing, nodelay (TCP), peer} | {id, address, type = "LISTEN", accept, rtime,
 *       sock}, ... }   every socket of the node (skynet's netstat fields; a UDP
 *       socket has sock = its own address instead of peer);
 *       type: "LISTEN", "TCP", "UDP", "BIND", "CLOSING"
 *
 * Messages:
 *   unpack(msg, sz) -> type, id, ud, payload [, address]
 *       type: 1 data, 2 connect, 3 close, 4 accept, 5 error, 6 udp, 7 warning.
 *       data: ud = size, payload = lightuserdata the caller now owns (drop() it, or
 *         push() it into a buffer). udp: the same plus the binary sender address.
 *       accept: id = listener, ud = new id, payload = "ip:port".
 *       connect / error: payload = address or reason text. warning: ud = unsent KiB
 *         (0 when drained again).
 *
 * Read buffers (what skynet.socket keeps per socket):
 *   buffer() -> userdata        an empty read buffer
 *   push(buffer, pool, msg, sz) -> size     append a data message (ownership taken)
 *   pop(buffer, pool, n) -> string | nil, left   exactly n bytes (nil if fewer are
 *                                buffered) and the bytes left in the buffer
 *   clear(buffer, pool)          drop everything buffered (buffer may be nil)
 *   readall(buffer, pool) -> string         everything (may be "")
 *   readline(buffer, pool, sep) -> string | nil   up to sep, sep consumed, not returned
 *   readline(buffer, nil, sep) -> boolean   only tells whether sep is buffered
 *   pool: a plain table the caller keeps (one per service) for as long as any
 *   buffer is in use; its nodes live in userdata blocks whose __gc frees any
 *   messages still held. A buffer needs no closing: drop it and its pool.
 *
 * Helpers:
 *   drop(msg, sz)                free a message buffer
 *   str2p(string) -> lightuserdata, sz   a skynet_malloc'ed copy
 *   header(string) -> integer    1 to 4 bytes, big-endian
 */
#include "skynet.h"
#include "skynet_socket.h"
#include "socket_server.h"

#include <lua.h>
#include <lauxlib.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POOL_META "skynet.socketdriver.pool"
#define POOL_BLOCK_MIN 16
#define POOL_BLOCK_MAX 4096

struct buffer_node {
	char *msg;
	int sz;
	struct buffer_node *next;
};

struct socket_buffer {
	int size;     /* unread bytes */
	int offset;   /* read position inside head */
	struct buffer_node *head;
	struct buffer_node *tail;
};

/* ---- pool ---- */

static int
pool_gc(lua_State *L) {
	struct buffer_node *nodes = lua_touserdata(L, 1);
	size_t n = lua_rawlen(L, 1) / sizeof(struct buffer_node);
	for (size_t i = 0; i < n; i++) {
		skynet_free(nodes[i].msg);
		nodes[i].msg = NULL;
	}
	return 0;
}

/* pool[1] is the free list head (lightuserdata); pool[2..] are node blocks. */
static struct buffer_node *
pool_get(lua_State *L, int pool) {
	lua_rawgeti(L, pool, 1);
	struct buffer_node *free_node = lua_touserdata(L, -1);
	lua_pop(L, 1);
	if (free_node == NULL) {
		size_t blocks = lua_rawlen(L, pool);
		size_t n = POOL_BLOCK_MIN;
		for (size_t i = 1; i < blocks && n < POOL_BLOCK_MAX; i++)
			n *= 2;
		struct buffer_node *block = lua_newuserdatauv(L, n * sizeof(*block), 0);
		for (size_t i = 0; i < n; i++) {
			block[i].msg = NULL;
			block[i].sz = 0;
			block[i].next = i + 1 < n ? &block[i + 1] : NULL;
		}
		if (luaL_newmetatable(L, POOL_META)) {
			lua_pushcfunction(L, pool_gc);
			lua_setfield(L, -2, "__gc");
		}
		lua_setmetatable(L, -2);
		lua_rawseti(L, pool, (lua_Integer)(blocks < 1 ? 2 : blocks + 1));
		free_node = block;
	}
	lua_pushlightuserdata(L, free_node->next);
	lua_rawseti(L, pool, 1);
	free_node->next = NULL;
	return free_node;
}

static void
pool_put(lua_State *L, int pool, struct buffer_node *node) {
	skynet_free(node->msg);
	node->msg = NULL;
	node->sz = 0;
	lua_rawgeti(L, pool, 1);
	node->next = lua_touserdata(L, -1);
	lua_pop(L, 1);
	lua_pushlightuserdata(L, node);
	lua_rawseti(L, pool, 1);
}

/* ---- buffer ---- */

static struct socket_buffer *
check_buffer(lua_State *L, int index) {
	struct socket_buffer *sb = lua_touserdata(L, index);
	if (sb == NULL || lua_islightuserdata(L, index) || lua_rawlen(L, index) != sizeof(*sb))
		luaL_argerror(L, index, "socket buffer expected");
	return sb;
}

static int
lbuffer(lua_State *L) {
	struct socket_buffer *sb = lua_newuserdatauv(L, sizeof(*sb), 0);
	memset(sb, 0, sizeof(*sb));
	return 1;
}

static int
lpush(lua_State *L) {
	void *msg = lua_touserdata(L, 3);
	int sz = (int)luaL_checkinteger(L, 4);
	if (lua_type(L, 1) != LUA_TUSERDATA || lua_type(L, 2) != LUA_TTABLE) {
		skynet_free(msg);
		return luaL_error(L, "socketdriver.push(buffer, pool, msg, sz): bad buffer or pool");
	}
	struct socket_buffer *sb = check_buffer(L, 1);
	if (msg == NULL || sz <= 0) {
		skynet_free(msg);
		lua_pushinteger(L, sb->size);
		return 1;
	}
	struct buffer_node *node = pool_get(L, 2);
	node->msg = msg;
	node->sz = sz;
	if (sb->tail)
		sb->tail->next = node;
	else
		sb->head = node;
	sb->tail = node;
	sb->size += sz;
	lua_pushinteger(L, sb->size);
	return 1;
}

/* Pushes the first n bytes as a string and consumes n + skip bytes. */
static void
take(lua_State *L, struct socket_buffer *sb, int pool, int n, int skip) {
	struct buffer_node *h = sb->head;
	if (n == 0) {
		lua_pushliteral(L, "");
	} else if (h->sz - sb->offset >= n) {
		lua_pushlstring(L, h->msg + sb->offset, n);
	} else {
		luaL_Buffer b;
		char *out = luaL_buffinitsize(L, &b, n);
		int got = 0, off = sb->offset;
		for (struct buffer_node *p = h; got < n; p = p->next, off = 0) {
			int part = p->sz - off;
			if (part > n - got)
				part = n - got;
			memcpy(out + got, p->msg + off, part);
			got += part;
		}
		luaL_pushresultsize(&b, n);
	}
	int left = n + skip;
	sb->size -= left;
	while (left > 0) {
		struct buffer_node *p = sb->head;
		int part = p->sz - sb->offset;
		if (part > left) {
			sb->offset += left;
			break;
		}
		left -= part;
		sb->head = p->next;
		if (sb->head == NULL)
			sb->tail = NULL;
		sb->offset = 0;
		pool_put(L, pool, p);
	}
}

static int
lpop(lua_State *L) {
	struct socket_buffer *sb = check_buffer(L, 1);
	luaL_checktype(L, 2, LUA_TTABLE);
	lua_Integer n = luaL_checkinteger(L, 3);
	if (n < 0 || n > sb->size)
		lua_pushnil(L);
	else
		take(L, sb, 2, (int)n, 0);
	lua_pushinteger(L, sb->size);
	return 2;
}

static int
lclear(lua_State *L) {
	if (lua_isnoneornil(L, 1))
		return 0;
	struct socket_buffer *sb = check_buffer(L, 1);
	luaL_checktype(L, 2, LUA_TTABLE);
	while (sb->head) {
		struct buffer_node *p = sb->head;
		sb->head = p->next;
		pool_put(L, 2, p);
	}
	sb->tail = NULL;
	sb->size = sb->offset = 0;
	return 0;
}

static int
lreadall(lua_State *L) {
	struct socket_buffer *sb = check_buffer(L, 1);
	luaL_checktype(L, 2, LUA_TTABLE);
	take(L, sb, 2, sb->size, 0);
	return 1;
}

/* Byte offset of the first sep in the buffer, or -1. */
static int
find_sep(struct socket_buffer *sb, const char *sep, size_t seplen) {
	int pos = 0;
	int off = sb->offset;
	for (struct buffer_node *p = sb->head; p; p = p->next, off = 0) {
		for (int i = off; i < p->sz; i++, pos++) {
			if (p->msg[i] != sep[0])
				continue;
			/* Compare the rest, possibly across node boundaries. */
			struct buffer_node *q = p;
			int j = i;
			size_t k = 0;
			while (k < seplen && q) {
				if (j >= q->sz) {
					q = q->next;
					j = 0;
					continue;
				}
				if (q->msg[j] != sep[k])
					break;
				j++;
				k++;
			}
			if (k == seplen)
				return pos;
		}
	}
	return -1;
}

static int
lreadline(lua_State *L) {
	struct socket_buffer *sb = check_buffer(L, 1);
	int check_only = lua_isnoneornil(L, 2);
	if (!check_only)
		luaL_checktype(L, 2, LUA_TTABLE);
	size_t seplen;
	const char *sep = luaL_optlstring(L, 3, "\n", &seplen);
	if (seplen == 0)
		return luaL_argerror(L, 3, "empty separator");
	int pos = find_sep(sb, sep, seplen);
	if (check_only) {
		lua_pushboolean(L, pos >= 0);
		return 1;
	}
	if (pos < 0) {
		lua_pushnil(L);
		return 1;
	}
	take(L, sb, 2, pos, (int)seplen);
	return 1;
}

/* ---- messages and helpers ---- */

static int
ldrop(lua_State *L) {
	void *msg = lua_touserdata(L, 1);
	luaL_checkinteger(L, 2);
	skynet_free(msg);
	return 0;
}

static int
lstr2p(lua_State *L) {
	size_t sz;
	const char *s = luaL_checklstring(L, 1, &sz);
	void *p = skynet_malloc(sz > 0 ? sz : 1);
	memcpy(p, s, sz);
	lua_pushlightuserdata(L, p);
	lua_pushinteger(L, (lua_Integer)sz);
	return 2;
}

static int
lheader(lua_State *L) {
	size_t sz;
	const unsigned char *s = (const unsigned char *)luaL_checklstring(L, 1, &sz);
	if (sz < 1 || sz > 4)
		return luaL_error(L, "socketdriver.header: 1 to 4 bytes expected, got %d", (int)sz);
	lua_Integer v = 0;
	for (size_t i = 0; i < sz; i++)
		v = (v << 8) | s[i];
	lua_pushinteger(L, v);
	return 1;
}

static int
lunpack(lua_State *L) {
	struct skynet_socket_message *m = lua_touserdata(L, 1);
	lua_Integer sz = luaL_checkinteger(L, 2);
	if (m == NULL || sz < (lua_Integer)sizeof(*m))
		return luaL_error(L, "socketdriver.unpack: not a socket message");
	lua_pushinteger(L, m->type);
	lua_pushinteger(L, m->id);
	lua_pushinteger(L, m->ud);
	if (m->buffer == NULL)
		lua_pushlstring(L, (const char *)(m + 1), sz - sizeof(*m));
	else
		lua_pushlightuserdata(L, m->buffer);
	if (m->type == SKYNET_SOCKET_TYPE_UDP) {
		int addrsz = 0;
		const char *addr = skynet_socket_udp_address(m, &addrsz);
		if (addr) {
			lua_pushlstring(L, addr, addrsz);
			return 5;
		}
	}
	return 4;
}

/* ---- requests ---- */

static struct skynet_context *
getctx(lua_State *L) {
	struct skynet_context *ctx = lua_touserdata(L, lua_upvalueindex(1));
	if (ctx == NULL)
		luaL_error(L, "socketdriver: no skynet context (not running inside snlua?)");
	return ctx;
}

/* Splits "host:port" / "[v6]:port" into buf; returns the host. */
static const char *
split_address(lua_State *L, const char *addr, char *buf, size_t bufsz, int *port) {
	const char *colon;
	const char *host = addr;
	size_t hostlen;
	if (addr[0] == '[') {
		const char *end = strchr(addr, ']');
		if (end == NULL || end[1] != ':')
			luaL_error(L, "invalid address %s", addr);
		host = addr + 1;
		hostlen = end - host;
		colon = end + 1;
	} else {
		colon = strrchr(addr, ':');
		if (colon == NULL)
			luaL_error(L, "invalid address %s (host:port expected)", addr);
		hostlen = colon - addr;
	}
	if (hostlen >= bufsz)
		luaL_error(L, "address too long");
	memcpy(buf, host, hostlen);
	buf[hostlen] = '\0';
	*port = atoi(colon + 1);
	return buf;
}

static int
lconnect(lua_State *L) {
	const char *addr = luaL_checkstring(L, 1);
	int port;
	char tmp[256];
	const char *host = addr;
	if (lua_isnoneornil(L, 2))
		host = split_address(L, addr, tmp, sizeof(tmp), &port);
	else
		port = (int)luaL_checkinteger(L, 2);
	int id = skynet_socket_connect(getctx(L), host, port);
	if (id < 0)
		return luaL_error(L, "connect to %s:%d failed", host, port);
	lua_pushinteger(L, id);
	return 1;
}

static int
llisten(lua_State *L) {
	const char *host = luaL_optstring(L, 1, "0.0.0.0");
	int port = (int)luaL_checkinteger(L, 2);
	int backlog = (int)luaL_optinteger(L, 3, 0); /* 0: the system's somaxconn */
	int id = skynet_socket_listen(getctx(L), host, port, backlog);
	if (id < 0)
		return luaL_error(L, "listen on %s:%d failed", host, port);
	lua_pushinteger(L, id);
	return 1;
}

static int
lbind(lua_State *L) {
	int id = skynet_socket_bind(getctx(L), (int)luaL_checkinteger(L, 1));
	if (id < 0)
		return luaL_error(L, "bind failed");
	lua_pushinteger(L, id);
	return 1;
}

#define ID_REQUEST(name, call) \
	static int name(lua_State *L) { \
		call(getctx(L), (int)luaL_checkinteger(L, 1)); \
		return 0; \
	}
ID_REQUEST(lclose, skynet_socket_close)
ID_REQUEST(lshutdown, skynet_socket_shutdown)
ID_REQUEST(lstart, skynet_socket_start)
ID_REQUEST(lpause, skynet_socket_pause)
ID_REQUEST(lnodelay, skynet_socket_nodelay)

/* keepalive(id, seconds): beyond skynet, a peer silent that long is given up. */
static int
lkeepalive(lua_State *L) {
	int id = (int)luaL_checkinteger(L, 1);
	lua_Integer seconds = luaL_checkinteger(L, 2);
	luaL_argcheck(L, seconds >= 0 && seconds <= 86400, 2, "seconds out of range (0..86400)");
	skynet_socket_keepalive(getctx(L), id, (int)seconds);
	return 0;
}

/* A skynet_malloc'ed copy of the data at index (or the pointer itself, whose
 * ownership the caller gives up). */
static void *
get_buffer(lua_State *L, int index, int *sz) {
	switch (lua_type(L, index)) {
	case LUA_TLIGHTUSERDATA: {
		void *p = lua_touserdata(L, index);
		lua_Integer n = luaL_checkinteger(L, index + 1);
		if (n < 0 || n > 0x7fffffff) {
			skynet_free(p);
			luaL_error(L, "invalid size %d", (int)n);
		}
		*sz = (int)n;
		return p;
	}
	case LUA_TSTRING: {
		size_t n;
		const char *s = lua_tolstring(L, index, &n);
		void *p = skynet_malloc(n > 0 ? n : 1);
		memcpy(p, s, n);
		*sz = (int)n;
		return p;
	}
	case LUA_TTABLE: {
		lua_Integer len = luaL_len(L, index);
		size_t total = 0;
		for (lua_Integer i = 1; i <= len; i++) {
			size_t n;
			lua_rawgeti(L, index, i);
			if (lua_type(L, -1) != LUA_TSTRING)
				luaL_error(L, "send: item %d of the table is not a string", (int)i);
			lua_tolstring(L, -1, &n);
			total += n;
			lua_pop(L, 1);
		}
		char *p = skynet_malloc(total > 0 ? total : 1);
		size_t off = 0;
		for (lua_Integer i = 1; i <= len; i++) {
			size_t n;
			lua_rawgeti(L, index, i);
			const char *s = lua_tolstring(L, -1, &n);
			memcpy(p + off, s, n);
			off += n;
			lua_pop(L, 1);
		}
		*sz = (int)total;
		return p;
	}
	default:
		luaL_argerror(L, index, "string, table of strings or lightuserdata expected");
		return NULL;
	}
}

static int
send_with(lua_State *L, int low) {
	struct skynet_context *ctx = getctx(L);
	int id = (int)luaL_checkinteger(L, 1);
	int sz;
	void *buf = get_buffer(L, 2, &sz);
	int err = low ? skynet_socket_send_lowpriority(ctx, id, buf, sz)
		: skynet_socket_send(ctx, id, buf, sz);
	lua_pushboolean(L, err == 0);
	return 1;
}

static int
lsend(lua_State *L) {
	return send_with(L, 0);
}

static int
lsendlow(lua_State *L) {
	return send_with(L, 1);
}

/* host, port from (addr, port) or ("host:port" | "[v6]:port", nil). */
static const char *
host_port(lua_State *L, int index, char *buf, size_t bufsz, int *port) {
	const char *addr = luaL_checkstring(L, index);
	if (lua_isnoneornil(L, index + 1) && strchr(addr, ':'))
		return split_address(L, addr, buf, bufsz, port);
	*port = (int)luaL_optinteger(L, index + 1, 0);
	return addr;
}

static int
ludp(lua_State *L) {
	char tmp[256];
	const char *host = NULL;
	int port = 0;
	if (!lua_isnoneornil(L, 1))
		host = host_port(L, 1, tmp, sizeof(tmp), &port);
	int id = skynet_socket_udp(getctx(L), host, port);
	if (id < 0)
		return luaL_error(L, "udp socket on %s:%d failed", host ? host : "*", port);
	lua_pushinteger(L, id);
	return 1;
}

static int
ludp_connect(lua_State *L) {
	int id = (int)luaL_checkinteger(L, 1);
	const char *host = luaL_checkstring(L, 2);
	int port = (int)luaL_checkinteger(L, 3);
	if (skynet_socket_udp_connect(getctx(L), id, host, port) < 0)
		return luaL_error(L, "udp_connect to %s:%d failed", host, port);
	return 0;
}

static int
ludp_send(lua_State *L) {
	struct skynet_context *ctx = getctx(L);
	int id = (int)luaL_checkinteger(L, 1);
	size_t asz;
	const char *address = luaL_checklstring(L, 2, &asz);
	if (!((asz == 7 && address[0] == 1) || (asz == 19 && address[0] == 2)))
		return luaL_argerror(L, 2, "binary udp address expected (from unpack)");
	int sz;
	void *buf = get_buffer(L, 3, &sz);
	/* skynet_socket_udp_send copies, so the buffer stays ours either way. */
	int err = skynet_socket_udp_send(ctx, id, address, buf, sz);
	skynet_free(buf);
	lua_pushboolean(L, err == 0);
	return 1;
}

static int
ludp_address(lua_State *L) {
	size_t sz;
	const unsigned char *a = (const unsigned char *)luaL_checklstring(L, 1, &sz);
	int family;
	if (sz == 7 && a[0] == 1)
		family = AF_INET;
	else if (sz == 19 && a[0] == 2)
		family = AF_INET6;
	else
		return luaL_error(L, "invalid udp address");
	char ip[INET6_ADDRSTRLEN];
	if (inet_ntop(family, a + 3, ip, sizeof(ip)) == NULL)
		return luaL_error(L, "invalid udp address");
	lua_pushstring(L, ip);
	lua_pushinteger(L, a[1] << 8 | a[2]);
	return 2;
}

static int
ludp_listen(lua_State *L) {
	char tmp[256];
	int port;
	const char *host = host_port(L, 1, tmp, sizeof(tmp), &port);
	int id = skynet_socket_udp_listen(getctx(L), host, port);
	if (id < 0)
		return luaL_error(L, "udp listen on %s:%d failed", host, port);
	lua_pushinteger(L, id);
	return 1;
}

static int
ludp_dial(lua_State *L) {
	char tmp[256];
	int port;
	const char *host = host_port(L, 1, tmp, sizeof(tmp), &port);
	int id = skynet_socket_udp_dial(getctx(L), host, port);
	if (id < 0)
		return luaL_error(L, "udp dial %s:%d failed", host, port);
	lua_pushinteger(L, id);
	return 1;
}

static int
lwrite_limit(lua_State *L) {
	int id = (int)luaL_checkinteger(L, 1);
	lua_Integer bytes = luaL_checkinteger(L, 2);
	if (bytes < 0)
		return luaL_argerror(L, 2, "non-negative byte count expected (0 = unlimited)");
	skynet_socket_write_limit(getctx(L), id, (int64_t)bytes);
	return 0;
}

static int
lqueued(lua_State *L) {
	lua_pushinteger(L, skynet_socket_queued((uint32_t)luaL_checkinteger(L, 1)));
	return 1;
}

static int
lresolve(lua_State *L) {
	const char *host = luaL_checkstring(L, 1);
	struct addrinfo hints, *list = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM; /* one entry per address, not per socket type */
	int r = getaddrinfo(host, NULL, &hints, &list);
	if (r != 0)
		return luaL_error(L, "resolve %s: %s", host, gai_strerror(r));
	lua_newtable(L);
	int n = 0;
	for (struct addrinfo *ai = list; ai; ai = ai->ai_next) {
		char ip[INET6_ADDRSTRLEN];
		const void *a = ai->ai_family == AF_INET6
			? (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr
			: (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr;
		if (inet_ntop(ai->ai_family, a, ip, sizeof(ip))) {
			lua_pushstring(L, ip);
			lua_rawseti(L, -2, ++n);
		}
	}
	freeaddrinfo(list);
	return 1;
}

static void
set_int(lua_State *L, const char *k, lua_Integer v) {
	lua_pushinteger(L, v);
	lua_setfield(L, -2, k);
}

static void
push_info(lua_State *L, const struct socket_info *si) {
	static const char *const names[] = { "UNKNOWN", "LISTEN", "TCP", "UDP", "BIND", "CLOSING" };
	lua_createtable(L, 0, 11);
	set_int(L, "id", si->id);
	set_int(L, "address", (lua_Integer)si->opaque);
	int t = si->type >= 0 && si->type <= SOCKET_INFO_CLOSING ? si->type : 0;
	lua_pushstring(L, names[t]);
	lua_setfield(L, -2, "type");
	if (t == SOCKET_INFO_LISTEN) {
		set_int(L, "accept", (lua_Integer)si->read);
		set_int(L, "rtime", (lua_Integer)si->rtime);
		if (si->name[0]) {
			lua_pushstring(L, si->name);
			lua_setfield(L, -2, "sock");
		}
		return;
	}
	set_int(L, "read", (lua_Integer)si->read);
	set_int(L, "write", (lua_Integer)si->write);
	set_int(L, "wbuffer", (lua_Integer)si->wbuffer);
	set_int(L, "rtime", (lua_Integer)si->rtime);
	set_int(L, "wtime", (lua_Integer)si->wtime);
	lua_pushboolean(L, si->reading);
	lua_setfield(L, -2, "reading");
	lua_pushboolean(L, si->writing);
	lua_setfield(L, -2, "writing");
	if (t == SOCKET_INFO_TCP) {
		/* beyond skynet: whether Nagle is off (socket.nodelay, the gate's option) */
		lua_pushboolean(L, si->nodelay);
		lua_setfield(L, -2, "nodelay");
	}
	if (si->name[0]) {
		/* UDP: its own address (beyond skynet, which names none) */
		lua_pushstring(L, si->name);
		lua_setfield(L, -2, t == SOCKET_INFO_UDP ? "sock" : "peer");
	}
}

static int
linfo(lua_State *L) {
	struct socket_info *list = skynet_socket_info();
	lua_newtable(L);
	int n = 0;
	for (struct socket_info *si = list; si; si = si->next) {
		push_info(L, si);
		lua_rawseti(L, -2, ++n);
	}
	socket_info_release(list);
	return 1;
}

LUAMOD_API int
luaopen_skynet_socketdriver(lua_State *L) {
	luaL_checkversion(L);
	luaL_Reg plain[] = {
		{ "buffer", lbuffer },
		{ "push", lpush },
		{ "pop", lpop },
		{ "readall", lreadall },
		{ "readline", lreadline },
		{ "drop", ldrop },
		{ "str2p", lstr2p },
		{ "header", lheader },
		{ "unpack", lunpack },
		{ "udp_address", ludp_address },
		{ "clear", lclear },
		{ "resolve", lresolve },
		{ "info", linfo },
		{ "queued", lqueued },
		{ NULL, NULL },
	};
	luaL_Reg with_ctx[] = {
		{ "connect", lconnect },
		{ "close", lclose },
		{ "shutdown", lshutdown },
		{ "listen", llisten },
		{ "send", lsend },
		{ "lsend", lsendlow },
		{ "bind", lbind },
		{ "start", lstart },
		{ "pause", lpause },
		{ "nodelay", lnodelay },
		{ "keepalive", lkeepalive },
		{ "udp", ludp },
		{ "udp_connect", ludp_connect },
		{ "udp_send", ludp_send },
		{ "udp_listen", ludp_listen },
		{ "udp_dial", ludp_dial },
		{ "write_limit", lwrite_limit },
		{ NULL, NULL },
	};
	luaL_newlib(L, plain);
	lua_getfield(L, LUA_REGISTRYINDEX, "skynet_context");
	luaL_setfuncs(L, with_ctx, 1);
	return 1;
}
