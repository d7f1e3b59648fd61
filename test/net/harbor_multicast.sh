# test/net/harbor_multicast.sh (sourced by test/run.sh after harbor.sh, whose
# helpers it uses): skynet.multicast across two harbor nodes on loopback.
# Node 1 (master) runs t_mcnode, node 2 the testlib driver t_mcdrive.

net_harbor_multicast() {
	local name=net_harbor_multicast mport
	selected "$name" || return 0
	mport=$(free_port)
	harbor_up hm1 "$(harbor_config hm1 t_mcnode 1 "$mport" "standalone = 127.0.0.1:$mport")"
	if ! harbor_ready hm1 1; then
		notok "$name: node 1 up"
		show_tail "$TMP/hm1.log" "$TMP/hm1.out"
		harbor_down_all
		return
	fi
	harbor_up hm2 "$(harbor_config hm2 t_mcdrive 2 "$mport")"
	wait_pid "${HB_PID[hm2]}" 90 >/dev/null
	net_cases "$name" "$TMP/hm2.log" "unknown channel"
	harbor_down_all
	net_clean hm1 "unknown channel"
	net_clean hm2 "unknown channel"
}

net_harbor_multicast
