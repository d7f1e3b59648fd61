/* lua-debugchannel.c: skynet.debugchannel, a line queue shared by two
 * services for the console's `debug` command. The debugged service blocks in
 * a debug hook (it can't take messages then), so the console hands it the
 * typed lines through this queue instead of through skynet messages.
 *   create() -> channel, handle    (handle: an integer naming the channel)
 *   connect(handle) -> channel     (error if no such channel is alive)
 *   ch:write(line)  ch:read(seconds) -> line | nil (timeout) | false (closed)
 *   ch:close()      ch:closed() -> boolean    ch:peers() -> open ends
 * A channel lives while any end holds it (userdata __gc drops a reference);
 * live channels are kept in a list so a stale handle is refused, not used. */
#include <lauxlib.h>
#include <lua.h>

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHANNEL_META "skynet.debugchannel"

struct line {
	struct line *next;
	size_t sz;
	char text[];
};

struct channel {
	struct channel *next_live;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int ref;
	int closed;
	struct line *head;
	struct line *tail;
};

static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static struct channel *live;

static void
live_remove(struct channel *c) {
	struct channel **p = &live;
	while (*p && *p != c)
		p = &(*p)->next_live;
	if (*p)
		*p = c->next_live;
}

static void
channel_free(struct channel *c) {
	struct line *l = c->head;
	while (l) {
		struct line *next = l->next;
		free(l);
		l = next;
	}
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static struct channel **
check(lua_State *L) {
	struct channel **ud = luaL_checkudata(L, 1, CHANNEL_META);
	if (*ud == NULL)
		luaL_error(L, "debugchannel: released");
	return ud;
}

static void
push_end(lua_State *L, struct channel *c) {
	struct channel **ud = lua_newuserdatauv(L, sizeof(*ud), 0);
	*ud = c;
	luaL_setmetatable(L, CHANNEL_META);
}

static int
lrelease(lua_State *L) {
	struct channel **ud = luaL_checkudata(L, 1, CHANNEL_META);
	struct channel *c = *ud;
	if (c == NULL)
		return 0;
	*ud = NULL;
	pthread_mutex_lock(&live_lock);
	pthread_mutex_lock(&c->lock);
	int left = --c->ref;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	if (left == 0)
		live_remove(c);
	pthread_mutex_unlock(&live_lock);
	if (left == 0)
		channel_free(c);
	return 0;
}

static int
lwrite(lua_State *L) {
	struct channel *c = *check(L);
	size_t sz;
	const char *s = luaL_checklstring(L, 2, &sz);
	struct line *l = malloc(sizeof(*l) + sz);
	if (l == NULL)
		return luaL_error(L, "debugchannel: out of memory");
	l->next = NULL;
	l->sz = sz;
	memcpy(l->text, s, sz);
	pthread_mutex_lock(&c->lock);
	if (c->tail)
		c->tail->next = l;
	else
		c->head = l;
	c->tail = l;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
	return 0;
}

/* Blocks the calling thread (the debugged service stands still anyway). */
static int
lread(lua_State *L) {
	struct channel *c = *check(L);
	lua_Number seconds = luaL_optnumber(L, 2, 0.1);
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	long long ns = until.tv_nsec + (long long)(seconds * 1e9);
	until.tv_sec += (time_t)(ns / 1000000000);
	until.tv_nsec = (long)(ns % 1000000000);
	pthread_mutex_lock(&c->lock);
	while (c->head == NULL && !c->closed && c->ref > 1) {
		if (pthread_cond_timedwait(&c->cond, &c->lock, &until) == ETIMEDOUT)
			break;
	}
	struct line *l = c->head;
	if (l) {
		c->head = l->next;
		if (c->head == NULL)
			c->tail = NULL;
	}
	int gone = c->closed || c->ref <= 1;
	pthread_mutex_unlock(&c->lock);
	if (l == NULL) {
		if (gone)
			lua_pushboolean(L, 0);
		else
			lua_pushnil(L);
		return 1;
	}
	lua_pushlstring(L, l->text, l->sz);
	free(l);
	return 1;
}

static int
lclose(lua_State *L) {
	struct channel *c = *check(L);
	pthread_mutex_lock(&c->lock);
	c->closed = 1;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	return 0;
}

static int
lclosed(lua_State *L) {
	struct channel *c = *check(L);
	pthread_mutex_lock(&c->lock);
	int closed = c->closed;
	pthread_mutex_unlock(&c->lock);
	lua_pushboolean(L, closed);
	return 1;
}

static int
lpeers(lua_State *L) {
	struct channel *c = *check(L);
	pthread_mutex_lock(&c->lock);
	int ref = c->ref;
	pthread_mutex_unlock(&c->lock);
	lua_pushinteger(L, ref);
	return 1;
}

static int
lcreate(lua_State *L) {
	struct channel *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return luaL_error(L, "debugchannel: out of memory");
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	c->ref = 1;
	push_end(L, c);
	pthread_mutex_lock(&live_lock);
	c->next_live = live;
	live = c;
	pthread_mutex_unlock(&live_lock);
	lua_pushinteger(L, (lua_Integer)(uintptr_t)c);
	return 2;
}

static int
lconnect(lua_State *L) {
	uintptr_t want = (uintptr_t)luaL_checkinteger(L, 1);
	pthread_mutex_lock(&live_lock);
	struct channel *c = live;
	while (c && (uintptr_t)c != want)
		c = c->next_live;
	if (c) {
		pthread_mutex_lock(&c->lock);
		c->ref++;
		pthread_mutex_unlock(&c->lock);
	}
	pthread_mutex_unlock(&live_lock);
	if (c == NULL)
		return luaL_error(L, "debugchannel: no channel %I", (lua_Integer)want);
	push_end(L, c);
	return 1;
}

LUAMOD_API int
luaopen_skynet_debugchannel(lua_State *L) {
	luaL_checkversion(L);
	if (luaL_newmetatable(L, CHANNEL_META)) {
		luaL_Reg methods[] = {
			{ "write", lwrite },
			{ "read", lread },
			{ "close", lclose },
			{ "closed", lclosed },
			{ "peers", lpeers },
			{ "release", lrelease },
			{ NULL, NULL },
		};
		luaL_newlib(L, methods);
		lua_setfield(L, -2, "__index");
		lua_pushcfunction(L, lrelease);
		lua_setfield(L, -2, "__gc");
	}
	lua_pop(L, 1);
	luaL_Reg l[] = {
		{ "create", lcreate },
		{ "connect", lconnect },
		{ NULL, NULL },
	};
	luaL_newlib(L, l);
	return 1;
}
