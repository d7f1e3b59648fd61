/* lua-metrics.c: skynet.metrics, read-only figures of the whole node for the
 * debug console's /metrics and dashboard (ours; skynet has no such module):
 *   counters([reset_max]) -> { overload, endless, timer_updates,
 *       timer_late (seconds, sum), timer_late_max (seconds, since the last
 *       reset), retired, retired_cpu (seconds), retired_messages }
 *   services() -> { { handle =, message =, cpu = (seconds), mqlen = }, ... }
 *       for every live service, read from the core without asking them (a
 *       stuck service is listed too)
 *   node() -> { services =, global_mq =, timers = } */
#include "skynet.h"
#include "skynet_handle.h"
#include "skynet_metrics.h"
#include "skynet_mq.h"
#include "skynet_server.h"
#include "skynet_timer.h"

#include <lauxlib.h>
#include <lua.h>

static void
set_number(lua_State *L, const char *key, lua_Number v) {
	lua_pushnumber(L, v);
	lua_setfield(L, -2, key);
}

static void
set_integer(lua_State *L, const char *key, uint64_t v) {
	lua_pushinteger(L, (lua_Integer)v);
	lua_setfield(L, -2, key);
}

static int
lcounters(lua_State *L) {
	struct skynet_metrics m;
	skynet_metrics_read(&m, lua_toboolean(L, 1));
	lua_createtable(L, 0, 8);
	set_integer(L, "overload", m.overload);
	set_integer(L, "endless", m.endless);
	set_integer(L, "timer_updates", m.timer_updates);
	set_number(L, "timer_late", (lua_Number)m.timer_late_ns / 1e9);
	set_number(L, "timer_late_max", (lua_Number)m.timer_late_max_ns / 1e9);
	set_integer(L, "retired", m.retired);
	set_number(L, "retired_cpu", (lua_Number)m.retired_cpu_us / 1e6);
	set_integer(L, "retired_messages", m.retired_messages);
	return 1;
}

static void
push_service(lua_State *L, uint32_t handle, struct skynet_context *ctx) {
	lua_createtable(L, 0, 4);
	set_integer(L, "handle", handle);
	set_integer(L, "message", (uint64_t)skynet_context_message_count(ctx));
	set_number(L, "cpu", (lua_Number)skynet_context_cpu(ctx) / 1e6);
	set_integer(L, "mqlen", (uint64_t)mq_length(skynet_context_queue(ctx)));
}

static int
lservices(lua_State *L) {
	int max = handle_count() + 16;
	uint32_t *list = lua_newuserdatauv(L, sizeof(uint32_t) * (size_t)max, 0);
	int n = handle_list(list, max);
	if (n > max)
		n = max; /* services started meanwhile: the next read lists them */
	lua_createtable(L, n, 0);
	int k = 0;
	for (int i = 0; i < n; i++) {
		struct skynet_context *ctx = handle_grab(list[i]);
		if (ctx == NULL)
			continue; /* exited since the list was taken */
		push_service(L, list[i], ctx);
		skynet_context_release(ctx);
		lua_rawseti(L, -2, ++k);
	}
	return 1;
}

static int
lnode(lua_State *L) {
	lua_createtable(L, 0, 3);
	set_integer(L, "services", (uint64_t)skynet_context_total());
	set_integer(L, "global_mq", (uint64_t)mq_global_length());
	set_integer(L, "timers", (uint64_t)timer_pending());
	return 1;
}

LUAMOD_API int
luaopen_skynet_metrics(lua_State *L) {
	luaL_checkversion(L);
	luaL_Reg l[] = {
		{ "counters", lcounters },
		{ "services", lservices },
		{ "node", lnode },
		{ NULL, NULL },
	};
	luaL_newlib(L, l);
	return 1;
}
