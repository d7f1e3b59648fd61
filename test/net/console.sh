# test/net/console.sh: the `debug_console` config key (bootstrap starts the
# console on a free port), the console over telnet-style TCP and HTTP from
# outside the node (bash /dev/tcp, curl), and service/console.lua reading
# service names from the node's stdin.
net_console() {
	local name=net_console
	selected "$name" || return 0
	local cfg fifo port
	cfg=$(write_config "$name" console "debug_console = 127.0.0.1:0")
	fifo="$TMP/$name.stdin"
	rm -f "$fifo"
	mkfifo "$fifo"
	exec 7<>"$fifo"
	(cd "$OUT" && exec "$OUT/skynet" "$cfg") <"$fifo" >"$TMP/$name.out" 2>&1 &
	NET_PID=$!
	if ! net_wait_log "$name" "Start debug console at " 10; then
		notok "$name: console started by the config key" "no start line"
		tail -5 "$TMP/$name.log" "$TMP/$name.out" 2>/dev/null | sed 's/^/# /'
		exec 7>&-
		net_stop
		return
	fi
	port=$(sed -n 's/.*Start debug console at 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/$name.log" | head -1)
	ok "$name: debug_console config key (port $port)"

	# stdin console: a line launches a service with its arguments
	echo "t_console_hello one two" >&7
	if net_wait_log "$name" "t_console_hello started: one two" 10; then
		ok "$name: stdin console launches a service"
	else
		notok "$name: stdin console launches a service" "no log line"
	fi
	echo "t_console_nosuch" >&7
	echo "t_console_hello three" >&7
	if net_wait_log "$name" "t_console_hello started: three" 10; then
		ok "$name: stdin console goes on after a failed launch"
	else
		notok "$name: stdin console goes on after a failed launch" "no log line"
	fi

	# telnet-style session over bash's /dev/tcp
	local reply
	reply=$(
		exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
		printf 'list\r\nnosuch\r\nexit\r\n' >&3
		n=0
		while IFS= read -r -t 10 line <&3; do
			printf '%s\n' "$line"
			case "$line" in "<CMD "*) n=$((n + 1)); [ $n -eq 3 ] && break ;; esac
		done
	)
	if grep -q "^Welcome to skynet console$" <<<"$reply" \
		&& grep -qE "^:[0-9a-f]{8}	snlua t_console_hello one two$" <<<"$reply" \
		&& [ "$(grep -c '^<CMD OK>$' <<<"$reply")" -eq 1 ] \
		&& [ "$(grep -c '^<CMD Error>$' <<<"$reply")" -eq 2 ]; then
		ok "$name: telnet session (list, unknown command, bad arguments)"
	else
		notok "$name: telnet session" "unexpected reply"
		sed 's/^/# /' <<<"$reply" | head -20
	fi

	# HTTP GET: the answer is plain text without a status line, as skynet's
	if command -v curl >/dev/null; then
		reply=$(curl -s --http0.9 --max-time 10 "http://127.0.0.1:$port/getenv/debug_console")
		if [ "$reply" = "$(printf 'Welcome to skynet console\ndebug_console\t127.0.0.1:0\n<CMD OK>')" ]; then
			ok "$name: HTTP GET with curl"
		else
			notok "$name: HTTP GET with curl" "got: $reply"
		fi
	fi

	# end of stdin ends the console service; the node keeps running
	exec 7>&-
	sleep 0.3
	if kill -0 "$NET_PID" 2>/dev/null; then
		ok "$name: node still up after stdin closed"
	else
		notok "$name: node still up after stdin closed" "node exited"
	fi
	net_stop
	if [ "$NET_RC" -eq 0 ]; then ok "$name: clean stop"; else notok "$name: clean stop" "exit status $NET_RC"; fi
	net_check_sanitizer "$name" "t_console_nosuch"
}
net_console
