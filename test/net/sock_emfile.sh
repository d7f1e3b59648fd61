# test/net/sock_emfile.sh: the example server under `ulimit -n 256` with 300
# clients: the socket thread must not spin (CPU time from /proc/PID/stat), the
# log must not flood (at most about one accept-failure line a second), the
# clients already in keep being served, the ones waiting get in as soon as
# others leave, and nothing is left half-open (CLOSE-WAIT) or leaked.
# Helpers (sp_*) are in 01_sock_lib.sh.

# CPU seconds (user + system) the node has used so far.
se_cpu() {
	awk '{ printf "%.2f\n", ($14 + $15) / 100 }' "/proc/$NET_PID/stat" 2>/dev/null || echo 0
}

net_sock_emfile() {
	local name=net_sock_emfile
	selected "$name" || return 0
	if ! (ulimit -n 256) 2>/dev/null; then
		ok "$name: skipped (cannot set ulimit -n 256 here)"
		return
	fi
	if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt 400 ]; then
		ok "$name: skipped (the clients need 300 fds; hard limit $(ulimit -Hn))"
		return
	fi
	# the node alone runs with 256 fds; the python clients keep this shell's limit
	NET_ULIMIT=256 sp_boot "$name" "gate_max_per_address = 0" "gate_idle_timeout = 0" || return
	local base cpu0 cpu1 out
	base=$(net_fds)
	cpu0=$(se_cpu)
	local t0=$SECONDS
	# the clients need 300 fds of their own: raise the soft limit for them
	out=$(ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)"; SP_TIMEOUT=60 sp_load hold 127.0.0.1 "$SP_PORT" 300 4)
	local secs=$((SECONDS - t0))
	cpu1=$(se_cpu)
	echo "# $(tr '\n' ';' <<<"$out") in ${secs} s; node CPU $(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { print b - a }') s"
	local served more
	served=$(sed -n 's/^served \([0-9]*\) of 300.*/\1/p' <<<"$out")
	more=$(sed -n 's/^freed [0-9]*, served \([0-9]*\) more.*/\1/p' <<<"$out")
	if [ -n "$served" ] && [ "$served" -ge 150 ] && [ "$served" -lt 300 ]; then
		ok "$name: $served of 300 clients served within the fd limit"
	else
		notok "$name: clients served within the fd limit" "$out"
	fi
	if grep -q "^echo ok" <<<"$out"; then ok "$name: a connected client is still served"; else
		notok "$name: a connected client is still served" "$out"; fi
	if [ -n "$more" ] && [ "$more" -ge 1 ]; then ok "$name: waiting clients get in once others leave ($more)"; else
		notok "$name: waiting clients get in once others leave" "$out"; fi
	# no spin: 300 logins and agents cost well under a second of CPU here;
	# a spinning socket thread burns ~1 s per second
	if awk -v a="$cpu0" -v b="$cpu1" -v s="$secs" 'BEGIN { exit !(b - a < 0.5 * s + 1) }'; then
		ok "$name: no spin while out of fds"
	else
		notok "$name: no spin while out of fds" "CPU $cpu0 -> $cpu1 in $secs s"
	fi
	local lines
	lines=$(grep -c "accept on listener" "$TMP/$name.log")
	if [ "$lines" -ge 1 ] && [ "$lines" -le $((secs + 2)) ]; then
		ok "$name: refusals logged at most once a second ($lines lines in $secs s)"
	else
		notok "$name: refusals logged at most once a second" "$lines lines in $secs s"
	fi
	local n cw
	n=$(net_wait_fds "$base" 10)
	# clients that left while waiting in the backlog are accepted, seen
	# closed and released once the listener's back-off (at most 1 s) ends
	local i
	for ((i = 0; i < 60; i++)); do
		cw=$(ss -tanH state close-wait "( sport = :$SP_PORT )" 2>/dev/null | wc -l)
		[ "$cw" -eq 0 ] && break
		sleep 0.1
	done
	if [ "$cw" -eq 0 ]; then ok "$name: nothing left in CLOSE-WAIT"; else notok "$name: nothing left in CLOSE-WAIT" "$cw sockets"; fi
	if [ "$n" -le "$base" ]; then ok "$name: fd count back to baseline ($n <= $base)"; else
		notok "$name: fd count back to baseline" "$n > $base"; fi
	sp_good "$name" "after all"
	sp_finish "$name"
}

net_sock_emfile
