# test/net/sock_protect.sh: the example game server under hostile clients
# (test/net/t_sockload.py): a reader that never reads (write limit), a client
# flooding requests (back-pressure), a reply too big for a packet, idle
# connections holding every slot (idle timeout), one address taking many
# slots (per-address cap), and an agent that cannot start. Each checks the
# node's RSS (/proc/PID/status), its log, and that a good client is served.
# Helpers (sp_*) are in 01_sock_lib.sh.

# A client that sends requests and never reads the replies: its socket passes
# the write limit and is closed, with one log line; memory stays bounded.
net_sock_write_limit() {
	local name=net_sock_write_limit
	selected "$name" || return 0
	sp_boot "$name" "socket_write_limit = 8M" || return
	local base out rc peak n
	base=$(sp_rss_kb)
	out=$(sp_load slowreader 127.0.0.1 "$SP_PORT" 256)
	rc=$?
	peak=$(sp_rss_kb)
	if [ $rc -eq 0 ]; then ok "$name: the never-reading client is closed ($out)"; else
		notok "$name: the never-reading client is closed" "$out"; fi
	# the core's line; the watchdog then logs the error event it got
	n=$(grep -c "socket [0-9]*: write buffer overflow:" "$TMP/$name.log")
	if [ "$n" -eq 1 ]; then ok "$name: one overflow log line"; else
		notok "$name: one overflow log line" "$n lines"; grep "overflow" "$TMP/$name.log" | head -3 | sed 's/^/# /'; fi
	echo "# RSS ${base} kB before, ${peak} kB after 256 MiB of replies to a non-reader"
	if sp_asan || [ $((peak - base)) -lt 102400 ]; then ok "$name: RSS bounded"; else
		notok "$name: RSS bounded" "grew $(((peak - base) / 1024)) MiB"; fi
	sp_good "$name" "afterwards"
	sp_finish "$name"
}

# A client pipelining requests at wire speed (and reading its replies): the
# gate stops reading it while its agent is behind, so the agent's queue, and
# the node's RSS, stay small; others are served meanwhile.
net_sock_input_flood() {
	local name=net_sock_input_flood
	selected "$name" || return 0
	sp_boot "$name" || return
	local base peak=0 r out i
	base=$(sp_rss_kb)
	sp_load flood 127.0.0.1 "$SP_PORT" 6 >"$TMP/$name.flood" &
	local fpid=$!
	for ((i = 0; i < 30; i++)); do
		sleep 0.2
		r=$(sp_rss_kb)
		[ "$r" -gt "$peak" ] && peak=$r
		[ $i -eq 10 ] && sp_good "$name" "during the flood"
	done
	wait "$fpid"
	out=$(cat "$TMP/$name.flood")
	echo "# flood: $out; RSS ${base} kB before, peak ${peak} kB"
	if grep -q "^sent [1-9]" <<<"$out"; then ok "$name: flood ran"; else notok "$name: flood ran" "$out"; fi
	if sp_asan || [ $((peak - base)) -lt 153600 ]; then ok "$name: RSS bounded under the flood"; else
		notok "$name: RSS bounded under the flood" "grew $(((peak - base) / 1024)) MiB"; fi
	sp_good "$name" "after the flood"
	sp_finish "$name"
}

# A reply over 65,535 bytes gets an error reply, and the link goes on.
net_sock_big_reply() {
	local name=net_sock_big_reply
	selected "$name" || return 0
	sp_boot "$name" || return
	local out
	out=$(sp_load bigreply 127.0.0.1 "$SP_PORT")
	if [ $? -eq 0 ]; then ok "$name: error reply for a reply too large ($out)"; else
		notok "$name: error reply for a reply too large" "$out"; fi
	sp_finish "$name"
}

# Idle connections holding every slot are closed after gate_idle_timeout, so
# a later client gets in; one address is capped at gate_max_per_address.
net_sock_idle_slots() {
	local name=net_sock_idle_slots
	selected "$name" || return 0
	sp_boot "$name" "maxclient = 20" "gate_idle_timeout = 2" "gate_max_per_address = 0" || return
	local fifo="$TMP/$name.fifo" out
	mkfifo "$fifo"
	sp_load idle 127.0.0.1 "$SP_PORT" 20 <"$fifo" >"$TMP/$name.idle" &
	local ipid=$!
	exec 7>"$fifo"
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(grep -c "connected from" "$TMP/$name.log")" -ge 20 ] && break
		sleep 0.05
	done
	out=$(sp_load closed 127.0.0.1 "$SP_PORT")
	if [ "$out" = "closed at once" ]; then ok "$name: all slots taken by idle clients"; else
		notok "$name: all slots taken by idle clients" "$out"; fi
	if net_wait_log "$name" "closed 20 client(s) idle" 6; then ok "$name: idle clients closed"; else
		notok "$name: idle clients closed" "no log line"; fi
	sleep 0.2
	sp_good "$name" "once the idle ones are gone"
	exec 7>&-
	wait "$ipid"
	sp_finish "$name"

	name=net_sock_per_address
	selected "$name" || return 0
	sp_boot "$name" "gate_max_per_address = 5" || return
	rm -f "$fifo"
	mkfifo "$fifo"
	sp_load idle 127.0.0.1 "$SP_PORT" 5 <"$fifo" >/dev/null &
	ipid=$!
	exec 7>"$fifo"
	for ((i = 0; i < 100; i++)); do
		[ "$(grep -c "connected from" "$TMP/$name.log")" -ge 5 ] && break
		sleep 0.05
	done
	out=$(sp_load closed 127.0.0.1 "$SP_PORT")
	if [ "$out" = "closed at once" ]; then ok "$name: a 6th connection from one address is refused"; else
		notok "$name: a 6th connection from one address is refused" "$out"; fi
	if net_wait_log "$name" "over max_per_address" 3; then ok "$name: refusal logged"; else
		notok "$name: refusal logged" "no log line"; fi
	exec 7>&-
	wait "$ipid"
	sleep 0.3
	sp_good "$name" "once the address is below its cap"
	sp_finish "$name"
}

# newservice fails (no agent.lua): the client is kicked, not left half-open.
net_sock_agent_fails() {
	local name=net_sock_agent_fails
	selected "$name" || return 0
	local dir="$TMP/$name.svc"
	mkdir -p "$dir"
	cp "$ROOT/examples/main.lua" "$ROOT/examples/watchdog.lua" "$dir/"
	SP_SERVICE_DIR=$dir sp_boot "$name" || return
	local base out
	base=$(net_fds)
	out=$(sp_load closed 127.0.0.1 "$SP_PORT")
	if [ "$out" = "closed at once" ]; then ok "$name: the client is kicked"; else
		notok "$name: the client is kicked" "$out"; fi
	if net_wait_log "$name" "agent failed to start" 3; then ok "$name: failure logged"; else
		notok "$name: failure logged" "no log line"; fi
	local n
	n=$(net_wait_fds "$base" 5)
	if [ "$n" -le "$base" ]; then ok "$name: no fd left behind"; else notok "$name: no fd left behind" "$n > $base"; fi
	sp_finish "$name" "launch service \"agent\" failed|service 'agent' not found|agent failed to start"
}

net_sock_write_limit
net_sock_input_flood
net_sock_big_reply
net_sock_idle_slots
net_sock_agent_fails
