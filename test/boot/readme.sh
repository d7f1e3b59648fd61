# test/boot/readme.sh (sourced by test/run.sh): behaviours the README promises
# that need a whole node: how it stops, what it says when the game fails, the
# shipped config, a custom bootstrap and log service.

# boot_run NAME LIMIT START [config lines...]: runs a node in the foreground to
# its end; sets BOOT_RC, the log is $TMP/NAME.log.
boot_run() {
	local name=$1 limit=$2 start=$3 cfg
	shift 3
	cfg=$(write_config "$name" "$start" "$@")
	(cd "$OUT" && timeout -k 5 "$limit" "$OUT/skynet" "$cfg") >"$TMP/$name.out" 2>&1
	BOOT_RC=$?
}

boot_last_service() {
	local name="boot: the node stops when its last service exits"
	selected "$name" || return 0
	boot_run last 20 unused "bootstrap = snlua t_boot_last"
	local log="$TMP/last.log"
	if [ $BOOT_RC -ne 0 ]; then
		notok "$name" "exit status $BOOT_RC (124: still running after 20 s)"
		show_tail "$log"
	elif ! grep -q "exit 1" "$log" || ! grep -q "exit 2" "$log"; then
		notok "$name" "stopped before every service had exited"
		show_tail "$log"
	elif ! grep -q "shutdown: no service left" "$log"; then
		notok "$name" "no 'shutdown: no service left' line"
		show_tail "$log"
	else
		ok "$name"
	fi
}

boot_start_raises() {
	local name="boot: a start service that raises stops the node, exit status 1, reason logged"
	selected "$name" || return 0
	boot_run raise 20 t_boot_raise
	if [ $BOOT_RC -ne 1 ]; then
		notok "$name" "exit status $BOOT_RC"
		show_tail "$TMP/raise.log" "$TMP/raise.out"
	elif ! grep -q "the game failed to start on purpose" "$TMP/raise.log"; then
		notok "$name" "the reason is not in the log"
		show_tail "$TMP/raise.log"
	else
		ok "$name"
	fi
}

boot_sigterm_releases() {
	local name="boot: SIGTERM releases every service"
	selected "$name" || return 0
	local cfg log pid rc
	cfg=$(write_config many t_boot_many)
	log="$TMP/many.log"
	(cd "$OUT" && exec "$OUT/skynet" "$cfg") >"$TMP/many.out" 2>&1 &
	pid=$!
	if ! wait_or_kill $pid "$log" "many: ready"; then
		notok "$name" "node did not start"
		show_tail "$log"
		return
	fi
	kill -TERM $pid
	wait_pid $pid 20
	rc=$?
	# bootstrap exits once it has started the game: launcher, cdummy,
	# datacenterd, service_mgr, the start service and its 10 children remain
	local live
	live=$(grep -o "releasing [0-9]* services" "$log" | grep -o "[0-9]*")
	if [ $rc -ne 0 ]; then
		notok "$name" "exit status $rc"
		show_tail "$log"
	elif [ "${live:-0}" -lt 11 ]; then
		notok "$name" "expected at least 11 live services at SIGTERM, the log says '${live:-none}'"
	elif grep -q "did not finish" "$log"; then
		notok "$name" "not every service was released"
		show_tail "$log"
	else
		ok "$name ($live services)"
	fi
}

# The shipped config/game.conf, unchanged but for the port: its relative paths
# and the default lua_cpath (cjson for the example agent) must work.
boot_shipped_config() {
	local name="boot: config/game.conf boots the example server (default lua_cpath reaches cjson)"
	selected "$name" || return 0
	local dir="$TMP/shipped" port pid
	mkdir -p "$dir"
	ln -sfn "$OUT/cservice" "$dir/cservice"
	ln -sfn "$OUT/luaclib" "$dir/luaclib"
	ln -sfn "$ROOT/lualib" "$dir/lualib"
	ln -sfn "$ROOT/service" "$dir/service"
	ln -sfn "$ROOT/examples" "$dir/examples"
	port=$(free_port)
	sed -e "s/^gate_port *=.*/gate_port = $port/" "$ROOT/config/game.conf" >"$dir/game.conf"
	echo "logger = $dir/game.log" >>"$dir/game.conf"
	(cd "$dir" && exec "$OUT/skynet" game.conf) >"$dir/game.out" 2>&1 &
	pid=$!
	if ! wait_or_kill $pid "$dir/game.log" "example game server ready" 150; then
		notok "$name" "no ready line"
		show_tail "$dir/game.log" "$dir/game.out"
		return
	fi
	local out
	out=$(CLIENT_SO_DIR="$OUT/luaclib" timeout 20 lua5.4 "$ROOT/examples/client.lua" 127.0.0.1 "$port" shipped 2>&1)
	local crc=$?
	kill -TERM $pid
	wait_pid $pid 20
	local rc=$?
	if [ $crc -ne 0 ] || ! grep -q '"welcome shipped"' <<<"$out"; then
		notok "$name" "client exit $crc: $(tail -3 <<<"$out" | tr '\n' ' ')"
		show_tail "$dir/game.log"
	elif [ $rc -ne 0 ]; then
		notok "$name" "exit status $rc at SIGTERM"
	elif [ -n "$(log_errors "$dir/game.log")" ]; then
		notok "$name" "error in the log: $(log_errors "$dir/game.log")"
	else
		ok "$name"
	fi
}

