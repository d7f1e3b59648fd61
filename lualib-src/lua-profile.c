/* lua-profile.c: skynet.profile, coroutine-aware CPU time, and the coroutine
 * resume that snlua needs to know which coroutine is running.
 *
 *   start([co])  starts timing co (default: the running coroutine)
 *   stop([co]) -> seconds (float) of CPU time co ran since its start(); a
 *                 suspended co is not charged for the time it waits
 *   elapsed([co]) -> seconds so far, without stopping
 *   resume(co, ...) / wrap(f): coroutine.resume / coroutine.wrap that stop the
 *   clock of a profiled coroutine while it is suspended, and keep snlua's
 *   "active coroutine" slot up to date (the monitor breaks endless loops there).
 * Time is the thread's CPU time, so a coroutine waiting on a call costs nothing. */
#include <lauxlib.h>
#include <lua.h>

#include <stdatomic.h>
#include <time.h>

#define IDX_START lua_upvalueindex(1)
#define IDX_TOTAL lua_upvalueindex(2)
#define IDX_ACTIVE lua_upvalueindex(3)

/* Coroutines being profiled in this Lua state, so that resume can skip the
 * timing tables entirely in the usual case (nothing profiled). The
 * count lives in a userdata shared by the module's closures. */
#define IDX_COUNT lua_upvalueindex(4)

static int *
profiled_count(lua_State *L) {
	return lua_touserdata(L, IDX_COUNT);
}

