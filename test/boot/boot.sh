# test/boot/boot.sh (sourced by test/run.sh): the real binary on real configs.

# expect_config_error NAME CONFIG-TEXT PATTERN: the node refuses to start with a
# one-line message matching PATTERN on stderr and a non-zero exit.
expect_config_error() {
	local name=$1 text=$2 pattern=$3
	selected "boot: $name" || return 0
	local cfg="$TMP/bad_$RANDOM.conf"
	printf '%s\n' "$text" >"$cfg"
	local err rc
	err=$(cd "$OUT" && timeout 10 "$OUT/skynet" "$cfg" 2>&1 >/dev/null)
	rc=$?
	if [ $rc -eq 0 ] || [ $rc -ge 124 ]; then
		notok "boot: $name" "exit status $rc"
	elif [ "$(printf '%s\n' "$err" | wc -l)" -ne 1 ]; then
		notok "boot: $name" "expected one line, got: $err"
	elif ! grep -qE "$pattern" <<<"$err"; then
		notok "boot: $name" "message '$err' does not match '$pattern'"
	else
		ok "boot: $name"
	fi
}

boot_config_errors() {
	expect_config_error "bootstrap service not found" "$(printf 'cpath = %s/cservice/?.so\nluaservice = /nonexistent/?.lua' "$OUT")" "stopped on an error"
	local missing="$TMP/does-not-exist.conf"
	if selected "boot: missing file argument"; then
		local err
		err=$("$OUT/skynet" "$missing" 2>&1)
		if [ $? -ne 0 ] && grep -q "does-not-exist.conf" <<<"$err"; then ok "boot: missing file argument"; else notok "boot: missing file argument" "$err"; fi
	fi
	expect_config_error "thread = 0" "thread = 0" ":1:.*thread"
	expect_config_error "thread = abc" "thread = abc" ":1:.*thread"
	expect_config_error "harbor = 300" "$(printf 'thread = 2\nharbor = 300')" ":2:.*harbor"
	expect_config_error "parse error names the line" "$(printf 'thread = 2\nthis line has no equals sign\n')" ":2:"
	expect_config_error "undefined variable" 'start = ${NO_SUCH_VARIABLE_HERE}' "NO_SUCH_VARIABLE_HERE"
	expect_config_error "unknown C service" "$(printf 'cpath = %s/cservice/?.so\nbootstrap = nosuchservice arg' "$OUT")" "nosuchservice"
	expect_config_error "log file in a missing folder" "$(printf 'cpath = %s/cservice/?.so\nlogger = %s/no/such/dir/x.log' "$OUT" "$TMP")" "can't open log file"
	expect_config_error "start service missing" "$(printf 'cpath = %s/cservice/?.so\nlualoader = %s/lualib/loader.lua\nluaservice = %s/service/?.lua\nlua_path = %s/lualib/?.lua\nlua_cpath = %s/luaclib/?.so\nstart = no_such_game_service' "$OUT" "$ROOT" "$ROOT" "$ROOT" "$OUT")" "stopped on an error"
	expect_config_error "unknown logger service" "$(printf 'cpath = %s/cservice/?.so\nlogservice = nosuchlogger' "$OUT")" "nosuchlogger"
}

boot_usage() {
	selected "boot: usage" || return 0
	local err
	err=$("$OUT/skynet" 2>&1)
	if [ $? -ne 0 ] && grep -q "usage" <<<"$err"; then ok "boot: usage"; else notok "boot: usage" "$err"; fi
}

