/* lua-netpack.c: the Lua module skynet.netpack, packet framing for gate services.
 *
 * A packet on the wire is a 2-byte big-endian length followed by that many bytes
 * (0 to 65,535; an empty packet is valid). TCP delivers arbitrary pieces, so a
 * queue userdata keeps, per socket, the packet being assembled, and a ring of
 * complete packets when one read carried several.
 *
 *   filter(queue, msg, sz) -> queue [, kind, ...]
 *       msg, sz: a PTYPE_SOCKET message. queue may be nil at first; always keep the
 *       returned queue (it is created or regrown here). kind and its values:
 *         "data", fd, packet, size   exactly one complete packet; the packet
 *                                    (lightuserdata) belongs to the caller
 *         "more"                     several packets queued: pop() them
 *         "open", fd, address        a connection was accepted (fd = new id)
 *         "init", id, text, ud       a connect report: for a new listener text is
 *                                    its ip and ud its port (skynet's gateserver
 *                                    waits for this in open)
 *         "close", fd                peer closed (a partial packet is dropped)
 *         "error", fd, reason        socket error (a partial packet is dropped)
 *         "warning", fd, kib         unsent output passed a threshold (0: drained)
 *       nothing after queue: an incomplete packet, or a message gates ignore
 *       (UDP). The data message's buffer is consumed.
 *   pop(queue) -> fd, packet, size | nothing
 *   pack(string) / pack(ptr, sz) -> ptr, size   a new buffer with the header
 *       prepended (ptr arguments are not freed); error above 65,535 bytes
 *   clear(queue)                 drop every queued and partial packet
 *   tostring(ptr, sz) -> string  copies and frees ptr
 */
#include "skynet.h"
#include "skynet_socket.h"

#include <lua.h>
#include <lauxlib.h>

#include <string.h>

#define QUEUE_META "skynet.netpack.queue"
#define QUEUE_INIT 64
#define HASH_SIZE 64
#define PACKET_MAX 65535

struct netpack {
	int id;
	int size;
	void *buffer;
};

/* A packet being assembled. read < 0: only the first header byte has arrived. */
struct uncomplete {
	struct netpack pack;
	struct uncomplete *next;
	int read;
	int header;
};

struct queue {
	int cap;
	int head;
	int count;
	struct uncomplete *hash[HASH_SIZE];
	struct netpack ring[];
};

static void *
packet_alloc(int size) {
	return skynet_malloc(size > 0 ? size : 1);
}

static void
queue_clear(struct queue *q) {
	for (int i = 0; i < q->count; i++)
		skynet_free(q->ring[(q->head + i) % q->cap].buffer);
	q->head = q->count = 0;
	for (int i = 0; i < HASH_SIZE; i++) {
		struct uncomplete *uc = q->hash[i];
		while (uc) {
			struct uncomplete *next = uc->next;
			skynet_free(uc->pack.buffer);
			skynet_free(uc);
			uc = next;
		}
		q->hash[i] = NULL;
	}
}

static int
lqueue_gc(lua_State *L) {
	struct queue *q = lua_touserdata(L, 1);
	if (q)
		queue_clear(q);
	return 0;
}

static struct queue *
queue_new(lua_State *L, int cap) {
	struct queue *q = lua_newuserdatauv(L, sizeof(struct queue) + cap * sizeof(struct netpack), 0);
	q->cap = cap;
	q->head = q->count = 0;
	for (int i = 0; i < HASH_SIZE; i++)
		q->hash[i] = NULL;
	if (luaL_newmetatable(L, QUEUE_META)) {
		lua_pushcfunction(L, lqueue_gc);
		lua_setfield(L, -2, "__gc");
	}
	lua_setmetatable(L, -2);
	return q;
}

/* The queue at stack index 1, created if absent. */
static struct queue *
get_queue(lua_State *L) {
	struct queue *q = lua_touserdata(L, 1);
	if (q == NULL) {
		q = queue_new(L, QUEUE_INIT);
		lua_replace(L, 1);
	}
	return q;
}

static void
queue_push(lua_State *L, int id, void *buffer, int size) {
	struct queue *q = get_queue(L);
	if (q->count == q->cap) {
		/* Move everything into a larger userdata and leave the old one empty so
		 * its __gc frees nothing. */
		struct queue *nq = queue_new(L, q->cap * 2);
		for (int i = 0; i < q->count; i++)
			nq->ring[i] = q->ring[(q->head + i) % q->cap];
		nq->count = q->count;
		memcpy(nq->hash, q->hash, sizeof(q->hash));
		memset(q->hash, 0, sizeof(q->hash));
		q->head = q->count = 0;
		lua_replace(L, 1);
		q = nq;
	}
	struct netpack *np = &q->ring[(q->head + q->count) % q->cap];
	q->count++;
	np->id = id;
	np->size = size;
	np->buffer = buffer;
}

