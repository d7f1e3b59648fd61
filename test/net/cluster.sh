# test/net/cluster.sh (sourced by test/run.sh): skynet's cluster mode with
# real nodes on loopback. Node a runs t_cluster_node, node b the testlib
# driver t_cluster_drive: call/send/proxy/register/query/reload, multi-part
# messages both ways, node a stopped while calls wait on it and started
# again. Then a pair with cluster_secret, and a node with the wrong secret
# refused.

declare -A CL_PID
cluster_up() { # cluster_up NAME CONFIG
	(cd "$OUT" && exec "$OUT/skynet" "$2") >"$TMP/$1.out" 2>&1 &
	CL_PID[$1]=$!
}

cluster_ready() { # cluster_ready NAME NODE
	local i
	for ((i = 0; i < 200; i++)); do
		grep -q "cluster node $2 ready" "$TMP/$1.log" 2>/dev/null && return 0
		kill -0 "${CL_PID[$1]}" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

cluster_stop() { # cluster_stop NAME
	kill -TERM "${CL_PID[$1]}" 2>/dev/null
	wait_pid "${CL_PID[$1]}" 10 >/dev/null
	unset "CL_PID[$1]"
}

cluster_down_all() {
	local n
	for n in "${!CL_PID[@]}"; do
		cluster_stop "$n"
	done
}

# cluster_file NAME PORT_A PORT_B: the cluster table, in skynet's Lua format.
cluster_file() {
	printf 'a = "127.0.0.1:%s"\nb = "127.0.0.1:%s"\n__nowaiting = true\n' "$2" "$3" >"$TMP/$1"
	echo "$TMP/$1"
}

net_cluster() {
	local name=net_cluster ports pa pb file cfga
	selected "$name" || return 0
	ports=$(free_port 2)
	pa=${ports% *}
	pb=${ports#* }
	file=$(cluster_file cl.nodes "$pa" "$pb")
	cfga=$(write_config cla t_cluster_node "cluster = $file" "cluster_self = a")
	cluster_up cla "$cfga"
	if ! cluster_ready cla a; then
		notok "$name: node a up"
		show_tail "$TMP/cla.log" "$TMP/cla.out"
		cluster_down_all
		return
	fi
	cluster_up clb "$(write_config clb t_cluster_drive "cluster = $file" "cluster_self = b")"
	local drive=${CL_PID[clb]} stopped=0 started=0 i
	for ((i = 0; i < 1200; i++)); do
		kill -0 "$drive" 2>/dev/null || break
		if [ $stopped -eq 0 ] && grep -q "CLUSTER_STOP a" "$TMP/clb.log" 2>/dev/null; then
			cluster_stop cla
			stopped=1
		fi
		if [ $started -eq 0 ] && grep -q "CLUSTER_START a" "$TMP/clb.log" 2>/dev/null; then
			sed -i "s|^logger = .*|logger = $TMP/cla2.log|" "$cfga"
			cluster_up cla2 "$cfga"
			started=1
		fi
		sleep 0.05
	done
	wait_pid "$drive" 5 >/dev/null
	unset "CL_PID[clb]"
	net_cases "$name" "$TMP/clb.log"
	cluster_down_all
	net_clean cla "failed on purpose"
	net_clean cla2
	net_clean clb
}

net_cluster_secret() {
	local name=net_cluster_secret ports pa pb file rc
	selected "$name" || return 0
	ports=$(free_port 2)
	pa=${ports% *}
	pb=${ports#* }
	file=$(cluster_file cs.nodes "$pa" "$pb")
	cluster_up csa "$(write_config csa t_cluster_node "cluster = $file" "cluster_self = a" \
		"cluster_secret = open sesame")"
	if ! cluster_ready csa a; then
		notok "$name: node a up"
		show_tail "$TMP/csa.log" "$TMP/csa.out"
		cluster_down_all
		return
	fi
	(cd "$OUT" && timeout -k 5 30 "$OUT/skynet" "$(write_config csb t_cluster_drive "cluster = $file" \
		"cluster_self = b" "cluster_secret = open sesame" "cluster_drive = secret")") >"$TMP/csb.out" 2>&1
	net_cases "$name" "$TMP/csb.log"
	if grep -q "open sesame" "$TMP"/cs*.log "$TMP"/cs*.out 2>/dev/null; then
		notok "$name: the secret is not printed"
	fi
	# the wrong secret: node a refuses the link, the call fails
	(cd "$OUT" && timeout -k 5 30 "$OUT/skynet" "$(write_config csc t_cluster_drive "cluster = $file" \
		"cluster_self = b" "cluster_secret = open barley" "cluster_drive = secret")") >"$TMP/csc.out" 2>&1
	if grep -q "TEST not ok - call by cluster name" "$TMP/csc.log" &&
		grep -q "cannot prove cluster_secret, refused" "$TMP/csa.log"; then
		ok "$name: a node with the wrong secret is refused"
	else
		notok "$name: a node with the wrong secret is refused"
		show_tail "$TMP/csa.log" "$TMP/csc.log"
	fi
	# without a secret: refused too
	(cd "$OUT" && timeout -k 5 30 "$OUT/skynet" "$(write_config csd t_cluster_drive "cluster = $file" \
		"cluster_self = b" "cluster_drive = secret")") >"$TMP/csd.out" 2>&1
	if grep -q "TEST not ok - call by cluster name" "$TMP/csd.log" &&
		[ "$(grep -c "cannot prove cluster_secret, refused" "$TMP/csa.log")" -ge 2 ]; then
		ok "$name: a node without the secret is refused"
	else
		notok "$name: a node without the secret is refused"
		show_tail "$TMP/csa.log" "$TMP/csd.log"
	fi
	cluster_down_all
	net_clean csa "failed on purpose"
	net_clean csb
}

# skynet's own example flow (cluster1/cluster2 style): tables set by
# cluster.reload, two names on one node, proxy "node@name", traces, snax.
net_cluster_skynet() {
	local name=net_cluster_skynet ports p1 p2 extra
	selected "$name" || return 0
	ports=$(free_port 2)
	p1=${ports% *}
	p2=${ports#* }
	extra=("cluster_db_port = $p1" "cluster_db2_port = $p2" "snax = $ROOT/test/lua/?.lua")
	cluster_up csk1 "$(write_config csk1 t_cluster_db "${extra[@]}")"
	if ! cluster_ready csk1 db; then
		notok "$name: node db up"
		show_tail "$TMP/csk1.log" "$TMP/csk1.out"
		cluster_down_all
		return
	fi
	(cd "$OUT" && timeout -k 5 30 "$OUT/skynet" "$(write_config csk2 t_cluster_game "${extra[@]}")") \
		>"$TMP/csk2.out" 2>&1
	net_cases "$name" "$TMP/csk2.log"
	if grep -q "cluster db" "$TMP/csk2.log" && grep -q "(.*-db-[0-9]*)" "$TMP/csk1.log"; then
		ok "$name: the trace tag crosses the link"
	else
		notok "$name: the trace tag crosses the link"
		show_tail "$TMP/csk1.log" "$TMP/csk2.log"
	fi
	cluster_down_all
	net_clean csk1
	net_clean csk2
}

# The two-node example of examples/ (config.c1, config.c2), on test ports.
net_cluster_example() {
	local name=net_cluster_example ports pa pb n
	selected "$name" || return 0
	ports=$(free_port 2)
	pa=${ports% *}
	pb=${ports#* }
	sed -e "s/:2528/:$pa/" -e "s/:2529/:$pb/" "$ROOT/examples/clustername.lua" >"$TMP/ex.nodes"
	for n in 1 2; do
		sed -e "s|\./examples/clustername.lua|$TMP/ex.nodes|" -e "s|\./|$ROOT/|g" \
			-e "s|^cpath = .*|cpath = $OUT/cservice/?.so|" "$ROOT/examples/config.c$n" >"$TMP/ex$n.conf"
		printf 'lua_cpath = %s/luaclib/?.so;%s/?.so\nlogger = %s/ex%s.log\n' "$OUT" "$CMOD" "$TMP" "$n" >>"$TMP/ex$n.conf"
	done
	cluster_up ex1 "$TMP/ex1.conf"
	local i
	for ((i = 0; i < 200; i++)); do
		grep -q "node db is up" "$TMP/ex1.log" 2>/dev/null && break
		sleep 0.05
	done
	cluster_up ex2 "$TMP/ex2.conf"
	for ((i = 0; i < 200; i++)); do
		grep -q "cluster example: done" "$TMP/ex2.log" 2>/dev/null && break
		sleep 0.05
	done
	if grep -q "GET a = foobar" "$TMP/ex2.log" && grep -q "proxy GET c = through a proxy" "$TMP/ex2.log" &&
		grep -q "GET d = sent" "$TMP/ex2.log"; then
		ok "$name: node game calls node db (by name, local name, proxy, send)"
	else
		notok "$name: node game calls node db"
		show_tail "$TMP/ex1.log" "$TMP/ex2.log" "$TMP/ex2.out"
	fi
	cluster_down_all
	net_clean ex1
	net_clean ex2
}

net_cluster
net_cluster_secret
net_cluster_skynet
net_cluster_example

# net_cluster_cut: once the driver on node b asks, node a's cluster port is
# cut (cut_when in 00_lib.sh); the call waiting on a fails within
# link_timeout.
net_cluster_cut() {
	local name=net_cluster_cut ports pa pb file flag=$TMP/cluster_cut.flag
	selected "$name" || return 0
	cut_setup "$name" || return 0
	ports=$(free_port 2)
	pa=${ports% *}
	pb=${ports#* }
	rm -f "$flag"
	file=$(cluster_file cc.nodes "$pa" "$pb")
	cluster_up cca "$(write_config cca t_cluster_node "cluster = $file" "cluster_self = a" "link_timeout = 2")"
	if ! cluster_ready cca a; then
		notok "$name: node a up"
		show_tail "$TMP/cca.log" "$TMP/cca.out"
		cut_teardown
		cluster_down_all
		return
	fi
	cluster_up ccb "$(write_config ccb t_link_cut "cluster = $file" "cluster_self = b" "link_timeout = 2" \
		"cut_mode = cluster" "cut_flag = $flag")"
	cut_when "${CL_PID[ccb]}" "$TMP/ccb.log" "$flag" "$pa"
	unset "CL_PID[ccb]"
	net_cases "$name" "$TMP/ccb.log"
	cluster_down_all
	net_clean cca
	net_clean ccb
}

net_cluster_cut
