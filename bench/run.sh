#!/usr/bin/env bash
# bench/run.sh: the benchmark suite, as `make bench` runs it.
#
# Each benchmark is a Lua start service bench/bench_NAME.lua (or, for the echo
# benchmarks, a Lua echo server driven by build/<mode>/bin/loadclient). Every
# run boots the real daemon on a generated config, collects the
# "BENCH <figure> <value> <unit> ..." lines the service logs, and stops the
# node. Each benchmark is booted BENCH_RUNS times (default 3) and the table at
# the end shows the median of those boots per figure, the single runs, the
# configuration, and the target with whether it is met.
#
# Environment: BENCH_FILTER (regex on benchmark names), BENCH_RUNS,
# BENCH_THREAD (worker threads, default: number of cores), BENCH_TIMEOUT
# (seconds per boot, default 120), BENCH_CONNECT_N (connections of `connect`,
# default 10000), SKYNET_OUT / SKYNET_BUILD (as test/run.sh),
# BENCH_KEEP=1 keeps the logs in the temp folder, BENCH_CONFIG: extra config
# lines for every boot, separated by ";" (e.g. "bench_n = 1000" for a quick
# smoke run; the table then no longer measures the stated workloads).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$(cd "${SKYNET_OUT:-$ROOT}" && pwd)
BUILD=$(cd "${SKYNET_BUILD:-$ROOT/build/release}" && pwd)
FILTER=${BENCH_FILTER:-.}
RUNS=${BENCH_RUNS:-3}
THREAD=${BENCH_THREAD:-$(nproc)}
LIMIT=${BENCH_TIMEOUT:-120}
HARBOR=1
TMP=$(mktemp -d /tmp/skynet-bench.XXXXXX)
if [ "${BENCH_KEEP:-0}" = 1 ]; then
	echo "# logs kept in $TMP"
else
	trap 'rm -rf "$TMP"' EXIT
fi
CMOD=$(pkg-config --variable=INSTALL_CMOD lua5.4 2>/dev/null || echo /usr/lib/x86_64-linux-gnu/lua/5.4)
PAGESIZE=$(getconf PAGESIZE 2>/dev/null || echo 4096)

# How the daemon was built, read from its own debug info and dynamic links.
build_flags() {
	local opt alloc
	opt=$(readelf --debug-dump=info "$OUT/skynet" 2>/dev/null | grep DW_AT_producer |
		grep -m1 -- '-std=gnu11' | grep -o -- ' -O[0-3sgz]\?' | tr -d ' ')
	if ldd "$OUT/skynet" 2>/dev/null | grep -q jemalloc; then alloc=jemalloc; else alloc=libc-malloc; fi
	if nm -D "$OUT/skynet" 2>/dev/null | grep -q __asan_init; then alloc="$alloc,asan"; fi
	echo "${opt:--O?} $alloc"
}
BUILDFLAGS=$(build_flags)
CONFIG="thread=$THREAD harbor=$HARBOR build=${BUILDFLAGS// /,} cores=$(nproc)"

# write_config NAME START [extra lines...]: a config in $TMP, prints its path.
write_config() {
	local name=$1 start=$2
	shift 2
	local cfg="$TMP/$name.conf"
	{
		echo "thread = $THREAD"
		echo "harbor = $HARBOR"
		echo "start = $start"
		echo "cpath = $OUT/cservice/?.so"
		echo "lualoader = $ROOT/lualib/loader.lua"
		echo "luaservice = $ROOT/service/?.lua;"
		echo "	$ROOT/bench/?.lua"
		echo "lua_path = $ROOT/lualib/?.lua;"
		echo "	$ROOT/lualib/?/init.lua;"
		echo "	$ROOT/bench/?.lua"
		echo "lua_cpath = $OUT/luaclib/?.so;$CMOD/?.so"
		echo "logger = $TMP/$name.log"
		echo "bench_pagesize = $PAGESIZE"
		[ -n "${BENCH_CONFIG:-}" ] && tr ';' '\n' <<<"$BENCH_CONFIG"
		for line in "$@"; do echo "$line"; done
	} >"$cfg"
	echo "$cfg"
}

# Results: figure -> space-separated values of each run, unit, first seen order.
declare -A VALUES UNITS
ORDER=()
FAILURES=()
SKIPS=()

