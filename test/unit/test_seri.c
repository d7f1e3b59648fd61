/* test_seri.c: round trips and wire bytes of lua-seri (skynet.pack/unpack),
 * its error paths, and every truncation of a valid stream read from an
 * exactly sized heap block so ASan sees any read past the end. */
#include <lauxlib.h>
#include <lualib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "../../lualib-src/lua-seri.h"
#include "skynet_malloc.h"
#include "testlib.h"

static lua_State *T;
static char lua_err[512];

/* trash(ptr): release a packed buffer, as skynet.trash does. */
static int
l_trash(lua_State *L) {
	luaL_checktype(L, 1, LUA_TLIGHTUSERDATA);
	skynet_free(lua_touserdata(L, 1));
	return 0;
}

/* packstring(...) -> the packed bytes as a Lua string. */
static int
l_packstring(lua_State *L) {
	void *p;
	lua_Integer sz;
	luaseri_pack(L);
	p = lua_touserdata(L, -2);
	sz = lua_tointeger(L, -1);
	lua_pushlstring(L, p, (size_t)sz);
	skynet_free(p);
	return 1;
}

/* rt(...) -> unpack(pack(...)), freeing the buffer in between. */
static int
l_rt(lua_State *L) {
	int n = lua_gettop(L);
	void *p;
	int status;
	lua_pushcfunction(L, luaseri_pack);
	lua_insert(L, 1);
	lua_call(L, n, 2);
	p = lua_touserdata(L, 1);
	lua_pushcfunction(L, luaseri_unpack);
	lua_insert(L, 1);
	status = lua_pcall(L, 2, LUA_MULTRET, 0);
	skynet_free(p);
	if (status != LUA_OK)
		return lua_error(L);
	return lua_gettop(L);
}

/* unpack_exact(s [, len]) -> pcall-style results of unpacking the first len
 * bytes of s from a heap block of exactly len bytes. */
static int
l_unpack_exact(lua_State *L) {
	size_t slen;
	const char *s = luaL_checklstring(L, 1, &slen);
	lua_Integer len = luaL_optinteger(L, 2, (lua_Integer)slen);
	char *buf;
	int status, base;
	luaL_argcheck(L, len >= 0 && (size_t)len <= slen, 2, "bad length");
	buf = skynet_malloc(len ? (size_t)len : 1);
	memcpy(buf, s, (size_t)len);
	lua_settop(L, 0);
	lua_pushcfunction(L, luaseri_unpack);
	lua_pushlightuserdata(L, buf);
	lua_pushinteger(L, len);
	base = lua_gettop(L) - 3;
	status = lua_pcall(L, 2, LUA_MULTRET, 0);
	skynet_free(buf);
	lua_pushboolean(L, status == LUA_OK);
	lua_insert(L, base + 1);
	return lua_gettop(L) - base;
}

/* lud(n) -> a light userdata holding the address n. */
static int
l_lud(lua_State *L) {
	lua_pushlightuserdata(L, (void *)(uintptr_t)luaL_checkinteger(L, 1));
	return 1;
}

static const char *prelude =
	"function deepeq(a, b)\n"
	"  if type(a) ~= type(b) then return false end\n"
	"  if type(a) == 'number' then\n"
	"    if a ~= a then return b ~= b end\n"
	"    return a == b and math.type(a) == math.type(b)\n"
	"  end\n"
	"  if type(a) ~= 'table' then return a == b end\n"
	"  for k, v in pairs(a) do if not deepeq(v, b[k]) then return false end end\n"
	"  for k in pairs(b) do if a[k] == nil then return false end end\n"
	"  return true\n"
	"end\n"
	"function same(v) return deepeq(v, (rt(v))) end\n"
	"function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end\n"
	"function expect_error(pat, f, ...)\n"
	"  local ok, err = pcall(f, ...)\n"
	"  assert(not ok, 'expected an error matching ' .. pat)\n"
	"  assert(tostring(err):find(pat), 'error ' .. tostring(err) .. ' does not match ' .. pat)\n"
	"end\n";

static int
run(const char *code) {
	if (luaL_dostring(T, code) != LUA_OK) {
		snprintf(lua_err, sizeof(lua_err), "%s", lua_tostring(T, -1));
		lua_settop(T, 0);
		return -1;
	}
	lua_settop(T, 0);
	return 0;
}

