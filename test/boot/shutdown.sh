# test/boot/shutdown.sh (sourced by test/run.sh): graceful shutdown hooks. A
# node runs t_shutdown (test/lua/t_shutdown.lua) with one hook service; on
# SIGTERM/SIGINT its hook runs before any service is retired, with the
# shutdown_timeout deadline; a second signal ends the hook phase at once.

# shutdown_boot NAME MODE [config lines...]: boots a node in the background;
# sets SD_PID, SD_LOG, SD_OUT; returns 1 (node killed) if it never got ready.
shutdown_boot() {
	local name=$1 mode=$2
	shift 2
	local cfg
	cfg=$(write_config "$name" t_shutdown "shutdown_mode = $mode" "$@")
	SD_LOG="$TMP/$name.log"
	SD_OUT="$TMP/$name.out"
	(cd "$OUT" && exec "$OUT/skynet" "$cfg") >"$SD_OUT" 2>&1 &
	SD_PID=$!
	wait_or_kill $SD_PID "$SD_LOG" "SHUTDOWN ready"
}

# shutdown_stop SIG TENTHS: sends SIG, waits (at most TENTHS); sets SD_RC and
# SD_TENTHS (how long it took, by the clock), SD_SAN (sanitizer errors).
shutdown_stop() {
	local i start
	start=$(date +%s%N)
	kill -"$1" $SD_PID
	for ((i = 0; i < $2; i++)); do
		kill -0 $SD_PID 2>/dev/null || break
		sleep 0.05
	done
	SD_TENTHS=$((($(date +%s%N) - start) / 100000000))
	wait_pid $SD_PID 1
	SD_RC=$?
	SD_SAN=$(sanitizer_errors "$SD_OUT")
}

# line_of PATTERN: the number of the first log line matching PATTERN (9999999 if none).
line_of() {
	local n
	n=$(grep -n "$1" "$SD_LOG" | head -1 | cut -d: -f1)
	echo "${n:-9999999}"
}

# The hook's service handle, as launched.
hook_handle() {
	grep -o "SHUTDOWN hook service :[0-9a-f]*" "$SD_LOG" | grep -o ":[0-9a-f]*$"
}

# shutdown_bad NAME: reports NAME failed, and returns 0, when the stop left
# a sanitizer report or a non-zero exit status.
shutdown_bad() {
	if [ -n "$SD_SAN" ]; then
		notok "$1" "sanitizer: $SD_SAN"
	elif [ "$SD_RC" -ne 0 ]; then
		notok "$1" "exit status $SD_RC after $SD_TENTHS tenths"
		show_tail "$SD_LOG"
	else
		return 1
	fi
}

# shutdown_run NAME MODE SIG: boots a node in MODE and stops it with SIG;
# returns 1 when NAME was already reported (no start, a bad stop).
shutdown_run() {
	if ! shutdown_boot "sd_$2" "$2"; then
		notok "$1" "node did not start"
		show_tail "$SD_LOG"
		return 1
	fi
	shutdown_stop "$3" 200
	! shutdown_bad "$1"
}

shutdown_sleep() {
	local name="boot: SIGTERM runs a skynet.shutdown hook, then exits 0"
	selected "$name" || return 0
	shutdown_run "$name" sleep TERM || return
	local done_at fin_at rel_at
	done_at=$(line_of "\] HOOK done$")
	fin_at=$(line_of "shutdown: shutdown hooks finished in ")
	rel_at=$(line_of "shutdown: signal received, releasing")
	if ! grep -q "shutdown: signal received, running the shutdown hooks of 1 service(s) (deadline 10.0 s)" "$SD_LOG"; then
		notok "$name" "no line announcing the hooks"
		show_tail "$SD_LOG"
	elif ! grep -q "HOOK start, helper says alive" "$SD_LOG"; then
		notok "$name" "the hook could not call another service"
	elif [ "$done_at" -ge "$fin_at" ] || [ "$fin_at" -ge "$rel_at" ]; then
		notok "$name" "order: HOOK done at line $done_at, hooks finished at $fin_at, releasing at $rel_at"
		show_tail "$SD_LOG"
	elif [ "$SD_TENTHS" -lt 5 ] || [ "$SD_TENTHS" -gt 40 ]; then
		notok "$name" "stopped in $SD_TENTHS tenths (the hook sleeps 5)"
	elif [ -n "$(log_errors "$SD_LOG")" ]; then
		notok "$name" "error in the log: $(log_errors "$SD_LOG")"
	else
		ok "$name (in $SD_TENTHS/10 s)"
	fi
}

