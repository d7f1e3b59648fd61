# test/boot/core.sh (sourced by test/run.sh): the core under stress, on the real
# binary: out of memory, stuck loops at shutdown, log floods, boot refusals.

# core_boot NAME MODE [config lines...]: starts a node running t_core_boot in
# MODE in the background; sets CORE_PID and CORE_LOG.
core_boot() {
	local name=$1 mode=$2
	shift 2
	local cfg
	cfg=$(write_config "$name" t_core_boot "core_mode = $mode" "$@")
	CORE_LOG="$TMP/$name.log"
	(cd "$OUT" && exec "$OUT/skynet" "$cfg") >"$TMP/$name.out" 2>&1 &
	CORE_PID=$!
}

# core_wait FILE PATTERN TENTHS: until FILE has a line matching PATTERN.
core_wait() {
	local i
	for ((i = 0; i < $3; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# core_stop TENTHS: SIGTERM to CORE_PID; sets CORE_RC and CORE_TENTHS (how
# long it took), kills it (CORE_RC=timeout) if it outlives TENTHS.
core_stop() {
	local i
	kill -TERM "$CORE_PID"
	for ((i = 0; i < $1; i++)); do
		kill -0 "$CORE_PID" 2>/dev/null || break
		sleep 0.1
	done
	CORE_TENTHS=$i
	if kill -0 "$CORE_PID" 2>/dev/null; then
		kill -9 "$CORE_PID"
		wait "$CORE_PID" 2>/dev/null
		CORE_RC=timeout
		return
	fi
	wait "$CORE_PID"
	CORE_RC=$?
}

core_is_asan() {
	[ "$OUT" != "$ROOT" ] && [[ "$OUT" == *asan* ]]
}

# A Lua service that runs the process out of address space gets a memory
# error; the node goes on and stops cleanly (jemalloc used to crash binding a
# thread's arena at the first allocation after memory had run out).
core_oom() {
	local name="boot: out of memory, then SIGTERM"
	selected "$name" || return 0
	if core_is_asan; then
		skip "$name" "ASan needs more address space than ulimit -v leaves"
		return 0
	fi
	local run
	for run in 1 2 3; do
		local cfg
		cfg=$(write_config core_oom t_core_boot "core_mode = oom")
		CORE_LOG="$TMP/core_oom.log"
		rm -f "$CORE_LOG"
		(ulimit -v 800000 && cd "$OUT" && exec "$OUT/skynet" "$cfg") >"$TMP/core_oom.out" 2>&1 &
		CORE_PID=$!
		if ! core_wait "$CORE_LOG" "CORE ready" 600; then
			local state=exited
			kill -0 "$CORE_PID" 2>/dev/null && state="still running"
			kill -9 "$CORE_PID" 2>/dev/null
			wait "$CORE_PID" 2>/dev/null
			notok "$name" "run $run: the node did not get through the hog ($state; out: $(tail -3 "$TMP/core_oom.out"); log: $(tail -2 "$CORE_LOG"))"
			return
		fi
		core_stop 100
		if [ "$CORE_RC" != 0 ]; then
			notok "$name" "run $run: exit status $CORE_RC: $(tail -3 "$TMP/core_oom.out")"
			return
		fi
		if ! grep -q "CORE hog answered false.*not enough memory" "$CORE_LOG" ||
			! grep -q "CORE after alive" "$CORE_LOG"; then
			notok "$name" "run $run: no memory error, or the service died"
			return
		fi
	done
	ok "$name (3 runs, exit 0)"
}

# A loop that catches the break error is still broken at shutdown, and the
# node exits cleanly well within its deadline.
core_pcall_sigterm() {
	local name="boot: pcall loop + SIGTERM"
	selected "$name" || return 0
	core_boot core_pcall pcall
	if ! core_wait "$CORE_LOG" "CORE ready" 100; then
		kill -9 "$CORE_PID"
		notok "$name" "node did not start"
		return
	fi
	core_stop 150
	if [ "$CORE_RC" != 0 ]; then
		notok "$name" "exit status $CORE_RC after $CORE_TENTHS tenths: $(tail -3 "$CORE_LOG")"
	elif [ "$CORE_TENTHS" -gt 60 ]; then
		notok "$name" "took $CORE_TENTHS tenths of a second"
	else
		ok "$name: broken and stopped in $CORE_TENTHS/10 s"
	fi
}

# A loop inside one C call can't be broken: at the shutdown deadline its
# worker is abandoned, the log names it, the process exits (status 1).
core_abandon() {
	local name="boot: stuck C loop + SIGTERM abandons the worker"
	selected "$name" || return 0
	core_boot core_cloop cloop "shutdown_timeout = 2"
	if ! core_wait "$CORE_LOG" "CORE ready" 100; then
		kill -9 "$CORE_PID"
		notok "$name" "node did not start"
		return
	fi
	core_stop 150
	local service
	service=$(grep -o "LAUNCH snlua t_core$" -B0 "$CORE_LOG" >/dev/null; grep "LAUNCH snlua t_core$" "$CORE_LOG" | grep -o "\[:0[0-9a-f]*\]" | tr -d '[]')
	if [ "$CORE_RC" != 1 ]; then
		notok "$name" "exit status $CORE_RC after $CORE_TENTHS tenths"
	elif ! grep -q "shutdown: abandoned 1 stuck worker(s): worker [0-9]* in \[ $service \]" "$CORE_LOG"; then
		notok "$name" "no line naming $service: $(tail -3 "$CORE_LOG")"
	elif [ "$CORE_TENTHS" -gt 80 ]; then
		notok "$name" "took $CORE_TENTHS tenths of a second"
	else
		ok "$name (in $CORE_TENTHS/10 s)"
	fi
}

# 20,000 identical lines in a burst: a few written, the rest counted.
core_flood() {
	local name="boot: a log flood is collapsed"
	selected "$name" || return 0
	core_boot core_flood flood
	if ! core_wait "$CORE_LOG" "CORE ready" 100; then
		kill -9 "$CORE_PID"
		notok "$name" "node did not start"
		return
	fi
	core_stop 100
	local written counted
	written=$(grep -c "\] CORE flood line$" "$CORE_LOG")
	counted=$(grep -o "\] \.\.\. repeated [0-9]* times$" "$CORE_LOG" | grep -o "[0-9]*" | paste -sd+ | bc)
	if [ "$CORE_RC" != 0 ]; then
		notok "$name" "exit status $CORE_RC"
	elif [ "$written" -gt 100 ] || [ $((written + ${counted:-0})) -ne 20000 ]; then
		notok "$name" "$written lines written, ${counted:-0} counted (want few, and 20000 in all)"
	elif ! grep -q "CORE flood end" "$CORE_LOG"; then
		notok "$name" "the next line is missing"
	else
		ok "$name ($written written, $counted counted)"
	fi
}

# Without file descriptors for epoll and its pipe there is no socket server:
# the node refuses to boot instead of crashing at the first socket call.
core_no_socket_server() {
	local name="boot: no socket server, no boot"
	selected "$name" || return 0
	local cfg err out rc
	cfg=$(write_config core_nosock t_core_boot "core_mode = none")
	sed -i '/^logger = /d' "$cfg"
	out=$( (ulimit -n 5 && cd "$OUT" && exec timeout -k 2 10 "$OUT/skynet" "$cfg") 2>"$TMP/core_nosock.err")
	rc=$?
	err=$(cat "$TMP/core_nosock.err")
	if [ $rc -eq 0 ] || [ $rc -ge 124 ]; then
		notok "$name" "exit status $rc"
	elif ! grep -q "can't create the socket server" <<<"$err"; then
		notok "$name" "stderr: $err"
	elif grep -q "LAUNCH" <<<"$out"; then
		notok "$name" "services were launched: $out"
	else
		ok "$name"
	fi
}

# core_spin_cpu SPIN: CPU ticks of 6 socket round trips 0.3 s apart with
# idle_spin = SPIN (echoed; empty when the node failed).
core_spin_cpu() {
	core_boot "core_spin_$1" spin "idle_spin = $1"
	if ! core_wait "$CORE_LOG" "CORE ready" 150; then
		kill -9 "$CORE_PID"
		wait "$CORE_PID" 2>/dev/null
		return
	fi
	core_stop 100
	grep -o "CORE cpu [0-9]*" "$CORE_LOG" | grep -o "[0-9]*$"
}

# idle_spin: threads poll that long after work before sleeping, so 0.1 s of
# spin costs CPU time after each round trip and 0 costs none; a bad value
# stops the boot.
core_idle_spin() {
	local name="boot: idle_spin bounds how long idle threads poll"
	selected "$name" || return 0
	local none long
	none=$(core_spin_cpu 0)
	long=$(core_spin_cpu 100000)
	if [ -z "$none" ] || [ -z "$long" ]; then
		notok "$name" "a node did not finish: $(tail -3 "$CORE_LOG")"
	elif [ $((long - none)) -lt 20 ]; then
		notok "$name" "CPU ticks with idle_spin = 0: $none, with 100000: $long (want 20 more)"
	else
		ok "$name (CPU ticks: $none with 0, $long with 0.1 s)"
	fi
	local cfg err rc
	cfg=$(write_config core_spin_bad t_core_boot "core_mode = none" "idle_spin = fast")
	err=$( (cd "$OUT" && exec timeout -k 2 10 "$OUT/skynet" "$cfg") 2>&1 >/dev/null)
	rc=$?
	if [ $rc -eq 0 ] || [ $rc -ge 124 ]; then
		notok "$name: bad value" "exit status $rc"
	elif ! grep -q 'idle_spin must be microseconds (0..100000), not "fast"' <<<"$err"; then
		notok "$name: bad value" "stderr: $err"
	else
		ok "$name: a bad value stops the boot"
	fi
}

core_oom
core_pcall_sigterm
core_abandon
core_flood
core_no_socket_server
core_idle_spin