static struct uncomplete *
take_uncomplete(struct queue *q, int fd) {
	struct uncomplete **p = &q->hash[(unsigned)fd % HASH_SIZE];
	for (; *p; p = &(*p)->next) {
		struct uncomplete *uc = *p;
		if (uc->pack.id == fd) {
			*p = uc->next;
			return uc;
		}
	}
	return NULL;
}

static struct uncomplete *
save_uncomplete(lua_State *L, int fd) {
	struct queue *q = get_queue(L);
	struct uncomplete *uc = skynet_malloc(sizeof(*uc));
	memset(uc, 0, sizeof(*uc));
	uc->pack.id = fd;
	int h = (unsigned)fd % HASH_SIZE;
	uc->next = q->hash[h];
	q->hash[h] = uc;
	return uc;
}

static void
drop_uncomplete(lua_State *L, int fd) {
	struct queue *q = lua_touserdata(L, 1);
	if (q == NULL)
		return;
	struct uncomplete *uc = take_uncomplete(q, fd);
	if (uc) {
		skynet_free(uc->pack.buffer);
		skynet_free(uc);
	}
}

static int
header_size(const uint8_t *p) {
	return p[0] << 8 | p[1];
}

/* Queues every packet in buf (after any earlier ones); the tail becomes an
 * uncomplete packet. */
static void
push_more(lua_State *L, int fd, const uint8_t *buf, int size) {
	while (size > 0) {
		if (size == 1) {
			struct uncomplete *uc = save_uncomplete(L, fd);
			uc->read = -1;
			uc->header = buf[0];
			return;
		}
		int pack_size = header_size(buf);
		buf += 2;
		size -= 2;
		if (size < pack_size) {
			struct uncomplete *uc = save_uncomplete(L, fd);
			uc->pack.size = pack_size;
			uc->pack.buffer = packet_alloc(pack_size);
			uc->read = size;
			memcpy(uc->pack.buffer, buf, size);
			return;
		}
		void *p = packet_alloc(pack_size);
		memcpy(p, buf, pack_size);
		queue_push(L, fd, p, pack_size);
		buf += pack_size;
		size -= pack_size;
	}
}

static int
return_data(lua_State *L, int fd, void *buffer, int size) {
	lua_pushliteral(L, "data");
	lua_pushinteger(L, fd);
	lua_pushlightuserdata(L, buffer);
	lua_pushinteger(L, size);
	return 5;
}

/* Returns the number of results (queue included). */
static int
filter_data(lua_State *L, int fd, const uint8_t *buf, int size) {
	struct queue *q = get_queue(L);
	struct uncomplete *uc = take_uncomplete(q, fd);
	if (uc) {
		if (uc->read < 0) {
			uc->pack.size = uc->header << 8 | buf[0];
			uc->pack.buffer = packet_alloc(uc->pack.size);
			uc->read = 0;
			buf++;
			size--;
		}
		int need = uc->pack.size - uc->read;
		if (size < need) {
			memcpy((char *)uc->pack.buffer + uc->read, buf, size);
			uc->read += size;
			int h = (unsigned)fd % HASH_SIZE;
			uc->next = q->hash[h];
			q->hash[h] = uc;
			return 1;
		}
		memcpy((char *)uc->pack.buffer + uc->read, buf, need);
		buf += need;
		size -= need;
		struct netpack done = uc->pack;
		skynet_free(uc);
		if (size == 0)
			return return_data(L, fd, done.buffer, done.size);
		queue_push(L, fd, done.buffer, done.size);
		push_more(L, fd, buf, size);
		lua_pushliteral(L, "more");
		return 2;
	}
	if (size >= 2) {
		int pack_size = header_size(buf);
		if (size - 2 == pack_size) {
			void *p = packet_alloc(pack_size);
			memcpy(p, buf + 2, pack_size);
			return return_data(L, fd, p, pack_size);
		}
	}
	int before = q->count;
	push_more(L, fd, buf, size);
	q = lua_touserdata(L, 1);
	if (q->count == before)
		return 1;
	if (q->count == before + 1 && before == 0) {
		/* One packet plus a partial one: hand it over directly. */
		struct netpack np = q->ring[q->head];
		q->head = (q->head + 1) % q->cap;
		q->count--;
		return return_data(L, np.id, np.buffer, np.size);
	}
	lua_pushliteral(L, "more");
	return 2;
}

