# test/net/example_game.sh: the example game server (examples/) driven by
# examples/client.lua under plain lua5.4, from login to logout, one client and
# then 20 at once; every agent must be gone afterwards.
net_example_game() {
	local name=net_example_game port
	selected "$name" || return 0
	port=$(free_port)
	local cfg="$TMP/$name.conf"
	# like config/game.conf, with absolute paths and a test port
	cat >"$cfg" <<CONF
thread = 2
harbor = 0
start = main
cpath = $OUT/cservice/?.so
lualoader = $ROOT/lualib/loader.lua
luaservice = $ROOT/examples/?.lua;
	$ROOT/service/?.lua
lua_path = $ROOT/lualib/?.lua;$ROOT/lualib/?/init.lua;$ROOT/examples/?.lua
lua_cpath = $OUT/luaclib/?.so;$CMOD/?.so
logger = $TMP/$name.log
gate_port = $port
gate_address = 127.0.0.1
maxclient = 100
CONF
	net_start "$name" "$cfg"
	if ! net_wait_log "$name" "example game server ready" 15; then
		notok "$name: server ready" "no ready line"
		tail -5 "$TMP/$name.log" "$TMP/$name.out" 2>/dev/null | sed 's/^/# /'
		net_stop
		return
	fi
	local out rc
	out=$(CLIENT_SO_DIR="$OUT/luaclib" timeout 20 lua5.4 "$ROOT/examples/client.lua" 127.0.0.1 "$port" tester 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && grep -q '"welcome tester"' <<<"$out" && grep -q '"bye tester"' <<<"$out" \
		&& grep -q "closed by the server" <<<"$out"; then
		ok "$name: client login, echo, time, logout"
	else
		notok "$name: client session" "exit $rc"
		echo "$out" | tail -8 | sed 's/^/# /'
	fi
	local pids=() i failed=0
	for ((i = 1; i <= 20; i++)); do
		CLIENT_SO_DIR="$OUT/luaclib" timeout 20 lua5.4 "$ROOT/examples/client.lua" 127.0.0.1 "$port" "p$i" \
			>"$TMP/$name.c$i" 2>&1 &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i" || failed=$((failed + 1))
	done
	if [ $failed -eq 0 ]; then ok "$name: 20 concurrent clients"; else
		notok "$name: 20 concurrent clients" "$failed failed"
		cat "$TMP/$name.c1" | tail -5 | sed 's/^/# /'
	fi
	# a client with a bad request, then one that never logs in and just leaves
	out=$(CLIENT_SO_DIR="$OUT/luaclib" timeout 10 lua5.4 -e "
		package.cpath = os.getenv('CLIENT_SO_DIR') .. '/?.so;' .. package.cpath
		local c = require 'client'
		local conn = assert(c.connect('127.0.0.1', $port))
		conn:send('not json')
		print(conn:recv(3000))
		conn:send('{\"cmd\":\"echo\",\"text\":\"x\"}')
		print(conn:recv(3000))
		conn:close()" 2>&1)
	if grep -q "bad request" <<<"$out" && grep -q "login first" <<<"$out"; then
		ok "$name: bad requests answered with errors"
	else
		notok "$name: bad requests" "$out"
	fi
	local agents logins i
	for ((i = 0; i < 100; i++)); do
		agents=$(grep -c "LAUNCH snlua agent" "$TMP/$name.log")
		logins=$(grep -c "logged in as" "$TMP/$name.log")
		[ "$agents" -eq 22 ] && [ "$logins" -eq 21 ] && break
		sleep 0.05
	done
	if [ "$agents" -eq 22 ] && [ "$logins" -eq 21 ]; then ok "$name: one agent per client ($agents)"; else
		notok "$name: agents" "$agents agents, $logins logins"
	fi
	net_stop
	if [ "$NET_RC" -eq 0 ]; then ok "$name: clean stop"; else notok "$name: clean stop" "exit status $NET_RC"; fi
	net_check_sanitizer "$name"
}
net_example_game
