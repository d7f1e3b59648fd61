/* test_netpack.c: skynet.netpack framing and the read buffers of
 * skynet.socketdriver, driven from Lua without a running node. The two modules
 * are compiled into this test directly; the socket requests of socketdriver are
 * stubbed out (they need the socket thread, tested in test_socket.c). */
#include "testlib.h"
#include "skynet_malloc.h"
#include "skynet_socket.h"

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include <string.h>

#include "../../lualib-src/lua-netpack.c"
#undef lpop
#define lpop sd_lpop
#define lpush sd_lpush
#define ltostring sd_ltostring
#define lclear sd_lclear
#include "../../lualib-src/lua-socket.c"

/* Stubs: socket requests are not exercised here. */
int skynet_socket_connect(struct skynet_context *c, const char *h, int p) { (void)c; (void)h; (void)p; return -1; }
int skynet_socket_listen(struct skynet_context *c, const char *h, int p, int b) { (void)c; (void)h; (void)p; (void)b; return -1; }
int skynet_socket_bind(struct skynet_context *c, int fd) { (void)c; (void)fd; return -1; }
void skynet_socket_close(struct skynet_context *c, int id) { (void)c; (void)id; }
void skynet_socket_shutdown(struct skynet_context *c, int id) { (void)c; (void)id; }
void skynet_socket_start(struct skynet_context *c, int id) { (void)c; (void)id; }
void skynet_socket_pause(struct skynet_context *c, int id) { (void)c; (void)id; }
void skynet_socket_nodelay(struct skynet_context *c, int id) { (void)c; (void)id; }
void skynet_socket_keepalive(struct skynet_context *c, int id, int s) { (void)c; (void)id; (void)s; }
int skynet_socket_send(struct skynet_context *c, int id, void *b, int sz) { (void)c; (void)id; (void)sz; skynet_free(b); return -1; }
int skynet_socket_send_lowpriority(struct skynet_context *c, int id, void *b, int sz) { (void)c; (void)id; (void)sz; skynet_free(b); return -1; }
int skynet_socket_udp(struct skynet_context *c, const char *a, int p) { (void)c; (void)a; (void)p; return -1; }
int skynet_socket_udp_connect(struct skynet_context *c, int id, const char *a, int p) { (void)c; (void)id; (void)a; (void)p; return -1; }
int skynet_socket_udp_send(struct skynet_context *c, int id, const char *a, const void *b, int sz) { (void)c; (void)id; (void)a; (void)b; (void)sz; return -1; }
const char *skynet_socket_udp_address(struct skynet_socket_message *m, int *sz) { (void)m; (void)sz; return NULL; }
int skynet_socket_udp_listen(struct skynet_context *c, const char *a, int p) { (void)c; (void)a; (void)p; return -1; }
int skynet_socket_udp_dial(struct skynet_context *c, const char *a, int p) { (void)c; (void)a; (void)p; return -1; }
struct socket_info *skynet_socket_info(void) { return NULL; }
void socket_info_release(struct socket_info *si) { (void)si; }
void skynet_socket_write_limit(struct skynet_context *c, int id, int64_t b) { (void)c; (void)id; (void)b; }
int skynet_socket_queued(uint32_t h) { (void)h; return 0; }

/* mkmsg(type, id, ud, payload) -> msg, sz: a socket message as the socket layer
 * sends it (payload is the data buffer for DATA, trailing text otherwise). */
static int
lmkmsg(lua_State *L) {
	int type = (int)luaL_checkinteger(L, 1);
	size_t len;
	const char *s = luaL_optlstring(L, 4, "", &len);
	size_t sz = sizeof(struct skynet_socket_message);
	if (type != SKYNET_SOCKET_TYPE_DATA)
		sz += len;
	struct skynet_socket_message *m = skynet_malloc(sz + 1);
	m->type = type;
	m->id = (int)luaL_checkinteger(L, 2);
	m->ud = (int)luaL_checkinteger(L, 3);
	m->buffer = NULL;
	if (type == SKYNET_SOCKET_TYPE_DATA) {
		m->buffer = skynet_malloc(len);
		memcpy(m->buffer, s, len);
		m->ud = (int)len;
	} else {
		memcpy(m + 1, s, len);
	}
	lua_pushlightuserdata(L, m);
	lua_pushinteger(L, (lua_Integer)sz);
	return 2;
}

static int
lfree(lua_State *L) {
	skynet_free(lua_touserdata(L, 1));
	return 0;
}