#define LUA_OK_RUN(code) CHECKF(run(code) == 0, "%s", lua_err)

static void
setup(void) {
	T = luaL_newstate();
	luaL_openlibs(T);
	lua_register(T, "pack", luaseri_pack);
	lua_register(T, "unpack", luaseri_unpack);
	lua_register(T, "trash", l_trash);
	lua_register(T, "packstring", l_packstring);
	lua_register(T, "rt", l_rt);
	lua_register(T, "unpack_exact", l_unpack_exact);
	lua_register(T, "lud", l_lud);
	if (luaL_dostring(T, prelude) != LUA_OK) {
		printf("# prelude: %s\n", lua_tostring(T, -1));
		exit(1);
	}
}

static void
test_scalars(void) {
	LUA_OK_RUN(
		"assert(select('#', rt(nil)) == 1 and rt(nil) == nil)\n"
		"assert(rt(true) == true and rt(false) == false)\n"
		"assert(hex(packstring(nil, true, false)) == '000901')\n");
}

static void
test_integer_boundaries(void) {
	LUA_OK_RUN(
		"local vals = {0, 1, -1, 127, 128, -128, -129, 255, 256, 65535, 65536, -65536,\n"
		"  2147483647, -2147483648, 2147483648, -2147483649,\n"
		"  math.maxinteger, math.mininteger}\n"
		"for _, v in ipairs(vals) do\n"
		"  local r = rt(v)\n"
		"  assert(math.type(r) == 'integer' and r == v, 'integer ' .. v .. ' came back as ' .. tostring(r))\n"
		"end\n");
	/* The smallest form is chosen, and negatives never use the unsigned
	 * one- and two-byte forms (a peer would read them back as positive). */
	LUA_OK_RUN(
		"local want = {\n"
		"  [0] = '02', [1] = '0a01', [255] = '0aff', [256] = '120001',\n"
		"  [65535] = '12ffff', [65536] = '2200000100', [-1] = '22ffffffff',\n"
		"  [-128] = '2280ffffff', [2147483647] = '22ffffff7f',\n"
		"  [2147483648] = '320000008000000000',\n"
		"  [math.mininteger] = '320000000000000080',\n"
		"}\n"
		"for v, h in pairs(want) do\n"
		"  assert(hex(packstring(v)) == h, v .. ' packed as ' .. hex(packstring(v)))\n"
		"end\n");
}

static void
test_floats(void) {
	LUA_OK_RUN(
		"assert(rt(0.5) == 0.5 and math.type(rt(0.5)) == 'float')\n"
		"assert(math.type(rt(2.0)) == 'float')\n"
		"local z = rt(-0.0); assert(z == 0 and 1/z == -math.huge)\n"
		"assert(rt(math.huge) == math.huge and rt(-math.huge) == -math.huge)\n"
		"local n = rt(0/0); assert(n ~= n)\n"
		"assert(hex(packstring(0.5)) == '42000000000000e03f')\n");
}

static void
test_strings(void) {
	LUA_OK_RUN(
		"for _, n in ipairs{0, 1, 31, 32, 65535, 65536, 1024*1024} do\n"
		"  local s = string.rep('x', n)\n"
		"  assert(rt(s) == s, 'string length ' .. n)\n"
		"end\n"
		"local b = 'a\\0b\\0\\0\\255c'; assert(rt(b) == b)\n"
		"assert(packstring(string.rep('y', 31)):byte(1) == 0xfc)\n"
		"assert(hex(packstring(string.rep('y', 32)):sub(1, 3)) == '152000')\n"
		"assert(hex(packstring(string.rep('y', 65536)):sub(1, 5)) == '2500000100')\n"
		"assert(hex(packstring('')) == '04')\n");
}

static void
test_tables(void) {
	LUA_OK_RUN(
		"assert(same({}))\n"
		"assert(same({1, 2, 3, a = 1, b = {c = 'd', [true] = false}, [1.5] = 'f'}))\n"
		"local big = {} for i = 1, 100 do big[i] = i * 3 end big.x = 'y'\n"
		"assert(same(big))\n"
		"assert(hex(packstring(big):sub(1, 3)) == 'fe0a64')\n"
		"local s = rt({1, nil, 3}); assert(s[1] == 1 and s[2] == nil and s[3] == 3)\n"
		"assert(same({[1] = 1, [3] = 3, [100] = 5, [-1] = 0, [0] = 'z'}))\n"
		"local a31 = {} for i = 1, 31 do a31[i] = i end assert(same(a31))\n"
		"local a30 = {} for i = 1, 30 do a30[i] = i end assert(same(a30))\n"
		"assert(packstring(a30):byte(1) == 0xf6 and packstring(a31):byte(1) == 0xfe)\n"
		"assert(hex(packstring({})) == '0600')\n");
}