# wait_for FILE PATTERN [TENTHS]: until FILE has a line matching PATTERN.
wait_for() {
	local i
	for ((i = 0; i < ${3:-100}; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# wait_or_kill PID FILE PATTERN [TENTHS]: wait_for; if the line never comes,
# the node (a child of this shell) is killed and reaped, and it returns 1.
wait_or_kill() {
	wait_for "$2" "$3" "${4:-100}" && return 0
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 1
}

boot_signal() {
	local sig=$1
	selected "boot: SIG$sig" || return 0
	local cfg log pid rc
	cfg=$(write_config "sig$sig" t_ticker)
	log="$TMP/sig$sig.log"
	(cd "$OUT" && exec "$OUT/skynet" "$cfg") >"$TMP/sig$sig.out" 2>&1 &
	pid=$!
	if ! wait_or_kill $pid "$log" "tick 3"; then
		notok "boot: SIG$sig" "node did not start"
		return
	fi
	kill -"$sig" $pid
	wait_pid $pid 20
	rc=$?
	if [ $rc -eq 124 ]; then
		notok "boot: SIG$sig" "did not stop within 20 s"
		show_tail "$log"
	elif [ $rc -ne 0 ]; then
		notok "boot: SIG$sig" "exit status $rc"
	elif ! grep -q "shutdown" "$log"; then
		notok "boot: SIG$sig" "no shutdown line in the log"
	elif ! grep -qE "^[0-3][0-9]/[01][0-9]/[0-9]{2} [0-2][0-9]:[0-5][0-9]:[0-5][0-9]\.[0-9]{2} \[:0[0-9a-f]{7}\] " "$log"; then
		notok "boot: SIG$sig" "log lines lack skynet's dd/mm/yy hh:mm:ss.cc [:handle] prefix"
	elif [ -n "$(log_errors "$log")" ]; then
		notok "boot: SIG$sig" "error in the log: $(log_errors "$log")"
	else
		ok "boot: SIG$sig stops the node cleanly"
	fi
	local san
	san=$(sanitizer_errors "$TMP/sig$sig.out")
	[ -n "$san" ] && notok "boot: SIG$sig sanitizer" "$san"
}

boot_logrotate() {
	selected "boot: SIGHUP reopens the log" || return 0
	local cfg log pid
	cfg=$(write_config hup t_ticker)
	log="$TMP/hup.log"
	(cd "$OUT" && exec "$OUT/skynet" "$cfg") >"$TMP/hup.out" 2>&1 &
	pid=$!
	if ! wait_or_kill $pid "$log" "tick 2"; then
		notok "boot: SIGHUP reopens the log" "node did not start"
		show_tail "$log" "$TMP/hup.out"
		return
	fi
	mv "$log" "$log.1"
	kill -HUP $pid
	if wait_for "$log" "tick" 50; then
		ok "boot: SIGHUP reopens the log"
	else
		notok "boot: SIGHUP reopens the log" "no new log file"
	fi
	kill -TERM $pid
	wait_pid $pid 20 || notok "boot: SIGHUP node stops" "exit status $?"
}

# running PID: the process exists and is not a zombie. A stopped daemon whose
# parent (PID 1 in a container) never reaps it stays a zombie, which kill -0
# still reports alive.
running() {
	local state
	state=$(sed -n 's/^[0-9]* (.*) \([A-Z]\).*/\1/p' "/proc/$1/stat" 2>/dev/null)
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

boot_daemon() {
	selected "boot: daemon" || return 0
	local pidfile="$TMP/skynet.pid"
	local cfg
	cfg=$(write_config daemon t_ticker "daemon = $pidfile")
	(cd "$OUT" && "$OUT/skynet" "$cfg") >"$TMP/daemon.out" 2>&1
	if ! wait_for "$TMP/daemon.log" "tick 2" || [ ! -s "$pidfile" ]; then
		notok "boot: daemon" "no pid file or no log ($(cat "$TMP/daemon.out"))"
		return
	fi
	local pid
	pid=$(cat "$pidfile")
	if ! running "$pid"; then
		notok "boot: daemon" "pid $pid not running"
		return
	fi
	local err
	err=$(cd "$OUT" && "$OUT/skynet" "$cfg" 2>&1)
	if [ $? -ne 0 ] && grep -q "already running" <<<"$err"; then
		ok "boot: daemon refuses a second instance"
	else
		notok "boot: daemon refuses a second instance" "$err"
	fi
	kill -TERM "$pid"
	local i
	# stopped: the pid file is gone and the process has ended (or is a zombie)
	for ((i = 0; i < 100; i++)); do
		[ ! -e "$pidfile" ] && ! running "$pid" && break
		sleep 0.1
	done
	if running "$pid"; then
		kill -9 "$pid"
		notok "boot: daemon" "did not stop on SIGTERM"
	elif [ -e "$pidfile" ]; then
		notok "boot: daemon" "pid file left behind"
	else
		ok "boot: daemon detaches, writes and removes its pid file"
	fi
}

boot_config_errors
boot_usage
# skynet's log line format: "[:0000000a] text" on stdout; in a file the
# local time first, "dd/mm/yy hh:mm:ss.cc [:0000000a] text".
boot_log_format() {
	local name="boot: log lines in skynet's format (stdout, and a file with the time)"
	selected "$name" || return 0
	local cfg out log pid day1 day2
	cfg=$(write_config logfmt t_ticker)
	log="$TMP/logfmt.log"
	out="$TMP/logfmt.out"
	day1=$(date +%d/%m/%y)
	(cd "$OUT" && exec "$OUT/skynet" "$cfg") >"$out" 2>&1 &
	pid=$!
	wait_or_kill $pid "$log" "tick 2" || { notok "$name" "node did not start"; return; }
	kill -TERM $pid
	wait_pid $pid 20
	sed -i '/^logger/d' "$cfg"
	(cd "$OUT" && exec "$OUT/skynet" "$cfg") >"$out" 2>&1 &
	pid=$!
	wait_or_kill $pid "$out" "tick 2" || { notok "$name" "node (stdout) did not start"; return; }
	kill -TERM $pid
	wait_pid $pid 20
	day2=$(date +%d/%m/%y)
	local first
	first=$(head -1 "$log")
	if ! grep -qE "^\[:[0-9a-f]{8}\] LAUNCH snlua bootstrap$" "$out" || grep -qE "^[0-9]{2}/" "$out"; then
		notok "$name" "stdout: $(head -2 "$out" | tr '\n' '|')"
	elif ! [[ "$first" =~ ^($day1|$day2)\ [0-2][0-9]:[0-5][0-9]:[0-5][0-9]\.[0-9]{2}\ \[:[0-9a-f]{8}\]\ LAUNCH\ logger ]]; then
		notok "$name" "file: $first"
	else
		ok "$name"
	fi
}

boot_signal INT
boot_signal TERM
boot_log_format
boot_logrotate
boot_daemon

# valgrind on a boot + shutdown: no invalid access, nothing definitely lost.
boot_valgrind() {
	selected "boot: valgrind" || return 0
	if [ "$OUT" != "$ROOT" ]; then
		skip "boot: valgrind" "sanitizer build (ASan and valgrind do not mix)"
		return 0
	fi
	if ! command -v valgrind >/dev/null 2>&1; then
		skip_required "boot: valgrind" "valgrind not installed"
		return 0
	fi
	local cfg log pid
	cfg=$(write_config valgrind t_ticker)
	log="$TMP/valgrind.log"
	(cd "$OUT" && exec valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=9 \
		"$OUT/skynet" "$cfg") >"$TMP/valgrind.out" 2>&1 &
	pid=$!
	if ! wait_or_kill $pid "$log" "tick 3" 600; then
		notok "boot: valgrind" "node did not start under valgrind"
		show_tail "$log" "$TMP/valgrind.out"
		return
	fi
	kill -TERM $pid
	wait_pid $pid 60
	local rc=$?
	if [ $rc -eq 0 ] && grep -q "definitely lost: 0 bytes" "$TMP/valgrind.out" || { [ $rc -eq 0 ] && grep -q "no leaks are possible" "$TMP/valgrind.out"; }; then
		ok "boot: valgrind boot + SIGTERM: no errors, nothing lost"
	else
		notok "boot: valgrind" "exit $rc: $(grep -E 'definitely lost|ERROR SUMMARY|Invalid' "$TMP/valgrind.out" | head -3 | tr '\n' ' ')"
	fi
}

boot_valgrind
