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

# Network cuts with nftables: every TCP packet to or from some ports is
# dropped, as a cut cable would (no FIN, no RST), in a table of our own.
# cut_setup NAME: 0 when cuts can be made (CUT_TABLE created), else reports
# NAME skipped and returns 1. The table goes when the run ends, even when
# interrupted; tables left by runs that were killed are removed here.
cut_setup() {
	CUT_TABLE="skynet_cut_$$"
	if ! command -v nft >/dev/null; then
		skip_required "$1" "nft (Debian package nftables) is not installed"
		return 1
	fi
	local stale
	for stale in $(nft list tables inet 2>/dev/null | sed -n 's/^table inet skynet_cut_\([0-9]*\)$/\1/p'); do
		kill -0 "$stale" 2>/dev/null || nft delete table inet "skynet_cut_$stale" 2>/dev/null
	done
	at_exit cut_teardown
	if ! nft add table inet "$CUT_TABLE" 2>/dev/null; then
		skip "$1" "nftables unusable here (no root, or no nf_tables in the kernel)"
		return 1
	fi
}

cut_teardown() {
	nft delete table inet "$CUT_TABLE" 2>/dev/null
}

# cut_when PID LOG FLAG PORTS: while PID runs (up to 20 s), once LOG has a
# "LINK_CUT" line, drops the ports' packets and creates FLAG.
cut_when() {
	local pid=$1 log=$2 flag=$3 ports=$4 i cut=0
	for ((i = 0; i < 400; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		if [ $cut -eq 0 ] && grep -q "LINK_CUT" "$log" 2>/dev/null; then
			nft add chain inet "$CUT_TABLE" out '{ type filter hook output priority 0; }' &&
				nft add rule inet "$CUT_TABLE" out tcp dport "{ $ports }" drop &&
				nft add rule inet "$CUT_TABLE" out tcp sport "{ $ports }" drop &&
				touch "$flag"
			cut=1
		fi
		sleep 0.05
	done
	wait_pid "$pid" 5 >/dev/null
	cut_teardown
}

# net_cases NAME LOG [ALLOWED]: the testlib cases of a driver node's log under
# NAME (report_cases); a driver that did not finish fails NAME.
net_cases() {
	report_cases "$@"
	if [ "$CASES_DONE" -eq 0 ]; then
		notok "$1" "the driver did not finish"
		show_tail "$2"
	fi
}

# net_clean NAME [ERE]: node NAME's log has no unexpected error, its output
# no sanitizer report.
net_clean() {
	local errs
	errs=$(log_errors "$TMP/$1.log" "${2:-}")
	[ -n "$errs" ] && notok "$1: no unexpected error in the log" "$errs"
	errs=$(sanitizer_errors "$TMP/$1.out")
	[ -n "$errs" ] && notok "$1: sanitizer" "$errs"
	return 0
}