static const char *SCRIPT =
	"local np, sd = ...\n"
	"local DATA, CLOSE, ACCEPT, ERROR, WARNING = 1, 3, 4, 5, 7\n"
	"local q\n"
	"local function filter(type, id, ud, payload)\n"
	"  local m, sz = mkmsg(type, id, ud, payload)\n"
	"  local r = table.pack(np.filter(q, m, sz))\n"
	"  free(m)\n"
	"  q = r[1]\n"
	"  return table.unpack(r, 2, r.n)\n"
	"end\n"
	"local function frame(s) return string.pack('>s2', s) end\n"
	"-- one whole packet\n"
	"local k, fd, p, sz = filter(DATA, 5, 0, frame('hello'))\n"
	"assert(k == 'data' and fd == 5 and np.tostring(p, sz) == 'hello', 'single')\n"
	"-- merged packets, an empty one, and a split tail\n"
	"local w = frame('a') .. frame('') .. frame('bcd') .. frame('world!')\n"
	"k = filter(DATA, 5, 0, w:sub(1, #w - 3))\n"
	"assert(k == 'more', 'more: ' .. tostring(k))\n"
	"local got = {}\n"
	"while true do local f, m, s = np.pop(q); if not f then break end; got[#got+1] = np.tostring(m, s) end\n"
	"assert(#got == 3 and got[1] == 'a' and got[2] == '' and got[3] == 'bcd', 'pop')\n"
	"k, fd, p, sz = filter(DATA, 5, 0, w:sub(#w - 2))\n"
	"assert(k == 'data' and np.tostring(p, sz) == 'world!', 'tail')\n"
	"-- header split byte by byte, two sockets interleaved\n"
	"local big = string.rep('x', 65535)\n"
	"local fb = frame(big)\n"
	"assert(filter(DATA, 6, 0, fb:sub(1, 1)) == nil)\n"
	"assert(filter(DATA, 7, 0, frame('z'):sub(1, 2)) == nil)\n"
	"assert(filter(DATA, 6, 0, fb:sub(2, 1000)) == nil)\n"
	"k, fd, p, sz = filter(DATA, 7, 0, 'z')\n"
	"assert(k == 'data' and fd == 7 and np.tostring(p, sz) == 'z', 'interleaved')\n"
	"k, fd, p, sz = filter(DATA, 6, 0, fb:sub(1001))\n"
	"assert(k == 'data' and fd == 6 and sz == 65535 and np.tostring(p, sz) == big, 'big')\n"
	"-- many packets at once (queue regrows)\n"
	"local t = {}\n"
	"for i = 1, 500 do t[i] = frame(tostring(i)) end\n"
	"assert(filter(DATA, 8, 0, table.concat(t)) == 'more')\n"
	"for i = 1, 500 do local f, m, s = np.pop(q); assert(f == 8 and np.tostring(m, s) == tostring(i)) end\n"
	"assert(np.pop(q) == nil)\n"
	"-- passthrough events; a partial packet on a closing socket is dropped\n"
	"assert(filter(DATA, 9, 0, frame('partial'):sub(1, 4)) == nil)\n"
	"k, fd = filter(CLOSE, 9, 0, '')\n"
	"assert(k == 'close' and fd == 9)\n"
	"k, fd, p = filter(ACCEPT, 1, 10, '127.0.0.1:5000')\n"
	"assert(k == 'open' and fd == 10 and p == '127.0.0.1:5000')\n"
	"k, fd, p = filter(ERROR, 11, 0, 'Connection reset by peer')\n"
	"assert(k == 'error' and fd == 11 and p == 'Connection reset by peer')\n"
	"k, fd, p = filter(WARNING, 12, 2048, '')\n"
	"assert(k == 'warning' and fd == 12 and p == 2048)\n"
	"-- pack\n"
	"local pp, psz = np.pack('abc')\n"
	"assert(psz == 5 and np.tostring(pp, psz) == '\\0\\3abc')\n"
	"assert(not pcall(np.pack, string.rep('y', 65536)))\n"
	"-- leave a partial packet and queued packets for clear / __gc\n"
	"filter(DATA, 13, 0, frame('q1') .. frame('q2') .. frame('q3'):sub(1, 3))\n"
	"np.clear(q)\n"
	"filter(DATA, 14, 0, frame('r1') .. frame('r2') .. 'x')\n"
	"-- socketdriver read buffers\n"
	"local pool = {}\n"
	"local b = sd.buffer()\n"
	"for _, s in ipairs { 'hel', 'lo\\r', '\\nwor', 'ld', '\\r\\nrest' } do sd.push(b, pool, sd.str2p(s)) end\n"
	"assert(sd.readline(b, nil, '\\r\\n') == true)\n"
	"assert(sd.readline(b, pool, '\\r\\n') == 'hello')\n"
	"assert(sd.pop(b, pool, 3) == 'wor')\n"
	"assert(sd.readline(b, pool, '\\r\\n') == 'ld')\n"
	"assert(sd.readline(b, pool, '\\r\\n') == nil)\n"
	"assert(sd.pop(b, pool, 5) == nil)\n"
	"assert(sd.pop(b, pool, 2) == 're')\n"
	"assert(sd.readall(b, pool) == 'st')\n"
	"assert(sd.readall(b, pool) == '')\n"
	"for i = 1, 100 do sd.push(b, pool, sd.str2p(string.format('%03d', i))) end\n"
	"assert(sd.pop(b, pool, 6) == '001002')\n"
	"assert(sd.header('\\1\\2') == 258 and sd.header('\\0\\0\\0\\5') == 5)\n"
	"assert(not pcall(sd.header, ''))\n"
	"local m, sz = mkmsg(ERROR, 3, 0, 'why')\n"
	"local ty, id, ud, text = sd.unpack(m, sz)\n"
	"free(m)\n"
	"assert(ty == 5 and id == 3 and text == 'why')\n"
	"sd.drop(sd.str2p('dropped'))\n"
	"-- the buffer still holds 294 bytes: freed with the pool\n"
	"return 'done'\n";

static void
test_lua_script(void) {
	lua_State *L = luaL_newstate();
	luaL_openlibs(L);
	lua_register(L, "mkmsg", lmkmsg);
	lua_register(L, "free", lfree);
	CHECK(luaL_loadstring(L, SCRIPT) == LUA_OK);
	luaL_requiref(L, "skynet.netpack", luaopen_skynet_netpack, 0);
	luaL_requiref(L, "skynet.socketdriver", luaopen_skynet_socketdriver, 0);
	int r = lua_pcall(L, 2, 1, 0);
	CHECKF(r == LUA_OK, "%s", lua_tostring(L, -1));
	CHECK(strcmp(lua_tostring(L, -1), "done") == 0);
	lua_close(L);
}

int
main(void) {
	RUN(test_lua_script);
	return TESTS_DONE();
}