static void
test_depth(void) {
	LUA_OK_RUN(
		"local function nest(n) local t = {v = 'leaf'} for i = 2, n do t = {t} end return t end\n"
		"local t = rt(nest(32))\n"
		"for i = 2, 32 do t = t[1] end assert(t.v == 'leaf')\n"
		"expect_error('too depth', pack, nest(33))\n"
		/* the buffer has moved to the heap when the error strikes: ASan and
		 * valgrind check it is freed */
		"expect_error('too depth', pack, string.rep('z', 4000), nest(40))\n"
		"local cyc = {} cyc.self = cyc\n"
		"expect_error('too depth', pack, cyc)\n");
}

static void
test_multiple_values(void) {
	LUA_OK_RUN(
		"assert(select('#', rt()) == 0)\n"
		"assert(select('#', rt(1, nil, 3)) == 3)\n"
		"assert(select('#', rt(1, nil, nil)) == 3)\n"
		"local a, b, c, d = rt('x', nil, 2, nil)\n"
		"assert(a == 'x' and b == nil and c == 2 and d == nil)\n"
		"local many = {} for i = 1, 20000 do many[i] = i end\n"
		"local back = table.pack(rt(table.unpack(many)))\n"
		"assert(back.n == 20000 and back[1] == 1 and back[20000] == 20000)\n"
		"assert(select('#', unpack(nil)) == 0 and select('#', unpack()) == 0)\n"
		"assert(select('#', unpack('')) == 0)\n"
		"local p, sz = pack(1, 'two', {3})\n"
		"local x, y, z = unpack(p, sz) trash(p)\n"
		"assert(x == 1 and y == 'two' and z[1] == 3)\n"
		"assert(select(2, unpack(packstring(7, 8))) == 8)\n");
}

static void
test_lightuserdata(void) {
	LUA_OK_RUN(
		"local u = lud(0x12345678) assert(rt(u) == u)\n"
		"assert(rt(lud(0)) == lud(0))\n"
		"assert(hex(packstring(lud(1))) == '030100000000000000')\n"
		"local t = rt({p = u}) assert(t.p == u)\n");
}

static void
test_pairs_metamethod(void) {
	LUA_OK_RUN(
		"local inner = {x = 1, y = {2}}\n"
		"local proxy = setmetatable({}, {__pairs = function(t) return next, inner, nil end})\n"
		"local back = rt(proxy)\n"
		"assert(back.x == 1 and back.y[1] == 2)\n"
		"local bad = setmetatable({}, {__pairs = function() error('pairs boom') end})\n"
		"expect_error('pairs boom', pack, string.rep('q', 500), bad)\n"
		"local bad2 = setmetatable({}, {__pairs = function() return function() error('iter boom') end end})\n"
		"expect_error('iter boom', pack, string.rep('q', 500), bad2)\n");
}

static void
test_unsupported(void) {
	LUA_OK_RUN(
		"expect_error('Unsupported type function to serialize', pack, print)\n"
		"expect_error('Unsupported type function to serialize', pack, function() end)\n"
		"expect_error('Unsupported type thread to serialize', pack, coroutine.create(print))\n"
		"expect_error('Unsupported type userdata to serialize', pack, io.stdout)\n"
		"expect_error('Unsupported type function', pack, {f = print})\n"
		"expect_error('Unsupported type function', pack, string.rep('w', 300), {1, 2, {k = print}})\n"
		"expect_error('string or lightuserdata', unpack, 42)\n"
		"expect_error('negative size', unpack, lud(16), -1)\n");
}