boot_custom_bootstrap() {
	local name="boot: a custom bootstrap service runs instead of service/bootstrap.lua"
	selected "$name" || return 0
	local cfg log pid
	cfg=$(write_config custom_bootstrap unused "bootstrap = snlua t_boot_bootstrap")
	log="$TMP/custom_bootstrap.log"
	(cd "$OUT" && exec "$OUT/skynet" "$cfg") >"$TMP/custom_bootstrap.out" 2>&1 &
	pid=$!
	if ! wait_or_kill $pid "$log" "tick 2"; then
		notok "$name" "no tick from the service it started"
		show_tail "$log" "$TMP/custom_bootstrap.out"
		return
	fi
	kill -TERM $pid
	wait_pid $pid 20
	local rc=$?
	if [ $rc -ne 0 ]; then
		notok "$name" "exit status $rc"
	elif ! grep -q "custom bootstrap running" "$log" || grep -q "LAUNCH snlua launcher" "$log"; then
		notok "$name" "the default bootstrap ran (or the custom one did not)"
	else
		ok "$name"
	fi
}

boot_lua_logservice() {
	local name="boot: logservice = snlua with a Lua logger service"
	selected "$name" || return 0
	local cfg file="$TMP/lualogger.txt" pid
	cfg=$(write_config lualogger t_ticker "logservice = snlua" "boot_log_file = $file")
	# write_config names a log file; the Lua logger takes the service name instead
	sed -i 's/^logger = .*/logger = t_boot_logger/' "$cfg"
	(cd "$OUT" && exec "$OUT/skynet" "$cfg") >"$TMP/lualogger.out" 2>&1 &
	pid=$!
	if ! wait_or_kill $pid "$file" "lua-logger \[:[0-9a-f]*\] tick 2"; then
		notok "$name" "the Lua logger wrote no tick"
		show_tail "$file" "$TMP/lualogger.out"
		return
	fi
	kill -TERM $pid
	wait_pid $pid 20
	local rc=$?
	if [ $rc -eq 0 ]; then ok "$name"; else notok "$name" "exit status $rc"; fi
}

boot_tool_services() {
	local name="boot: skynet's tool services: dbg LIST and cmemory print, abort stops the node"
	selected "$name" || return 0
	boot_run tools 20 t_boot_tools
	local out="$TMP/tools.out" log="$TMP/tools.log"
	if [ $BOOT_RC -ne 0 ]; then
		notok "$name" "exit status $BOOT_RC (124: still running after 20 s)"
		show_tail "$log" "$out"
	elif ! grep -qP '^:[0-9a-f]{8}\tsnlua t_boot_tools$' "$out"; then
		notok "$name" "dbg LIST printed no ':handle<TAB>snlua t_boot_tools' line"
		show_tail "$out"
	elif ! grep -qP '^Total memory:\t[0-9]+$' "$out" || ! grep -qP '^Total block:\t[0-9]+$' "$out" ||
		! grep -qP '^:[0-9a-f]{8} [0-9.e+]+K$' "$out"; then
		notok "$name" "cmemory printed no per-service line or totals"
		show_tail "$out"
	elif ! grep -q "tools: dbg and cmemory returned" "$log" || ! grep -q "shutdown: abort requested" "$log"; then
		notok "$name" "abort did not stop the node"
		show_tail "$log"
	elif grep -q "still running after abort" "$log"; then
		notok "$name" "newservice(\"abort\") returned"
		show_tail "$log"
	else
		ok "$name"
	fi
}

boot_last_service
boot_start_raises
boot_sigterm_releases
boot_shipped_config
boot_custom_bootstrap
boot_lua_logservice
boot_tool_services