record() { # record FIGURE VALUE UNIT
	if [ -z "${VALUES[$1]+x}" ]; then
		ORDER+=("$1")
		VALUES[$1]=""
	fi
	VALUES[$1]="${VALUES[$1]} $2"
	UNITS[$1]=$3
}

# collect LOG NAME RUN: records the BENCH lines of one boot; fails if the
# service reported an error or never finished.
collect() {
	local log=$1 name=$2 run=$3 line fig val unit
	if grep -q "BENCH_ERROR" "$log"; then
		FAILURES+=("$name run $run: $(grep -m1 -o 'BENCH_ERROR.*' "$log")")
		return 1
	fi
	if ! grep -q "BENCH_DONE" "$log"; then
		FAILURES+=("$name run $run: did not finish; log tail: $(tail -3 "$log" | tr '\n' ' ')")
		return 1
	fi
	while read -r line; do
		set -- ${line#*BENCH }
		fig=$1 val=$2 unit=$3
		record "$fig" "$val" "$unit"
	done < <(grep -o 'BENCH [a-z_0-9]* .*' "$log")
}

# sanitizer_check OUTPUT WHAT: an ASan/UBSan report in a run is a failure.
sanitizer_check() {
	local san
	san=$(grep -m1 -E "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$1" 2>/dev/null)
	[ -z "$san" ] || FAILURES+=("$2: sanitizer: $san")
}

# run_lua NAME [extra config lines...]: boots bench_NAME RUNS times.
run_lua() {
	local name=$1
	shift
	[[ "$name" =~ $FILTER ]] || return 0
	local r
	for r in $(seq 1 "$RUNS"); do
		local cfg log rc
		cfg=$(write_config "$name.$r" "bench_$name" "$@")
		log="$TMP/$name.$r.log"
		(cd "$OUT" && timeout -k 5 "$LIMIT" "$OUT/skynet" "$cfg") >"$TMP/$name.$r.out" 2>&1
		rc=$?
		collect "$log" "$name" "$r" || true
		[ $rc -eq 0 ] || FAILURES+=("$name run $r: exit status $rc")
		sanitizer_check "$TMP/$name.$r.out" "$name run $r"
		echo "# $name run $r: $(grep -o 'BENCH [a-z_0-9]* [^ ]* [^ ]*' "$log" 2>/dev/null |
			cut -d' ' -f2-4 | tr '\n' ';')"
	done
}

# run_echo NAME CONNECTIONS ROUNDS SIZE: boots bench_echo (a Lua echo server),
# waits for it to listen, drives it with loadclient, then stops the node.
run_echo() {
	local name=$1 conns=$2 rounds=$3 size=$4
	[[ "$name" =~ $FILTER ]] || return 0
	local client="$BUILD/bin/loadclient"
	if [ ! -x "$client" ]; then
		FAILURES+=("$name: $client not built")
		return
	fi
	local r
	for r in $(seq 1 "$RUNS"); do
		# Below the ephemeral range (32768+), where client sockets could hold it.
		local port=$((21000 + RANDOM % 10000))
		local cfg log pid i out rt
		cfg=$(write_config "$name.$r" "bench_echo" "bench_port = $port")
		log="$TMP/$name.$r.log"
		(cd "$OUT" && exec timeout -k 5 "$LIMIT" "$OUT/skynet" "$cfg") >"$TMP/$name.$r.out" 2>&1 &
		pid=$!
		for i in $(seq 1 100); do
			grep -q "BENCH_LISTEN\|BENCH_ERROR" "$log" 2>/dev/null && break
			sleep 0.1
		done
		if ! grep -q "BENCH_LISTEN" "$log" 2>/dev/null; then
			FAILURES+=("$name run $r: echo server did not start on port $port: $(tail -3 "$log" "$TMP/$name.$r.out" 2>/dev/null | tr '\n' ' ')")
			kill "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			continue
		fi
		out=$("$client" -v 127.0.0.1 "$port" "$conns" "$rounds" "$size" 2>"$TMP/$name.$r.client")
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		sanitizer_check "$TMP/$name.$r.out" "$name run $r"
		rt=$(sed -n 's/.*rt_per_s=\([0-9.]*\).*/\1/p' <<<"$out")
		if [ -z "$rt" ] || ! grep -q "errors=0" <<<"$out"; then
			FAILURES+=("$name run $r: loadclient: ${out:-no output} $(head -2 "$TMP/$name.$r.client" | tr '\n' ' ')")
			continue
		fi
		record "$name" "$rt" "rt/s"
		echo "# $name run $r: $out"
	done
}

