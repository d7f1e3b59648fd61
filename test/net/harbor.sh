# test/net/harbor.sh (sourced by test/run.sh): harbor mode with real nodes on
# loopback. Four nodes (master and t_harbor_node on harbor 1, t_harbor_node
# on 2 and 3, the testlib driver t_harbor_drive on 4): calls, sends, errors,
# large messages and global names across them; node 3 is killed with SIGKILL
# while calls wait on it, then restarted with the same id. Then a two-node
# run with harbor_secret, and a node with the wrong secret refused. Then a
# two-node run whose link is cut with nftables (packets dropped, no FIN):
# the waiting call fails within link_timeout.

# harbor_config NAME START ID MASTERPORT [extra lines...]
harbor_config() {
	local name=$1 start=$2 id=$3 mport=$4
	shift 4
	local cfg
	cfg=$(write_config "$name" "$start" "master = 127.0.0.1:$mport" "address = 127.0.0.1:0" "$@")
	sed -i "s/^harbor = 1\$/harbor = $id/" "$cfg"
	echo "$cfg"
}

# harbor_up NAME CONFIG: starts a node in the background, HB_PID[NAME] = pid.
declare -A HB_PID
harbor_up() {
	(cd "$OUT" && exec "$OUT/skynet" "$2") >"$TMP/$1.out" 2>&1 &
	HB_PID[$1]=$!
}

