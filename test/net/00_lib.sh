# test/net/00_lib.sh: helpers for the network shell tests (sourced first by
# test/run.sh; defines functions only).

# net_start NAME CONFIG: boots a node in the background; sets NET_PID.
net_start() {
	local name=$1 cfg=$2
	(cd "$OUT" && exec "$OUT/skynet" "$cfg") >"$TMP/$name.out" 2>&1 &
	NET_PID=$!
}

# net_wait_log NAME PATTERN [SECONDS]: waits for a log line; 1 on timeout.
net_wait_log() {
	local log="$TMP/$1.log" pattern=$2 limit=${3:-10}
	local i
	for ((i = 0; i < limit * 20; i++)); do
		grep -q -- "$pattern" "$log" 2>/dev/null && return 0
		kill -0 "$NET_PID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

net_fds() {
	ls "/proc/$NET_PID/fd" 2>/dev/null | wc -l
}

# net_wait_fds LIMIT [SECONDS]: waits until the node has at most LIMIT fds;
# prints the last count.
net_wait_fds() {
	local limit=$1 secs=${2:-5} n i
	for ((i = 0; i < secs * 20; i++)); do
		n=$(net_fds)
		[ "$n" -le "$limit" ] && break
		sleep 0.05
	done
	echo "$n"
}

# net_stop: SIGTERM, then the exit status (killed after 10 s) in NET_RC.
# Not in $(...): the node is a child of this shell only.
net_stop() {
	local i
	kill -TERM "$NET_PID" 2>/dev/null
	for ((i = 0; i < 200; i++)); do
		kill -0 "$NET_PID" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$NET_PID" 2>/dev/null; then
		kill -KILL "$NET_PID" 2>/dev/null
	fi
	wait "$NET_PID"
	NET_RC=$?
}

# net_check_sanitizer NAME [ERE]: a notok line if the node's output has
# sanitizer reports, or its log a Lua error that ERE does not expect.
net_check_sanitizer() {
	local san errs
	san=$(sanitizer_errors "$TMP/$1.out")
	[ -n "$san" ] && notok "$1: sanitizer" "$san"
	errs=$(log_errors "$TMP/$1.log" "${2:-}")
	[ -n "$errs" ] && notok "$1: no error in the node log" "$errs"
	return 0
}