# run_harbor: bench_call_harbor between two harbor nodes on loopback: harbor
# 1 (master, the callee) in the background, harbor 2 (the caller) measured.
# The two processes share the cores: each node gets half of them as workers
# (BENCH_HARBOR_THREAD), so idle workers of one node do not spin on the cores
# the other node's socket thread and workers need.
run_harbor() {
	local name=call_harbor
	[[ "$name" =~ $FILTER ]] || return 0
	local HTHREAD=${BENCH_HARBOR_THREAD:-$(( THREAD / 2 > 0 ? THREAD / 2 : 1 ))}
	local r
	for r in $(seq 1 "$RUNS"); do
		local mport=$((21000 + RANDOM % 10000)) cfg1 cfg2 pid i rc
		cfg1=$(write_config "$name.$r.callee" bench_call_harbor "bench_harbor_role = callee" \
			"master = 127.0.0.1:$mport" "standalone = 127.0.0.1:$mport" "address = 127.0.0.1:0")
		sed -i -e 's/^harbor = .*/harbor = 1/' -e "s/^thread = .*/thread = $HTHREAD/" "$cfg1"
		(cd "$OUT" && exec timeout -k 5 "$LIMIT" "$OUT/skynet" "$cfg1") >"$TMP/$name.$r.callee.out" 2>&1 &
		pid=$!
		for i in $(seq 1 100); do
			grep -q "BENCH_READY" "$TMP/$name.$r.callee.log" 2>/dev/null && break
			sleep 0.1
		done
		cfg2=$(write_config "$name.$r" bench_call_harbor "master = 127.0.0.1:$mport" "address = 127.0.0.1:0")
		sed -i -e 's/^harbor = .*/harbor = 2/' -e "s/^thread = .*/thread = $HTHREAD/" "$cfg2"
		(cd "$OUT" && timeout -k 5 "$LIMIT" "$OUT/skynet" "$cfg2") >"$TMP/$name.$r.out" 2>&1
		rc=$?
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		collect "$TMP/$name.$r.log" "$name" "$r" || true
		[ $rc -eq 0 ] || FAILURES+=("$name run $r: exit status $rc")
		sanitizer_check "$TMP/$name.$r.out" "$name run $r"
		sanitizer_check "$TMP/$name.$r.callee.out" "$name run $r (callee)"
		echo "# $name run $r: $(grep -o 'BENCH [a-z_0-9]* [^ ]* [^ ]*' "$TMP/$name.$r.log" 2>/dev/null |
			cut -d' ' -f2-4 | tr '\n' ';')"
	done
}

# run_cluster: bench_call_cluster between two cluster nodes on loopback: the
# callee node in the background, the caller measured; each with half the
# cores as workers, as run_harbor.
run_cluster() {
	local name=call_cluster
	[[ "$name" =~ $FILTER ]] || return 0
	local HTHREAD=${BENCH_HARBOR_THREAD:-$(( THREAD / 2 > 0 ? THREAD / 2 : 1 ))} r
	for r in $(seq 1 "$RUNS"); do
		local port=$((21000 + RANDOM % 10000)) nodes="$TMP/$name.$r.nodes" cfg1 cfg2 pid i rc
		printf 'callee = "127.0.0.1:%s"\n__nowaiting = true\n' "$port" >"$nodes"
		cfg1=$(write_config "$name.$r.callee" bench_call_cluster "bench_cluster_role = callee" "cluster = $nodes")
		cfg2=$(write_config "$name.$r" bench_call_cluster "cluster = $nodes")
		sed -i "s/^thread = .*/thread = $HTHREAD/" "$cfg1" "$cfg2"
		(cd "$OUT" && exec timeout -k 5 "$LIMIT" "$OUT/skynet" "$cfg1") >"$TMP/$name.$r.callee.out" 2>&1 &
		pid=$!
		for i in $(seq 1 100); do
			grep -q "BENCH_READY" "$TMP/$name.$r.callee.log" 2>/dev/null && break
			sleep 0.1
		done
		(cd "$OUT" && timeout -k 5 "$LIMIT" "$OUT/skynet" "$cfg2") >"$TMP/$name.$r.out" 2>&1
		rc=$?
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		collect "$TMP/$name.$r.log" "$name" "$r" || true
		[ $rc -eq 0 ] || FAILURES+=("$name run $r: exit status $rc")
		sanitizer_check "$TMP/$name.$r.out" "$name run $r"
		sanitizer_check "$TMP/$name.$r.callee.out" "$name run $r (callee)"
		echo "# $name run $r: $(grep -o 'BENCH [a-z_0-9]* [^ ]* [^ ]*' "$TMP/$name.$r.log" 2>/dev/null |
			cut -d' ' -f2-4 | tr '\n' ';')"
	done
}