harbor_ready() { # harbor_ready NAME ID: waits for its node service
	local i
	for ((i = 0; i < 200; i++)); do
		grep -q "harbor node $2 ready" "$TMP/$1.log" 2>/dev/null && return 0
		kill -0 "${HB_PID[$1]}" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

harbor_down_all() {
	local n
	for n in "${!HB_PID[@]}"; do
		kill -TERM "${HB_PID[$n]}" 2>/dev/null
	done
	for n in "${!HB_PID[@]}"; do
		wait_pid "${HB_PID[$n]}" 10 >/dev/null
	done
	HB_PID=()
}

net_harbor_nodes() {
	local name=net_harbor mport
	selected "$name" || return 0
	mport=$(free_port)
	harbor_up hb1 "$(harbor_config hb1 t_harbor_node 1 "$mport" "standalone = 127.0.0.1:$mport")"
	if ! harbor_ready hb1 1; then
		notok "$name: master node up"
		show_tail "$TMP/hb1.log" "$TMP/hb1.out"
		harbor_down_all
		return
	fi
	harbor_up hb2 "$(harbor_config hb2 t_harbor_node 2 "$mport")"
	harbor_ready hb2 2
	harbor_up hb3 "$(harbor_config hb3 t_harbor_node 3 "$mport")"
	if ! harbor_ready hb2 2 || ! harbor_ready hb3 3; then
		notok "$name: nodes 2 and 3 up"
		show_tail "$TMP/hb2.log" "$TMP/hb3.log"
		harbor_down_all
		return
	fi
	local cfg3=$TMP/hb3.conf
	harbor_up hb4 "$(harbor_config hb4 t_harbor_drive 4 "$mport")"
	local drive=${HB_PID[hb4]} killed=0 restarted=0 mkilled=0 i
	for ((i = 0; i < 1200; i++)); do
		kill -0 "$drive" 2>/dev/null || break
		if [ $killed -eq 0 ] && grep -q "HARBOR_KILL 3" "$TMP/hb4.log" 2>/dev/null; then
			kill -KILL "${HB_PID[hb3]}"
			wait "${HB_PID[hb3]}" 2>/dev/null
			killed=1
		fi
		if [ $mkilled -eq 0 ] && grep -q "HARBOR_KILL 1" "$TMP/hb4.log" 2>/dev/null; then
			kill -KILL "${HB_PID[hb1]}"
			wait "${HB_PID[hb1]}" 2>/dev/null
			mkilled=1
		fi
		if [ $restarted -eq 0 ] && grep -q "HARBOR_RESTART 3" "$TMP/hb4.log" 2>/dev/null; then
			sed -i "s|^logger = .*|logger = $TMP/hb3b.log|" "$cfg3"
			harbor_up hb3b "$cfg3"
			restarted=1
		fi
		sleep 0.05
	done
	wait_pid "$drive" 5 >/dev/null
	net_cases "$name" "$TMP/hb4.log"
	if grep -q "Drop message to harbor 3 from" "$TMP/hb4.log"; then
		ok "$name: a send to the dead node is dropped with a log line"
	else
		notok "$name: a send to the dead node is dropped with a log line"
	fi
	if grep -q "slave 3 is down" "$TMP/hb1.log"; then ok "$name: the master saw node 3 go"; else
		notok "$name: the master saw node 3 go"
		show_tail "$TMP/hb1.log"
	fi
	harbor_down_all
	net_clean hb1 "failed on purpose"
	net_clean hb2 "failed on purpose"
	net_clean hb3 "failed on purpose"
	net_clean hb3b "failed on purpose"
	net_clean hb4
}

net_harbor_secret() {
	local name=net_harbor_secret mport
	selected "$name" || return 0
	mport=$(free_port)
	harbor_up hs1 "$(harbor_config hs1 t_harbor_node 1 "$mport" "standalone = 127.0.0.1:$mport" \
		"harbor_secret = open sesame")"
	if ! harbor_ready hs1 1; then
		notok "$name: master node up"
		show_tail "$TMP/hs1.log" "$TMP/hs1.out"
		harbor_down_all
		return
	fi
	harbor_up hs4 "$(harbor_config hs4 t_harbor_drive 4 "$mport" "harbor_secret = open sesame" \
		"harbor_drive = quick" "harbor_drive_huge = 1")"
	wait_pid "${HB_PID[hs4]}" 60 >/dev/null
	net_cases "$name" "$TMP/hs4.log"
	if grep -q "open sesame" "$TMP/hs1.out" "$TMP/hs4.out" 2>/dev/null; then
		notok "$name: the secret is not printed"
	fi
	# the wrong secret: the master refuses the node, which stops
	local cfg rc
	cfg=$(harbor_config hs5 t_harbor_node 5 "$mport" "harbor_secret = open barley")
	(cd "$OUT" && timeout -k 5 20 "$OUT/skynet" "$cfg") >"$TMP/hs5.out" 2>&1
	rc=$?
	if [ $rc -ne 0 ] && [ $rc -lt 124 ] && grep -q "harbor 5 cannot prove harbor_secret, refused" "$TMP/hs1.log"; then
		ok "$name: a node with the wrong secret is refused (exit $rc)"
	else
		notok "$name: a node with the wrong secret is refused" "exit $rc"
		show_tail "$TMP/hs1.log" "$TMP/hs5.log"
	fi
	# without a secret: refused too
	cfg=$(harbor_config hs6 t_harbor_node 6 "$mport")
	(cd "$OUT" && timeout -k 5 20 "$OUT/skynet" "$cfg") >"$TMP/hs6.out" 2>&1
	rc=$?
	if [ $rc -ne 0 ] && [ $rc -lt 124 ] && grep -q "harbor 6 cannot prove harbor_secret" "$TMP/hs1.log"; then
		ok "$name: a node without the secret is refused (exit $rc)"
	else
		notok "$name: a node without the secret is refused" "exit $rc"
		show_tail "$TMP/hs1.log" "$TMP/hs6.log"
	fi
	# a fake peer with the secret: its HMACs match ours; a wrong link proof
	# is refused
	local mode out runs=0 i
	for mode in call badproof call; do
		out=$(timeout 30 python3 "$ROOT/test/net/harbor_peer.py" "127.0.0.1:$mport" 9 "$mode" "open sesame" 2>&1)
		if [[ "$out" == ok* ]]; then ok "$name: fake peer $mode: ${out#ok }"; else
			notok "$name: fake peer $mode" "$out"
			show_tail "$TMP/hs1.log"
		fi
		runs=$((runs + 1))
		for ((i = 0; i < 100; i++)); do
			[ "$(grep -c "slave 9 is down" "$TMP/hs1.log")" -ge $runs ] && break
			sleep 0.05
		done
	done
	if grep -q "harbor 9 cannot prove harbor_secret, refused" "$TMP/hs1.log"; then
		ok "$name: a wrong link proof is refused with a log line"
	else
		notok "$name: a wrong link proof is refused with a log line"
	fi
	harbor_down_all
	net_clean hs1 "failed on purpose"
	net_clean hs4
}

# A fake peer (test/net/harbor_peer.py) joins as harbor 9: a call in skynet's
# frame layout is answered; malformed, oversized, truncated frames and a
# forbidden message type close the link with a log line, the node goes on.
net_harbor_frames() {
	local name=net_harbor_frames mport mode out
	selected "$name" || return 0
	mport=$(free_port)
	harbor_up hf1 "$(harbor_config hf1 t_harbor_node 1 "$mport" "standalone = 127.0.0.1:$mport")"
	if ! harbor_ready hf1 1; then
		notok "$name: master node up"
		show_tail "$TMP/hf1.log" "$TMP/hf1.out"
		harbor_down_all
		return
	fi
	local runs=0 i
	for mode in call malformed oversized truncated badtype silent call; do
		out=$(timeout 30 python3 "$ROOT/test/net/harbor_peer.py" "127.0.0.1:$mport" 9 "$mode" 2>&1)
		if [[ "$out" == ok* ]]; then ok "$name: $mode: ${out#ok }"; else
			notok "$name: $mode" "$out"
			show_tail "$TMP/hf1.log"
		fi
		# the master must see the fake go before it joins again
		runs=$((runs + 1))
		for ((i = 0; i < 100; i++)); do
			[ "$(grep -c "slave 9 is down" "$TMP/hf1.log")" -ge $runs ] && break
			sleep 0.05
		done
	done
	local want
	for want in "malformed frame from harbor 9" "oversized frame from harbor 9" \
		"harbor 9 sent a message of type 6, refused" "handshake with harbor 9 timed out"; do
		if grep -q "$want" "$TMP/hf1.log"; then ok "$name: logged: $want"; else
			notok "$name: logged: $want"
		fi
	done
	if kill -0 "${HB_PID[hf1]}" 2>/dev/null; then ok "$name: the node is still up"; else
		notok "$name: the node is still up"
		show_tail "$TMP/hf1.out"
	fi
	harbor_down_all
	net_clean hf1
}

net_harbor_nodes
net_harbor_secret
net_harbor_frames

# net_harbor_cut: nodes 1 and 2 on fixed ports; once the driver asks, the
# link between them is cut (cut_when in 00_lib.sh).
net_harbor_cut() {
	local name=net_harbor_cut
	selected "$name" || return 0
	cut_setup "$name" || return 0
	local mport p1 p2 flag=$TMP/harbor_cut.flag cfg1 cfg2
	read -r mport p1 p2 <<<"$(free_port 3 | tr '\n' ' ')"
	rm -f "$flag"
	cfg1=$(harbor_config hc1 t_harbor_node 1 "$mport" "standalone = 127.0.0.1:$mport" "link_timeout = 2")
	cfg2=$(harbor_config hc2 t_link_cut 2 "$mport" "link_timeout = 2" "cut_mode = harbor" "cut_flag = $flag")
	sed -i "s/^address = .*/address = 127.0.0.1:$p1/" "$cfg1"
	sed -i "s/^address = .*/address = 127.0.0.1:$p2/" "$cfg2"
	harbor_up hc1 "$cfg1"
	if ! harbor_ready hc1 1; then
		notok "$name: node 1 up"
		show_tail "$TMP/hc1.log" "$TMP/hc1.out"
		cut_teardown
		harbor_down_all
		return
	fi
	harbor_up hc2 "$cfg2"
	cut_when "${HB_PID[hc2]}" "$TMP/hc2.log" "$flag" "$p1, $p2"
	net_cases "$name" "$TMP/hc2.log"
	harbor_down_all
	net_clean hc1
	net_clean hc2
}

net_harbor_cut
