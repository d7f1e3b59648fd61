#!/usr/bin/env bash
# test/run.sh: the whole test suite, as `make test` runs it.
#  1. C unit tests (build/<mode>/unit/test_*), TAP-style lines.
#  2. Boot tests: the real ./skynet on generated configs (errors, signals,
#     daemon mode, log reopen).
#  3. Lua tests: test/lua/test_*.lua booted as the `start` service (see
#     test/lua/testlib.lua); the node's log is read by test/logcheck.awk, so an
#     error logged by any service of the node fails the case it happened in.
#     Header lines of a test file: `-- timeout: SECONDS`, `-- config: LINE`
#     (extra config, repeatable), `-- expect_error: ERE` (repeatable),
#     `-- fds: N` (descriptors the node needs; the file is skipped if the
#     hard limit is lower).
#  4. Shell tests in test/net/*.sh (network, driven over loopback).
# Three outcomes: passed, failed, skipped. Ends with "N passed, N failed,
# N skipped". A step that must run in CI (skip_required) counts as failed
# when CI is set. Every step runs under a time limit; a hang is a failure
# that names the step and shows the last log lines.
# Environment: SKYNET_OUT (where skynet, cservice/, luaclib/ are; default the
# project root), SKYNET_BUILD (build dir with unit/ and bin/; default
# build/release), TEST_FILTER (a regex on test names), KEEP_TMP (keep the
# temporary folder with every log), CI.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$(cd "${SKYNET_OUT:-$ROOT}" && pwd)
BUILD=$(cd "${SKYNET_BUILD:-$ROOT/build/release}" && pwd)
FILTER=${TEST_FILTER:-.}
TMP=$(mktemp -d /tmp/skynet-test.XXXXXX)
# at_exit CMD: run CMD when the run ends, however it ends (state a test left
# outside $TMP, e.g. a firewall table).
AT_EXIT=()
at_exit() { AT_EXIT+=("$1"); }
run_at_exit() {
	local cmd
	for cmd in "${AT_EXIT[@]+"${AT_EXIT[@]}"}"; do eval "$cmd"; done
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"
}
trap run_at_exit EXIT
trap 'exit 130' INT TERM
export ROOT OUT BUILD TMP

PASSED=0
FAILED=0
SKIPPED=0
ok() { echo "ok - $1"; PASSED=$((PASSED + 1)); }
notok() { echo "not ok - $1${2:+: $2}"; FAILED=$((FAILED + 1)); }
skip() { echo "skip - $1${2:+: $2}"; SKIPPED=$((SKIPPED + 1)); }
# skip_required NAME WHY: a skip here, a failure in CI (the step must run there).
skip_required() {
	if [ -n "${CI:-}" ]; then notok "$1" "required in CI but skipped: $2"; else skip "$1" "$2"; fi
}
selected() { [[ "$1" =~ $FILTER ]]; }

# Tests that open thousands of connections need descriptors: take the hard
# limit (the node inherits it); a test that needs more than it skips.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
FD_LIMIT=$(ulimit -n)

# free_port [N [OFFSET]]: prints N (default 1) ports free for TCP and UDP on
# 127.0.0.1 now, below the ephemeral range, so no client connection takes one
# before the test listens on it (tests that reopen a listener on the same port
# need that). With OFFSET, port+OFFSET is free and below that range too (a
# redis cluster node also listens on port+10000).
free_port() {
	python3 - "${1:-1}" "${2:-0}" <<'PY'
import random, socket, sys
want, offset, found = int(sys.argv[1]), int(sys.argv[2]), []
def free(p):
    try:
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            with socket.socket(socket.AF_INET, kind) as s:
                s.bind(("127.0.0.1", p))
    except OSError:
        return False
    return True
while len(found) < want:
    p = random.randint(20000, 32000 - offset)
    if p in found or p + offset in found or not free(p) or (offset and not free(p + offset)):
        continue
    found.append(p)
print(" ".join(map(str, found)))
PY
}