# run_connect: the example game server (examples/main.lua: watchdog, Lua gate,
# one agent per client) on loopback, with gate_idle_timeout and
# gate_max_per_address off (every client comes from 127.0.0.1) and maxclient
# above the count; build/<mode>/bin/connload opens BENCH_CONNECT_N connections
# (default 10,000; fewer if the descriptor hard limit is short), each connected
# and answering one login request, then reads the node's VmRSS with them all
# held open and idle. Figures: connect (connections/s), connect_rss_kib (RSS
# growth per idle connection with its agent).
run_connect() {
	local name=connect
	[[ "$name" =~ $FILTER ]] || return 0
	local client="$BUILD/bin/connload" hard n
	if [ ! -x "$client" ]; then
		FAILURES+=("$name: $client not built")
		return
	fi
	n=${BENCH_CONNECT_N:-10000}
	hard=$(ulimit -Hn)
	if [ "$hard" != unlimited ] && [ "$hard" -lt $((n + 256)) ]; then
		n=$((hard - 256))
		if [ "$n" -lt 1000 ]; then
			SKIPS+=("$name: the descriptor hard limit ($hard) leaves room for fewer than 1,000 connections")
			return
		fi
		echo "# $name: descriptor hard limit $hard: $n connections instead of ${BENCH_CONNECT_N:-10000}"
	fi
	local r
	for r in $(seq 1 "$RUNS"); do
		local port=$((21000 + RANDOM % 10000))
		local cfg log pid node i out rate rss
		cfg=$(write_config "$name.$r" main "gate_port = $port" "gate_address = 127.0.0.1" \
			"maxclient = $((n + 100))" "gate_idle_timeout = 0" "gate_max_per_address = 0")
		sed -i -e "s|^luaservice = |luaservice = $ROOT/examples/?.lua;|" \
			-e "s|^lua_path = |lua_path = $ROOT/examples/?.lua;|" "$cfg"
		log="$TMP/$name.$r.log"
		(ulimit -n "$hard" 2>/dev/null; cd "$OUT" && exec timeout -k 5 "$LIMIT" "$OUT/skynet" "$cfg") \
			>"$TMP/$name.$r.out" 2>&1 &
		pid=$!
		for i in $(seq 1 100); do
			grep -q "example game server ready" "$log" 2>/dev/null && break
			sleep 0.1
		done
		node=$(cat "/proc/$pid/task/$pid/children" 2>/dev/null | cut -d' ' -f1)
		if ! grep -q "example game server ready" "$log" 2>/dev/null || [ -z "$node" ]; then
			FAILURES+=("$name run $r: example server did not start on port $port: $(tail -3 "$log" "$TMP/$name.$r.out" 2>/dev/null | tr '\n' ' ')")
			kill "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			continue
		fi
		out=$("$client" -v -p "$node" 127.0.0.1 "$port" "$n" 2>"$TMP/$name.$r.client")
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		sanitizer_check "$TMP/$name.$r.out" "$name run $r"
		rate=$(sed -n 's/.*conn_per_s=\([0-9.]*\).*/\1/p' <<<"$out")
		rss=$(sed -n 's/.*rss_per_conn_kib=\([0-9.]*\).*/\1/p' <<<"$out")
		if [ -z "$rate" ] || ! grep -q "errors=0" <<<"$out"; then
			FAILURES+=("$name run $r: connload: ${out:-no output} $(head -2 "$TMP/$name.$r.client" | tr '\n' ' ')")
			continue
		fi
		record "$name" "$rate" "conn/s"
		[ -n "$rss" ] && record connect_rss_kib "$rss" KiB
		echo "# $name run $r: $out"
	done
}

