# test/net/cluster_etcd.sh (sourced by test/run.sh): cluster membership
# through a real etcd (Debian's etcd-server, started here on loopback with
# free ports and a temporary data dir, stopped after). Nodes e1 and e2
# (t_cluster_node) and the driver e3 (t_cluster_etcd) register under a lease
# of 2 s; e2 is killed with SIGKILL and must be seen gone within the lease;
# etcd is stopped (the table stays) and started again, e2 rejoins. About 15 s.

ETCD_PID=
etcd_up() { # etcd_up CLIENT_PORT PEER_PORT DATA_DIR
	etcd --data-dir "$3" --name t --listen-client-urls "http://127.0.0.1:$1" \
		--advertise-client-urls "http://127.0.0.1:$1" --listen-peer-urls "http://127.0.0.1:$2" \
		--initial-advertise-peer-urls "http://127.0.0.1:$2" --initial-cluster "t=http://127.0.0.1:$2" \
		>>"$TMP/etcd.out" 2>&1 &
	ETCD_PID=$!
	local i
	for ((i = 0; i < 100; i++)); do
		curl -s -m 1 -X POST "http://127.0.0.1:$1/v3/kv/range" -d '{"key":"AA=="}' >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

etcd_down() {
	[ -n "$ETCD_PID" ] || return 0
	kill -TERM "$ETCD_PID" 2>/dev/null
	wait_pid "$ETCD_PID" 10 >/dev/null
	ETCD_PID=
}

net_cluster_etcd() {
	local name=net_cluster_etcd ports cp pp
	selected "$name" || return 0
	if ! command -v etcd >/dev/null || ! command -v curl >/dev/null; then
		skip_required "$name" "etcd-server (etcd) or curl not installed"
		return 0
	fi
	ports=$(free_port 2)
	cp=${ports% *}
	pp=${ports#* }
	local data="$TMP/etcd.data"
	if ! etcd_up "$cp" "$pp" "$data"; then
		notok "$name: etcd up"
		show_tail "$TMP/etcd.out"
		etcd_down
		return
	fi
	printf '__nowaiting = true\n' >"$TMP/ce.nodes"
	local common=("cluster = $TMP/ce.nodes" "cluster_etcd = 127.0.0.1:$cp" "cluster_etcd_prefix = /t/$$/"
		"cluster_etcd_ttl = 2")
	local n cfg2
	for n in e1 e2; do
		cluster_up "c$n" "$(write_config "c$n" t_cluster_node "${common[@]}" "cluster_self = $n" \
			"cluster_nodename = $n")"
	done
	cfg2=$TMP/ce2.conf
	if ! cluster_ready ce1 e1 || ! cluster_ready ce2 e2; then
		notok "$name: nodes e1 and e2 up"
		show_tail "$TMP/ce1.log" "$TMP/ce2.log"
		cluster_down_all
		etcd_down
		return
	fi
	cluster_up ce3 "$(write_config ce3 t_cluster_etcd "${common[@]}" "cluster_nodename = e3")"
	local drive=${CL_PID[ce3]} killed=0 stopped=0 started=0 restarted=0 i
	for ((i = 0; i < 800; i++)); do
		kill -0 "$drive" 2>/dev/null || break
		if [ $killed -eq 0 ] && grep -q "CLUSTER_KILL e2" "$TMP/ce3.log" 2>/dev/null; then
			kill -KILL "${CL_PID[ce2]}"
			wait "${CL_PID[ce2]}" 2>/dev/null
			unset "CL_PID[ce2]"
			killed=1
		fi
		if [ $stopped -eq 0 ] && grep -q "ETCD_STOP" "$TMP/ce3.log" 2>/dev/null; then
			etcd_down
			stopped=1
		fi
		if [ $started -eq 0 ] && grep -q "ETCD_START" "$TMP/ce3.log" 2>/dev/null; then
			etcd_up "$cp" "$pp" "$data" || notok "$name: etcd up again"
			started=1
		fi
		if [ $restarted -eq 0 ] && grep -q "CLUSTER_START e2" "$TMP/ce3.log" 2>/dev/null; then
			sed -i "s|^logger = .*|logger = $TMP/ce2b.log|" "$cfg2"
			cluster_up ce2b "$cfg2"
			restarted=1
		fi
		sleep 0.05
	done
	wait_pid "$drive" 5 >/dev/null
	unset "CL_PID[ce3]"
	net_cases "$name" "$TMP/ce3.log"
	local outages recoveries
	outages=$(grep -c "cluster etcd .* unreachable" "$TMP/ce1.log")
	recoveries=$(grep -c "cluster etcd .* reachable again" "$TMP/ce1.log")
	if [ "$outages" -eq 1 ] && [ "$recoveries" -eq 1 ]; then
		ok "$name: the etcd outage is logged once, the recovery too"
	else
		notok "$name: the etcd outage is logged once, the recovery too" "$outages outage, $recoveries recovery lines"
		show_tail "$TMP/ce1.log"
	fi
	cluster_down_all
	etcd_down
	net_clean ce1
	net_clean ce2b
	net_clean ce3
}

net_cluster_etcd