static void
test_invalid_streams(void) {
	LUA_OK_RUN(
		"local cases = {\n"
		"  '\\7', '\\17', '\\58', '\\11', '\\3\\1\\2', '\\13',\n"
		"  '\\29', '\\254\\66\\0\\0\\0\\0\\0\\0\\224\\63\\0',\n"
		"  '\\254\\50\\255\\255\\255\\255\\255\\255\\255\\127\\0',\n"
		"  '\\6', '\\6\\0\\1\\0\\7', '\\6\\66\\0\\0\\0\\0\\0\\0\\248\\127\\1\\0',\n"
		"  string.rep('\\6', 100),\n"
		"}\n"
		"for i, s in ipairs(cases) do\n"
		"  local ok, err = unpack_exact(s)\n"
		"  assert(not ok, 'case ' .. i .. ' (' .. hex(s) .. ') was accepted')\n"
		"  assert(type(err) == 'string', 'case ' .. i .. ' has no message')\n"
		"end\n"
		"local ok, err = unpack_exact('\\6\\10')\n"
		"assert(not ok and err:find('Invalid serialize stream'), err)\n");
}

static void
test_truncation(void) {
	LUA_OK_RUN(
		"local s = packstring({1, -1, 300, 70000, 2^40, 0.25, true, false, 'short',\n"
		"  string.rep('m', 40), string.rep('L', 70000), lud(99),\n"
		"  nested = {a = {b = {c = 'd'}}, [5] = -2^62}, arr = (function()\n"
		"    local t = {} for i = 1, 40 do t[i] = i end return t end)()})\n"
		"local ok, back = unpack_exact(s)\n"
		"assert(ok and back[3] == 300 and back.nested.a.b.c == 'd' and #back.arr == 40)\n"
		"for len = 1, #s - 1 do\n"
		"  local ok, err = unpack_exact(s, len)\n"
		"  assert(not ok, 'prefix of ' .. len .. ' bytes accepted')\n"
		"  assert(err:find('Invalid serialize stream'), err)\n"
		"end\n");
}

/* Corrupt single bytes of a valid stream: every outcome is fine except a
 * crash or a read out of bounds, which ASan/valgrind would report. */
static void
test_corruption(void) {
	LUA_OK_RUN(
		"local s = packstring({1, 'two', {3, x = 4.5}, y = {z = true}}, 'tail', 12345678)\n"
		"local accepted, rejected = 0, 0\n"
		"for i = 1, #s do\n"
		"  for _, b in ipairs{0, 1, 6, 7, 0x1f, 0xfe, 0xff} do\n"
		"    local m = s:sub(1, i - 1) .. string.char(b) .. s:sub(i + 1)\n"
		"    local ok = unpack_exact(m)\n"
		"    if ok then accepted = accepted + 1 else rejected = rejected + 1 end\n"
		"  end\n"
		"end\n"
		"assert(rejected > 0 and accepted > 0)\n");
}

static double
now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Not a pass/fail figure: reports ns per pack+unpack of a typical call. */
static void
test_bench_roundtrip(void) {
	const int n = getenv("SERI_BENCH_N") ? atoi(getenv("SERI_BENCH_N")) : 1000000;
	double t0, t1;
	char code[512];
	snprintf(code, sizeof(code),
		"local pack, unpack, trash = pack, unpack, trash\n"
		"local t = {a = 1, b = {1, 2, 3}}\n"
		"for i = 1, %d do\n"
		"  local p, sz = pack(1, 'hello', t)\n"
		"  local a, b, c = unpack(p, sz)\n"
		"  trash(p)\n"
		"end\n", n);
	t0 = now_ns();
	LUA_OK_RUN(code);
	t1 = now_ns();
	printf("# bench: pack+unpack of (1, \"hello\", {a=1, b={1,2,3}}): %.0f ns per round trip\n",
		(t1 - t0) / n);
	LUA_OK_RUN("local p, sz = pack(1, 'hello', {a = 1, b = {1, 2, 3}}) trash(p) assert(sz == 24, sz)");
}

int
main(void) {
	setup();
	RUN(test_scalars);
	RUN(test_integer_boundaries);
	RUN(test_floats);
	RUN(test_strings);
	RUN(test_tables);
	RUN(test_depth);
	RUN(test_multiple_values);
	RUN(test_lightuserdata);
	RUN(test_pairs_metamethod);
	RUN(test_unsupported);
	RUN(test_invalid_streams);
	RUN(test_truncation);
	RUN(test_corruption);
	RUN(test_bench_roundtrip);
	lua_close(T);
	return TESTS_DONE();
}