static int
lfilter(lua_State *L) {
	struct skynet_socket_message *m = lua_touserdata(L, 2);
	lua_Integer sz = luaL_checkinteger(L, 3);
	if (!lua_isnoneornil(L, 1) && !luaL_testudata(L, 1, QUEUE_META))
		return luaL_argerror(L, 1, "netpack queue or nil expected");
	lua_settop(L, 1);
	if (m == NULL || sz < (lua_Integer)sizeof(*m))
		return 1;
	const char *text = (const char *)(m + 1);
	size_t tsz = (size_t)sz - sizeof(*m);
	switch (m->type) {
	case SKYNET_SOCKET_TYPE_DATA: {
		int n = 1;
		if (m->buffer && m->ud > 0)
			n = filter_data(L, m->id, (const uint8_t *)m->buffer, m->ud);
		skynet_free(m->buffer);
		m->buffer = NULL; /* consumed: a second filter of the same message is harmless */
		return n;
	}
	case SKYNET_SOCKET_TYPE_CONNECT:
		/* a listen, start or connect report, as skynet's filter gives it */
		lua_pushliteral(L, "init");
		lua_pushinteger(L, m->id);
		lua_pushlstring(L, text, tsz);
		lua_pushinteger(L, m->ud);
		return 5;
	case SKYNET_SOCKET_TYPE_CLOSE:
		drop_uncomplete(L, m->id);
		lua_pushliteral(L, "close");
		lua_pushinteger(L, m->id);
		return 3;
	case SKYNET_SOCKET_TYPE_ACCEPT:
		lua_pushliteral(L, "open");
		lua_pushinteger(L, m->ud);
		lua_pushlstring(L, text, tsz);
		return 4;
	case SKYNET_SOCKET_TYPE_ERROR:
		drop_uncomplete(L, m->id);
		lua_pushliteral(L, "error");
		lua_pushinteger(L, m->id);
		lua_pushlstring(L, text, tsz);
		return 4;
	case SKYNET_SOCKET_TYPE_WARNING:
		lua_pushliteral(L, "warning");
		lua_pushinteger(L, m->id);
		lua_pushinteger(L, m->ud);
		return 4;
	case SKYNET_SOCKET_TYPE_UDP:
		skynet_free(m->buffer);
		m->buffer = NULL;
		return 1;
	default:
		return 1;
	}
}

static int
lpop(lua_State *L) {
	struct queue *q = luaL_testudata(L, 1, QUEUE_META);
	if (q == NULL || q->count == 0)
		return 0;
	struct netpack np = q->ring[q->head];
	q->head = (q->head + 1) % q->cap;
	q->count--;
	lua_pushinteger(L, np.id);
	lua_pushlightuserdata(L, np.buffer);
	lua_pushinteger(L, np.size);
	return 3;
}

static int
lclear(lua_State *L) {
	struct queue *q = luaL_testudata(L, 1, QUEUE_META);
	if (q)
		queue_clear(q);
	return 0;
}

static int
lpack(lua_State *L) {
	const char *src;
	size_t len;
	if (lua_type(L, 1) == LUA_TLIGHTUSERDATA || lua_type(L, 1) == LUA_TUSERDATA) {
		src = lua_touserdata(L, 1);
		lua_Integer n = luaL_checkinteger(L, 2);
		if (n < 0)
			return luaL_error(L, "netpack.pack: negative size");
		len = (size_t)n;
	} else {
		src = luaL_checklstring(L, 1, &len);
	}
	if (len > PACKET_MAX)
		return luaL_error(L, "netpack.pack: packet of %d bytes exceeds %d", (int)len, PACKET_MAX);
	uint8_t *p = skynet_malloc(len + 2);
	p[0] = (uint8_t)(len >> 8);
	p[1] = (uint8_t)len;
	if (len)
		memcpy(p + 2, src, len);
	lua_pushlightuserdata(L, p);
	lua_pushinteger(L, (lua_Integer)(len + 2));
	return 2;
}

static int
ltostring(lua_State *L) {
	void *p = lua_touserdata(L, 1);
	lua_Integer sz = luaL_checkinteger(L, 2);
	if (p == NULL || sz <= 0)
		lua_pushliteral(L, "");
	else
		lua_pushlstring(L, p, (size_t)sz);
	skynet_free(p);
	return 1;
}

LUAMOD_API int
luaopen_skynet_netpack(lua_State *L) {
	luaL_checkversion(L);
	luaL_Reg l[] = {
		{ "filter", lfilter },
		{ "pop", lpop },
		{ "pack", lpack },
		{ "clear", lclear },
		{ "tostring", ltostring },
		{ NULL, NULL },
	};
	luaL_newlib(L, l);
	return 1;
}
