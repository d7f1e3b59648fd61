# test/net/01_sock_lib.sh: helpers for the socket protection tests
# (sock_protect.sh, sock_emfile.sh): boot the example game server on a free
# port, read its RSS, drive test/net/t_sockload.py. Defines functions only.

# sp_boot NAME [extra config lines...]: the example server on a free port;
# sets SP_PORT, returns 1 (after a notok) if it does not come up.
sp_boot() {
	local name=$1
	shift
	local cfg="$TMP/$name.conf"
	{
		echo "thread = 2"
		echo "harbor = 0"
		echo "start = main"
		echo "cpath = $OUT/cservice/?.so"
		echo "lualoader = $ROOT/lualib/loader.lua"
		echo "luaservice = ${SP_SERVICE_DIR:-$ROOT/examples}/?.lua;"
		echo "	$ROOT/service/?.lua"
		echo "lua_path = $ROOT/lualib/?.lua;$ROOT/lualib/?/init.lua;$ROOT/examples/?.lua"
		echo "lua_cpath = $OUT/luaclib/?.so;$CMOD/?.so"
		echo "logger = $TMP/$name.log"
		echo "gate_port = 0"
		echo "gate_address = 127.0.0.1"
		for line in "$@"; do echo "$line"; done
	} >"$cfg"
	# NET_ULIMIT: the node alone runs with that many fds
	(cd "$OUT" && { [ -z "${NET_ULIMIT:-}" ] || ulimit -n "$NET_ULIMIT"; } && exec "$OUT/skynet" "$cfg") \
		>"$TMP/$name.out" 2>&1 &
	NET_PID=$!
	if ! net_wait_log "$name" "example game server ready" 15; then
		notok "$name: server ready" "no ready line"
		tail -5 "$TMP/$name.log" "$TMP/$name.out" 2>/dev/null | sed 's/^/# /'
		net_stop
		return 1
	fi
	SP_PORT=$(sed -n 's/.*example game server ready on [^:]*:\([0-9]*\);.*/\1/p' "$TMP/$name.log" | head -1)
	[ -n "$SP_PORT" ]
}

sp_rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$NET_PID/status" 2>/dev/null || echo 0
}

# RSS bounds only mean something without the sanitizer's shadow memory.
sp_asan() {
	[[ "$OUT" == *asan* ]]
}

sp_load() {
	timeout -k 2 "${SP_TIMEOUT:-40}" python3 "$ROOT/test/net/t_sockload.py" "$@" 2>&1
}

sp_good() {
	local name=$1 what=$2 out
	out=$(sp_load good 127.0.0.1 "$SP_PORT")
	if [ "$out" = "served" ]; then ok "$name: a good client is served $what"; else
		notok "$name: a good client is served $what" "$out"; fi
}

# sp_finish NAME [ERE]: stop the node, check its exit, the sanitizer and the
# log (ERE: the Lua errors the scenario causes on purpose).
sp_finish() {
	local name=$1
	net_stop
	if [ "$NET_RC" -eq 0 ]; then ok "$name: clean stop"; else notok "$name: clean stop" "exit status $NET_RC"; fi
	net_check_sanitizer "$name" "${2:-}"
}