static double
thread_time(void) {
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
get_time(lua_State *L, int table, int key) {
	lua_pushvalue(L, key);
	lua_rawget(L, table);
	double t = lua_isnil(L, -1) ? -1.0 : lua_tonumber(L, -1);
	lua_pop(L, 1);
	return t;
}

static void
set_time(lua_State *L, int table, int key, double t, int clear) {
	lua_pushvalue(L, key);
	if (clear)
		lua_pushnil(L);
	else
		lua_pushnumber(L, t);
	lua_rawset(L, table);
}

/* Leaves the coroutine to work on at index 1: the argument, or the caller. */
static lua_State *
target_thread(lua_State *L) {
	if (lua_gettop(L) != 0) {
		lua_settop(L, 1);
		luaL_checktype(L, 1, LUA_TTHREAD);
		return lua_tothread(L, 1);
	}
	lua_pushthread(L);
	return L;
}

static int
lstart(lua_State *L) {
	target_thread(L);
	if (get_time(L, IDX_START, 1) >= 0)
		return luaL_error(L, "Thread %p start profile more than once", lua_topointer(L, 1));
	set_time(L, IDX_TOTAL, 1, 0, 0);
	set_time(L, IDX_START, 1, thread_time(), 0);
	++*profiled_count(L);
	return 0;
}

/* The CPU time of the coroutine at index 1 since its start(), or -1. */
static double
elapsed_time(lua_State *L, lua_State *co) {
	double start = get_time(L, IDX_START, 1);
	if (start < 0)
		return -1;
	double total = get_time(L, IDX_TOTAL, 1);
	/* Only a coroutine running now (itself, or one that resumed it) is still on
	 * the clock; a suspended one was charged up to its yield. */
	lua_Debug ar;
	if (co == L || (lua_status(co) == LUA_OK && lua_getstack(co, 0, &ar)))
		total += thread_time() - start;
	return total;
}

static int
lstop(lua_State *L) {
	lua_State *co = target_thread(L);
	double total = elapsed_time(L, co);
	if (total < 0)
		return luaL_error(L, "Call profile.start() before profile.stop()");
	set_time(L, IDX_START, 1, 0, 1);
	set_time(L, IDX_TOTAL, 1, 0, 1);
	--*profiled_count(L);
	lua_pushnumber(L, total);
	return 1;
}

static int
lelapsed(lua_State *L) {
	lua_State *co = target_thread(L);
	double total = elapsed_time(L, co);
	if (total < 0)
		return luaL_error(L, "Call profile.start() before profile.elapsed()");
	lua_pushnumber(L, total);
	return 1;
}

/* Resumes co with narg values from L's top; returns the number of results moved
 * to L, or -1 with the error value on L's top. */
static int
resume_timed(lua_State *L, lua_State *co, int narg, int co_index) {
	if (!lua_checkstack(co, narg)) {
		lua_pushliteral(L, "too many arguments to resume");
		return -1;
	}
	_Atomic(lua_State *) *active = lua_touserdata(L, IDX_ACTIVE);
	lua_State *prev = NULL;
	if (active) {
		prev = atomic_load_explicit(active, memory_order_relaxed);
		atomic_store_explicit(active, co, memory_order_relaxed);
	}
	if (*profiled_count(L) > 0 && get_time(L, IDX_START, co_index) >= 0)
		set_time(L, IDX_START, co_index, thread_time(), 0);
	lua_xmove(L, co, narg);
	int nres = 0;
	int status = lua_resume(co, L, narg, &nres);
	/* Checked again: profile.start() may have run inside co just now (the
	 * usual case, in a message handler), and what it ran since counts. */
	if (*profiled_count(L) > 0 && get_time(L, IDX_START, co_index) >= 0) {
		double now = thread_time();
		double spent = now - get_time(L, IDX_START, co_index);
		set_time(L, IDX_TOTAL, co_index, get_time(L, IDX_TOTAL, co_index) + spent, 0);
	}
	if (active)
		atomic_store_explicit(active, prev, memory_order_relaxed);
	if (status == LUA_OK || status == LUA_YIELD) {
		if (!lua_checkstack(L, nres + 1)) {
			lua_pop(co, nres);
			lua_pushliteral(L, "too many results to resume");
			return -1;
		}
		lua_xmove(co, L, nres);
		return nres;
	}
	lua_xmove(co, L, 1);
	return -1;
}

static int
lresume(lua_State *L) {
	lua_State *co = lua_tothread(L, 1);
	luaL_argexpected(L, co, 1, "coroutine");
	int r = resume_timed(L, co, lua_gettop(L) - 1, 1);
	if (r < 0) {
		lua_pushboolean(L, 0);
		lua_insert(L, -2);
		return 2;
	}
	lua_pushboolean(L, 1);
	lua_insert(L, -(r + 1));
	return r + 1;
}

static int
lwrap_call(lua_State *L) {
	lua_State *co = lua_tothread(L, lua_upvalueindex(5));
	/* The coroutine sits at the bottom so the timing tables can index it. */
	lua_pushvalue(L, lua_upvalueindex(5));
	lua_insert(L, 1);
	int r = resume_timed(L, co, lua_gettop(L) - 1, 1);
	if (r < 0) {
		int stat = lua_status(co);
		if (stat != LUA_OK && stat != LUA_YIELD) {
			lua_resetthread(co);
			lua_xmove(co, L, 1);
		}
		if (lua_type(L, -1) == LUA_TSTRING) {
			luaL_where(L, 1);
			lua_insert(L, -2);
			lua_concat(L, 2);
		}
		return lua_error(L);
	}
	return r;
}

static int
lwrap(lua_State *L) {
	luaL_checktype(L, 1, LUA_TFUNCTION);
	lua_State *co = lua_newthread(L);
	lua_pushvalue(L, 1);
	lua_xmove(L, co, 1);
	lua_pushvalue(L, IDX_START);
	lua_pushvalue(L, IDX_TOTAL);
	lua_pushvalue(L, IDX_ACTIVE);
	lua_pushvalue(L, IDX_COUNT);
	lua_pushvalue(L, -5);
	lua_pushcclosure(L, lwrap_call, 5);
	return 1;
}

LUAMOD_API int
luaopen_skynet_profile(lua_State *L) {
	luaL_checkversion(L);
	luaL_Reg l[] = {
		{ "start", lstart },
		{ "stop", lstop },
		{ "elapsed", lelapsed },
		{ "resume", lresume },
		{ "wrap", lwrap },
		{ NULL, NULL },
	};
	luaL_newlibtable(L, l);
	/* Weak-keyed tables: a collected coroutine drops its timing. */
	for (int i = 0; i < 2; i++) {
		lua_newtable(L);
		lua_newtable(L);
		lua_pushliteral(L, "k");
		lua_setfield(L, -2, "__mode");
		lua_setmetatable(L, -2);
	}
	lua_getfield(L, LUA_REGISTRYINDEX, "snlua_active");
	int *count = lua_newuserdatauv(L, sizeof(int), 0);
	*count = 0;
	luaL_setfuncs(L, l, 4);
	return 1;
}