shutdown_never() {
	local name="boot: a hook that never finishes is cut at shutdown_timeout"
	selected "$name" || return 0
	if ! shutdown_boot sd_never never "shutdown_timeout = 1"; then
		notok "$name" "node did not start"
		return
	fi
	local h
	h=$(hook_handle)
	shutdown_stop TERM 200
	shutdown_bad "$name" && return
	if ! grep -q "shutdown: the shutdown hooks of 1 service(s) did not finish (deadline, after 1\.[0-9]* s): \[$h\] t_shutdown$" "$SD_LOG"; then
		notok "$name" "no line naming [$h] t_shutdown: $(grep 'shutdown:' "$SD_LOG" | tr '\n' ' ')"
	elif [ "$SD_TENTHS" -lt 10 ] || [ "$SD_TENTHS" -gt 30 ]; then
		notok "$name" "stopped in $SD_TENTHS tenths (want about 1-3 s)"
	else
		ok "$name (in $SD_TENTHS/10 s)"
	fi
}

shutdown_twice() {
	local name="boot: a second SIGTERM ends the hook phase at once"
	selected "$name" || return 0
	if ! shutdown_boot sd_twice never "shutdown_timeout = 30"; then
		notok "$name" "node did not start"
		return
	fi
	local h
	h=$(hook_handle)
	kill -TERM $SD_PID
	if ! wait_or_kill $SD_PID "$SD_LOG" "\] HOOK start$" 50; then
		notok "$name" "the hook did not start"
		show_tail "$SD_LOG"
		return
	fi
	shutdown_stop TERM 200
	shutdown_bad "$name" && return
	if ! grep -q "shutdown: the shutdown hooks of 1 service(s) did not finish (second signal, after [0-9.]* s): \[$h\] t_shutdown$" "$SD_LOG"; then
		notok "$name" "no line naming [$h] t_shutdown: $(grep 'shutdown:' "$SD_LOG" | tr '\n' ' ')"
	elif [ "$SD_TENTHS" -gt 20 ]; then
		notok "$name" "stopped $SD_TENTHS tenths after the second signal"
	else
		ok "$name (in $SD_TENTHS/10 s)"
	fi
}

shutdown_dbgcmd() {
	local name="boot: SIGINT runs a SHUTDOWN debug command handler"
	selected "$name" || return 0
	shutdown_run "$name" dbgcmd INT || return
	local done_at fin_at
	done_at=$(line_of "\] HOOK done$")
	fin_at=$(line_of "shutdown: shutdown hooks finished in ")
	if ! grep -q "HOOK start (debug command)" "$SD_LOG" || [ "$done_at" -ge "$fin_at" ]; then
		notok "$name" "handler not run, or not before the end of the hooks ($done_at, $fin_at)"
		show_tail "$SD_LOG"
	elif [ "$SD_TENTHS" -lt 2 ]; then
		notok "$name" "stopped in $SD_TENTHS tenths (the handler sleeps 2)"
	else
		ok "$name (in $SD_TENTHS/10 s)"
	fi
}

# A hook that raises is logged; the next hook still runs; a hook that exits
# its service counts as finished.
shutdown_error_exit() {
	local mode name
	for mode in error exit; do
		name="boot: a shutdown hook that ${mode}s counts as finished"
		selected "$name" || continue
		if ! shutdown_boot "sd_$mode" "$mode"; then
			notok "$name" "node did not start"
			continue
		fi
		shutdown_stop TERM 200
		shutdown_bad "$name" && continue
		if [ "$SD_TENTHS" -gt 30 ]; then
			notok "$name" "stopped in $SD_TENTHS tenths"
		elif ! grep -q "shutdown: shutdown hooks finished in " "$SD_LOG"; then
			notok "$name" "the hook phase did not end as finished: $(grep 'shutdown:' "$SD_LOG" | tr '\n' ' ')"
		elif [ $mode = error ] && { ! grep -q "shutdown hook error: .*HOOK fails on purpose" "$SD_LOG" || ! grep -q "\] HOOK done$" "$SD_LOG"; }; then
			notok "$name" "the error was not logged or the next hook did not run"
		elif [ $mode = exit ] && ! grep -q "\] HOOK exits$" "$SD_LOG"; then
			notok "$name" "the hook did not run"
		else
			ok "$name (in $SD_TENTHS/10 s)"
		fi
	done
}

# A hook registered while the hooks run (by a service a hook launched) runs
# too, and the node waits for it before retiring anything.
shutdown_late() {
	local name="boot: a shutdown hook registered during the hook phase runs too"
	selected "$name" || return 0
	shutdown_run "$name" late TERM || return
	local late_at rel_at
	late_at=$(line_of "\] LATE HOOK done$")
	rel_at=$(line_of "shutdown: signal received, releasing")
	if ! grep -q "\] HOOK done$" "$SD_LOG"; then
		notok "$name" "the first hook did not finish"
		show_tail "$SD_LOG"
	elif [ "$late_at" -ge "$rel_at" ]; then
		notok "$name" "the late hook did not run before the release (line $late_at, release at $rel_at)"
		show_tail "$SD_LOG"
	else
		ok "$name"
	fi
}

shutdown_sleep
shutdown_late
shutdown_never
shutdown_twice
shutdown_dbgcmd
shutdown_error_exit
