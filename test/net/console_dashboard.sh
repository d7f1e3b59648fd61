# test/net/console_dashboard.sh: the debug console's dashboard (GET /) in a
# real headless Chromium, driven over the DevTools protocol by
# test/net/cdp_dashboard.py: the page lists the booted node's services, its
# plots draw, a column sorts, and its kill button (after the confirmation)
# kills a service. The screenshot is kept under the test's tmp dir. Its own
# time budget: a browser is slow to start on a loaded machine.
net_console_dashboard() {
	local name=net_console_dashboard
	selected "$name" || return 0
	if ! command -v chromium >/dev/null; then
		skip_required "$name" "chromium not installed (tools/deps.sh)"
		return 0
	fi
	if ! /usr/bin/python3 -c "import websockets" 2>/dev/null; then
		skip_required "$name" "python3-websockets not installed (tools/deps.sh)"
		return 0
	fi
	local cfg port victim out rc shot="$TMP/dashboard.png"
	cfg=$(write_config "$name" t_web_node "debug_console = 127.0.0.1:0")
	net_start "$name" "$cfg"
	if ! net_wait_log "$name" "victim :" 20 || ! net_wait_log "$name" "Start debug console at " 20; then
		notok "$name: node with a console" "no start lines"
		show_tail "$TMP/$name.log" "$TMP/$name.out"
		net_stop
		return 0
	fi
	port=$(sed -n 's/.*Start debug console at 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/$name.log" | head -1)
	victim=$(sed -n 's/.*\] victim \(:[0-9a-f]*\).*/\1/p' "$TMP/$name.log" | head -1)
	out=$(timeout -k 5 180 /usr/bin/python3 "$ROOT/test/net/cdp_dashboard.py" \
		"http://127.0.0.1:$port/" "$victim" "$shot" 2>"$TMP/$name.cdp.err")
	rc=$?
	sed 's/^/# /' <<<"$out"
	if [ $rc -eq 2 ]; then
		skip_required "$name" "$(head -1 "$TMP/$name.cdp.err")"
	elif [ $rc -eq 0 ] && grep -q "^ok kill " <<<"$out" && [ -s "$shot" ] \
		&& grep -q "KILL $victim\|KILL :${victim#:0*}" "$TMP/$name.log"; then
		ok "$name: page loads, lists services, plots, sorts, kill works"
		echo "# dashboard screenshot: $shot"
		# a copy that outlives the test's tmp dir, for the note
		cp "$shot" /tmp/skynet-dashboard.png 2>/dev/null && echo "# copied to /tmp/skynet-dashboard.png"
	else
		notok "$name: dashboard in chromium" "$(grep '^fail' <<<"$out" | head -1) (exit $rc)"
		tail -5 "$TMP/$name.cdp.err" | sed 's/^/# /'
		show_tail "$TMP/$name.log"
	fi
	net_stop
	if [ "$NET_RC" -eq 0 ]; then ok "$name: clean stop"; else notok "$name: clean stop" "exit status $NET_RC"; fi
	net_check_sanitizer "$name"
}
net_console_dashboard
