# test/boot/crash.sh (sourced by test/run.sh): the crash report. The test C
# service crashme (test/cservice/crashme.c) logs 1000 lines and then faults in
# one of several ways (each signal the report handles, and a stack overflow); the node must write the report to the log and stderr
# (lines still queued at the logger first) and die by the signal.

# crash_case MODE SIGNAL-NAME SIGNAL-NUMBER
crash_case() {
	local mode=$1 signame=$2 signum=$3
	local name="boot: crash report on $signame ($mode)"
	selected "$name" || return 0
	local cfg log out rc
	cfg=$(write_config "crash_$mode" t_crash "cpath = $OUT/cservice/?.so;$BUILD/testsvc/?.so" "crash_mode = $mode" \
		"thread = 1")
	log="$TMP/crash_$mode.log"
	out="$TMP/crash_$mode.out"
	# (the outer braces keep bash's own "Segmentation fault" notice quiet)
	{ (ulimit -c 0; cd "$OUT" && exec timeout -k 5 30 "$OUT/skynet" "$cfg") >"$out" 2>&1; rc=$?; } 2>/dev/null
	local target
	target=$(grep -o "\[:[0-9a-f]*\] LAUNCH crashme" "$log" | grep -o "^\[:[0-9a-f]*\]" | tr -d '[]')
	local worker_line="crash: worker [0-9]* (crashed): service \[$target\]"
	if [ "$rc" -ne $((128 + signum)) ]; then
		notok "$name" "exit status $rc, want $((128 + signum)) (killed by $signame)"
		show_tail "$log" "$out"
	elif ! grep -q "\] crash: $signame (signal $signum)" "$log"; then
		notok "$name" "no 'crash: $signame (signal $signum)' line in the log"
		show_tail "$log"
	elif [ "$mode" = segv ] && ! grep -q "crash: SIGSEGV (signal 11) at address 0x10 " "$log"; then
		notok "$name" "the faulting address 0x10 is not reported: $(grep 'crash: SIG' "$log")"
	elif [ -z "$target" ] || ! grep -q "$worker_line.*message from \[:[0-9a-f]*\] session 0 type 0 (text)" "$log"; then
		notok "$name" "no worker line naming crashme [$target] and its message: $(grep 'crash: worker' "$log" | tr '\n' ' ')"
	elif ! grep -q "crashme\.so(+0x[0-9a-f]*)\[0x[0-9a-f]*\]" "$log"; then
		notok "$name" "no backtrace line through crashme.so in the log"
	elif ! grep -q "\] CRASHME line 1000 of 1000$" "$log" || [ "$(grep -c '\] CRASHME line ' "$log")" -ne 1000 ]; then
		notok "$name" "the lines logged just before the crash were not all flushed ($(grep -c '\] CRASHME line ' "$log") of 1000)"
	elif ! grep -q "crash: end of report, the process dies by $signame" "$log"; then
		notok "$name" "the report has no end line"
	elif ! grep -q "^\[:00000000\] crash: $signame (signal $signum)" "$out" || ! grep -q "crashme\.so(" "$out"; then
		notok "$name" "the report is not on stderr"
	else
		ok "$name"
	fi
}

crash_case segv SIGSEGV 11
crash_case abrt SIGABRT 6
crash_case fpe SIGFPE 8
crash_case stack SIGSEGV 11
crash_case ill SIGILL 4
crash_case bus SIGBUS 7