# Clients of the served benchmarks: each takes the port, prints the figure
# (empty on failure) and leaves its full output in $TMP/$name.$r.client.
client_http() { # 50 keep-alive connections for 5 s (wrk, one thread)
	local out
	out=$(wrk -t1 -c50 -d5s "http://127.0.0.1:$1/hello" 2>&1)
	echo "$out" >"$CLIENT_LOG"
	grep -q -E "Non-2xx|Socket errors" <<<"$out" && return
	sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' <<<"$out"
}
client_websocket() { # 100 connections x 2,000 sequential 64-byte echoes
	local out
	out=$("$BUILD/bin/wsload" 127.0.0.1 "$1" 100 2000 64 2>&1)
	echo "$out" >"$CLIENT_LOG"
	grep -q "errors=0" <<<"$out" || return
	sed -n 's/.*rt_per_s=\([0-9.]*\).*/\1/p' <<<"$out"
}

# run_served NAME UNIT NEED: boots bench_NAME (a server logging BENCH_LISTEN)
# RUNS times, drives it with client_NAME, stops the node; NEED is the client
# program that must exist.
run_served() {
	local name=$1 unit=$2 need=$3
	[[ "$name" =~ $FILTER ]] || return 0
	if ! command -v "$need" >/dev/null 2>&1 && [ ! -x "$need" ]; then
		FAILURES+=("$name: $need not found (make deps installs it)")
		return
	fi
	local r
	for r in $(seq 1 "$RUNS"); do
		local port=$((21000 + RANDOM % 10000))
		local cfg log pid i rate
		cfg=$(write_config "$name.$r" "bench_$name" "bench_port = $port")
		log="$TMP/$name.$r.log"
		CLIENT_LOG="$TMP/$name.$r.client"
		(cd "$OUT" && exec timeout -k 5 "$LIMIT" "$OUT/skynet" "$cfg") >"$TMP/$name.$r.out" 2>&1 &
		pid=$!
		for i in $(seq 1 100); do
			grep -q "BENCH_LISTEN\|BENCH_ERROR" "$log" 2>/dev/null && break
			sleep 0.1
		done
		if ! grep -q "BENCH_LISTEN" "$log" 2>/dev/null; then
			FAILURES+=("$name run $r: server did not start on port $port: $(tail -3 "$log" "$TMP/$name.$r.out" 2>/dev/null | tr '\n' ' ')")
			kill "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			continue
		fi
		rate=$("client_$name" "$port")
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		sanitizer_check "$TMP/$name.$r.out" "$name run $r"
		if [ -z "$rate" ]; then
			FAILURES+=("$name run $r: client: $(tail -4 "$CLIENT_LOG" | tr '\n' ' ')")
			continue
		fi
		record "$name" "$rate" "$unit"
		echo "# $name run $r: $rate $unit"
	done
}

# run_redis: a redis-server on loopback (no persistence, temp dir) for
# bench_redis (skynet.db.redis, one connection, with and without pipelining),
# then redis-benchmark against the same server as the reference: one client,
# SET and GET, without and with 100-command pipelining; pairs/s = one SET and
# one GET, so 1 / (1/set_rate + 1/get_rate).
run_redis() {
	[[ redis =~ $FILTER ]] || return 0
	local need
	for need in redis-server redis-cli redis-benchmark; do
		if ! command -v "$need" >/dev/null 2>&1; then
			FAILURES+=("redis: $need not found (make deps installs it)")
			return
		fi
	done
	local port=$((21000 + RANDOM % 10000)) i pid
	mkdir -p "$TMP/redis"
	(cd "$TMP/redis" && exec redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
		--dir "$TMP/redis") >"$TMP/redis/server.log" 2>&1 &
	pid=$!
	for i in $(seq 1 100); do
		[ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && break
		sleep 0.05
	done
	run_lua redis "bench_redis_port = $port"
	local r out set get
	for r in $(seq 1 "$RUNS"); do
		for mode in "redis_ref 50000 1" "redis_ref_pipe 500000 100"; do
			set -- $mode
			# progress lines end in \r: keep the final "CMD: N requests per second" lines
			out=$(redis-benchmark -p "$port" -c 1 -n "$2" -P "$3" -t set,get -q 2>&1 | tr '\r' '\n')
			echo "$out" >"$TMP/$1.$r.client"
			set=$(sed -n 's/^SET: \([0-9.]*\) requests.*/\1/p' <<<"$out" | tail -1)
			get=$(sed -n 's/^GET: \([0-9.]*\) requests.*/\1/p' <<<"$out" | tail -1)
			if [ -z "$set" ] || [ -z "$get" ]; then
				FAILURES+=("$1 run $r: redis-benchmark: $(tail -2 "$TMP/$1.$r.client" | tr '\n' ' ')")
				continue
			fi
			record "$1" "$(awk -v s="$set" -v g="$get" 'BEGIN { printf "%.1f", 1 / (1 / s + 1 / g) }')" pairs/s
			echo "# $1 run $r: set $set get $get"
		done
	done
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

# target FIGURE -> "OP LIMIT" (met when VALUE OP LIMIT) or nothing.
target() {
	case $1 in
	call) echo ">= 250000" ;;
	send) echo ">= 2200000" ;;
	spawn) echo ">= 5000" ;;
	spawn_rss) echo "<= 51200" ;;
	timer_p99) echo "< 10" ;;
	echo) echo ">= 120000" ;;
	echo_1k) echo ">= 95000" ;;
	connect) echo ">= 3333" ;;          # all 10,000 in under 3 s
	connect_rss_kib) echo "<= 77" ;;    # what it was when issue 9 was filed
	call_harbor) echo ">= 45300" ;;     # 3x skynet's 15.1 k/s here
	call_harbor_par) echo ">= 101100" ;; # 3x skynet's 33.7 k/s here
	call_cluster) echo ">= 22800" ;;     # 3x skynet's 7.6 k/s here
	call_cluster_par) echo ">= 44400" ;; # 3x skynet's 14.8 k/s here
	esac
}

