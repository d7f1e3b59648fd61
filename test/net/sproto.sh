# test/net/sproto.sh: a sproto RPC round trip over a real loopback socket. The
# node runs t_sprotoserver (test/lua) on a free port it picks itself; the
# client is test/net/sproto_client.py, which encodes and checks sproto bytes
# by hand with Python's struct module (no sproto code shared with the server).
net_sproto() {
	local name=net_sproto
	selected "$name" || return 0
	if ! command -v python3 >/dev/null; then
		notok "$name" "python3 not found"
		return
	fi
	local cfg="$TMP/$name.conf"
	cat >"$cfg" <<CONF
thread = 2
harbor = 0
start = t_sprotoserver
cpath = $OUT/cservice/?.so
lualoader = $ROOT/lualib/loader.lua
luaservice = $ROOT/service/?.lua;$ROOT/test/lua/?.lua
lua_path = $ROOT/lualib/?.lua;$ROOT/lualib/?/init.lua
lua_cpath = $OUT/luaclib/?.so;$CMOD/?.so
logger = $TMP/$name.log
CONF
	net_start "$name" "$cfg"
	if ! net_wait_log "$name" "sproto server ready port" 15; then
		notok "$name: server ready" "no ready line"
		tail -5 "$TMP/$name.log" "$TMP/$name.out" 2>/dev/null | sed 's/^/# /'
		net_stop
		return
	fi
	local port out rc
	port=$(sed -n 's/.*sproto server ready port \([0-9]*\).*/\1/p' "$TMP/$name.log" | head -1)
	out=$(timeout 20 python3 "$ROOT/test/net/sproto_client.py" 127.0.0.1 "$port" 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && grep -q "^OK 3 responses byte-identical" <<<"$out"; then
		ok "$name: python client, 3 requests answered byte-identically"
	else
		notok "$name: python client" "exit $rc: $(tr '\n' ' ' <<<"$out")"
	fi
	if net_wait_log "$name" "sproto client said bye" 5; then
		ok "$name: bye request without a session reached the server"
	else
		notok "$name: bye" "no log line"
	fi
	if grep -q "stack traceback" "$TMP/$name.log"; then
		notok "$name: no Lua errors" "$(grep -m1 -A2 'stack traceback' "$TMP/$name.log" | tr '\n' ' ')"
	fi
	net_stop
	if [ "$NET_RC" -eq 0 ]; then ok "$name: clean stop"; else notok "$name: clean stop" "exit status $NET_RC"; fi
	net_check_sanitizer "$name"
}
net_sproto