# wait_pid PID SECONDS: waits for a child to exit; its status, or 124 after
# SECONDS (the child is then killed with SIGKILL and reaped).
wait_pid() {
	local pid=$1 limit=$2 i
	for ((i = 0; i < limit * 20; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid"
			return $?
		fi
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 124
}

# show_tail FILE...: the last lines of logs, as comments under a failure.
show_tail() {
	tail -n 12 "$@" 2>/dev/null | sed 's/^/# /'
}

# log_errors LOG [ERE]: the first unexpected Lua error entries of a node log
# (for nodes that are not testlib runs: boot and network tests).
log_errors() {
	awk -v allowed="${2:-}" -f "$ROOT/test/logcheck.awk" "$1" 2>/dev/null | sed -n 's/^notok setup	//p' | head -3
}

CMOD=$(pkg-config --variable=INSTALL_CMOD lua5.4 2>/dev/null || echo /usr/lib/x86_64-linux-gnu/lua/5.4)

# write_config NAME START [extra lines...]: a config in $TMP, prints its path;
# an extra line `key = value` replaces that key's default.
write_config() {
	local name=$1 start=$2
	shift 2
	local cfg="$TMP/$name.conf"
	# an extra line replaces the default of the same key (INI refuses duplicates)
	local line key skipping=0
	local -A extra=()
	for line in "$@"; do
		key=${line%%=*}
		extra[${key// /}]=1
	done
	{
		while IFS= read -r line; do
			case "$line" in
			$'\t'*) [ $skipping -eq 1 ] || echo "$line" ;;
			*)
				key=${line%%=*}
				if [ -n "${extra[${key// /}]:-}" ]; then skipping=1; else skipping=0; echo "$line"; fi
				;;
			esac
		done <<DEFAULTS
thread = 2
harbor = 1
start = $start
cpath = $OUT/cservice/?.so
lualoader = $ROOT/lualib/loader.lua
luaservice = $ROOT/service/?.lua;
	$ROOT/test/lua/?.lua;
	$ROOT/examples/?.lua
lua_path = $ROOT/lualib/?.lua;
	$ROOT/lualib/?/init.lua;
	$ROOT/test/lua/?.lua
lua_cpath = $OUT/luaclib/?.so;$CMOD/?.so
logger = $TMP/$name.log
test_tmp = $TMP
test_bin = $BUILD/bin
test_ports = $(free_port 4)
DEFAULTS
		for line in "$@"; do echo "$line"; done
	} >"$cfg"
	echo "$cfg"
}

sanitizer_errors() {
	grep -E "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$1" 2>/dev/null | head -3
}

run_units() {
	for t in "$BUILD"/unit/test_*; do
		[ -x "$t" ] || continue
		local name
		name=$(basename "$t")
		selected "$name" || continue
		local out rc
		out=$(timeout -k 5 120 "$t" 2>&1)
		rc=$?
		while IFS= read -r line; do
			case "$line" in
			"ok - "*"# skip"*) skip "$name: ${line#ok - }" ;;
			"ok - "*) ok "$name: ${line#ok - }" ;;
			"not ok - "*) notok "$name: ${line#not ok - }" ;;
			"#"*) echo "$line" ;;
			esac
		done <<<"$out"
		if [ $rc -ge 124 ]; then
			notok "$name" "timed out after 120 s (hung after: $(grep -E '^(not )?ok - ' <<<"$out" | tail -1))"
		elif [ $rc -ne 0 ] && ! grep -q "^not ok - " <<<"$out"; then
			notok "$name" "exited with status $rc"
			echo "$out" | tail -20 | sed 's/^/# /'
		fi
	done
}

# report_cases NAME LOG [ALLOWED]: reports the testlib cases of a node's log
# under NAME (an error logged beyond ALLOWED fails the case it falls in);
# sets CASES_DONE (1: the driver finished) and CASES_RUN (cases that ran).
report_cases() {
	local name=$1 log=$2 allowed=${3:-} kind rest
	CASES_DONE=0
	CASES_RUN=0
	while IFS= read -r line; do
		kind=${line%% *}
		rest=${line#* }
		case "$kind" in
		ok) ok "$name: $rest" ;;
		notok) notok "$name: ${rest%%$'\t'*}" "${rest#*$'\t'}" ;;
		skip) skip "$name: ${rest%%$'\t'*}" "${rest#*$'\t'}" ;;
		done) CASES_DONE=1 ;;
		cases) CASES_RUN=$rest ;;
		esac
	done < <(awk -v allowed="$allowed" -f "$ROOT/test/logcheck.awk" "$log" 2>/dev/null)
}

# run_lua NAME TIMEOUT ALLOWED [extra config lines...]: boots the node on
# test/lua/NAME.lua and reports its cases (ALLOWED: expected-error EREs joined
# by \001).
run_lua() {
	local name=$1 limit=$2 allowed=$3
	shift 3
	selected "$name" || return 0
	local cfg log rc
	cfg=$(write_config "$name" "$name" "$@")
	log="$TMP/$name.log"
	(cd "$OUT" && timeout -k 5 "$limit" "$OUT/skynet" "$cfg") >"$TMP/$name.out" 2>&1
	rc=$?
	report_cases "$name" "$log" "$allowed"
	if [ "$CASES_DONE" -eq 0 ]; then
		if [ $rc -ge 124 ]; then
			notok "$name" "timed out after $limit s (last step: $(grep -o 'TEST begin - .*' "$log" 2>/dev/null | tail -1))"
		else
			notok "$name" "did not finish (exit status $rc)"
		fi
		show_tail "$log" "$TMP/$name.out"
	elif [ $rc -ne 0 ]; then
		notok "$name: exit status" "$rc"
		show_tail "$TMP/$name.out"
	elif [ "$CASES_RUN" -eq 0 ]; then
		notok "$name" "no test case ran"
	fi
	local san
	san=$(sanitizer_errors "$TMP/$name.out")
	[ -n "$san" ] && notok "$name: sanitizer" "$san"
	return 0
}

# run_lua_file FILE: reads the header lines of a Lua test and runs it.
run_lua_file() {
	local f=$1 name limit fds allowed
	name=$(basename "$f" .lua)
	selected "$name" || return 0
	limit=$(sed -n 's/^-- timeout: *\([0-9]*\).*/\1/p' "$f" | head -1)
	fds=$(sed -n 's/^-- fds: *\([0-9]*\).*/\1/p' "$f" | head -1)
	allowed=$(sed -n 's/^-- expect_error: *//p' "$f" | tr '\n' '\001')
	if [ -n "$fds" ] && [ "$FD_LIMIT" -lt "$fds" ]; then
		skip "$name" "needs $fds file descriptors, the hard limit is $FD_LIMIT"
		return 0
	fi
	local lines=()
	mapfile -t lines < <(sed -n 's/^-- config: *//p' "$f")
	run_lua "$name" "${limit:-60}" "$allowed" "${lines[@]}"
}

run_units
for f in "$ROOT"/test/boot/*.sh; do
	[ -f "$f" ] && source "$f"
done
for f in "$ROOT"/test/lua/test_*.lua; do
	[ -f "$f" ] && run_lua_file "$f"
done
for f in "$ROOT"/test/net/*.sh; do
	[ -f "$f" ] && source "$f"
done

echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
[ "$FAILED" -eq 0 ]