# The table: one line per figure, median of the runs, then the runs.
report() {
	echo
	echo "== skynet benchmarks: median of $RUNS boots each; $CONFIG"
	local fig
	for fig in "${ORDER[@]}"; do
		local tgt
		tgt=$(target "$fig")
		# shellcheck disable=SC2086
		printf '%s\n' ${VALUES[$fig]} | awk -v fig="$fig" -v unit="${UNITS[$fig]}" \
			-v tgt="$tgt" -v conf="$CONFIG" '
			function commas(x,   s, neg, frac, out) {
				neg = x < 0; if (neg) x = -x
				if (x < 100) { s = sprintf("%.2f", x); return (neg ? "-" : "") s }
				s = sprintf("%.0f", x); out = ""
				while (length(s) > 3) { out = "," substr(s, length(s) - 2) out; s = substr(s, 1, length(s) - 3) }
				return (neg ? "-" : "") s out
			}
			{ v[NR] = $1 + 0; raw[NR] = $1 + 0 }
			END {
				n = NR
				for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { sw = v[i]; v[i] = v[j]; v[j] = sw }
				med = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
				runs = ""
				for (i = 1; i <= n; i++) runs = runs (i > 1 ? " " : "") commas(raw[i])
				verdict = ""
				if (tgt != "") {
					split(tgt, tp, " "); lim = tp[2] + 0
					met = (tp[1] == ">=") ? med >= lim : (tp[1] == "<=") ? med <= lim : med < lim
					verdict = sprintf("target %s %s: %s", tp[1], commas(lim), met ? "met" : "MISSED")
				}
				printf "%-12s %14s %-14s (median of %d: %s)  %s  %s\n", fig, commas(med), unit, n, runs, conf, verdict
			}'
	done
	local f
	for f in "${SKIPS[@]+"${SKIPS[@]}"}"; do
		echo "SKIPPED: $f"
	done
	for f in "${FAILURES[@]+"${FAILURES[@]}"}"; do
		echo "FAILED: $f"
	done
}

# Other work on the same cores skews every figure: say how busy the machine was.
echo "# skynet benchmarks: $CONFIG runs=$RUNS loadavg before: $(cut -d' ' -f1-3 /proc/loadavg)"
run_lua call
run_lua call_par
run_lua send
run_lua spawn
run_lua timer
run_lua hop
run_lua sproto
run_lua multicast
run_harbor
run_cluster
run_echo echo 100 2000 64
run_echo echo_1k 1000 200 64
run_connect
run_served http req/s wrk
run_served websocket rt/s "$BUILD/bin/wsload"
run_redis
report
echo "# loadavg after: $(cut -d' ' -f1-3 /proc/loadavg)"
[ "${#FAILURES[@]}" -eq 0 ]
