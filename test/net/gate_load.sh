# test/net/gate_load.sh: the Lua gate with echo agents under real load:
# 1,000 concurrent loadclient connections (every reply checked byte for byte),
# after malformed clients; the node's fd count must return to its baseline.
net_gate_load() {
	local name=net_gate_load port
	selected "$name" || return 0
	if [ "$FD_LIMIT" -lt 3000 ]; then
		skip "$name" "needs 3000 file descriptors, the hard limit is $FD_LIMIT"
		return 0
	fi
	port=$(free_port)
	local cfg
	cfg=$(write_config "$name" t_echogate "echo_port = $port" "echo_maxclient = 3000")
	net_start "$name" "$cfg"
	if ! net_wait_log "$name" "echogate ready" 15; then
		notok "$name: node ready" "no 'echogate ready' line"
		tail -5 "$TMP/$name.log" "$TMP/$name.out" 2>/dev/null | sed 's/^/# /'
		net_stop
		return
	fi
	local base
	base=$(net_fds)

	# Malformed clients: a lone header byte, a maximal header with a short body,
	# junk; each leaves mid-packet.
	local i
	for ((i = 0; i < 20; i++)); do
		(
			exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
			case $((i % 3)) in
			0) printf '\001' >&3 ;;
			1) printf '\377\377short body' >&3 ;;
			2) head -c 3000 /dev/urandom >&3 ;;
			esac
			exec 3>&-
		) 2>/dev/null
	done
	sleep 0.2

	local out rc
	out=$("$BUILD/bin/loadclient" -v -t 20 127.0.0.1 "$port" 1000 10 100 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		ok "$name: 1000 connections x 10 echo round trips through the gate"
	else
		notok "$name: 1000 connections through the gate" "loadclient exit $rc"
		echo "$out" | tail -5 | sed 's/^/# /'
		grep -v "LAUNCH\|May overload" "$TMP/$name.log" | tail -8 | sed 's/^/# node: /'
	fi
	echo "# $(echo "$out" | tail -1)"

	out=$("$BUILD/bin/loadclient" 127.0.0.1 "$port" 20 5 60000 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then ok "$name: large packets (60000 bytes)"; else
		notok "$name: large packets" "loadclient exit $rc"; echo "$out" | tail -3 | sed 's/^/# /'
	fi

	local n
	n=$(net_wait_fds "$base" 10)
	if [ "$n" -le "$base" ]; then
		ok "$name: fd count back to baseline ($n <= $base)"
	else
		notok "$name: fd count back to baseline" "$n fds, baseline $base"
	fi
	net_stop
	if [ "$NET_RC" -eq 0 ]; then ok "$name: clean stop"; else notok "$name: clean stop" "exit status $NET_RC"; fi
	net_check_sanitizer "$name"
}
net_gate_load
