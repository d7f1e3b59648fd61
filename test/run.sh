#!/usr/bin/env bash
# test/run.sh: the whole test suite, as `make test` runs it.
#  1. C unit tests (build/<mode>/unit/test_*), TAP-style lines.
#  2. Boot tests: the real ./skynet on generated configs (errors, signals,
#     daemon mode, log reopen).
#  3. Lua tests: test/lua/test_*.lua booted as the `start` service; each logs
#     "TEST ok - name" / "TEST not ok - name: why" and ends with "TEST done".
#  4. Shell tests in test/net/*.sh (network, driven over loopback).
# Ends with the line "N passed, N failed". Environment: SKYNET_OUT (where
# skynet, cservice/, luaclib/ are; default the project root), SKYNET_BUILD
# (build dir with unit/ and bin/; default build/release), TEST_FILTER (a regex
# on test names).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$(cd "${SKYNET_OUT:-$ROOT}" && pwd)
BUILD=$(cd "${SKYNET_BUILD:-$ROOT/build/release}" && pwd)
FILTER=${TEST_FILTER:-.}
TMP=$(mktemp -d /tmp/skynet-test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
export ROOT OUT BUILD TMP

PASSED=0
FAILED=0
ok() { echo "ok - $1"; PASSED=$((PASSED + 1)); }
notok() { echo "not ok - $1${2:+: $2}"; FAILED=$((FAILED + 1)); }
selected() { [[ "$1" =~ $FILTER ]]; }

CMOD=$(pkg-config --variable=INSTALL_CMOD lua5.4 2>/dev/null || echo /usr/lib/x86_64-linux-gnu/lua/5.4)

# write_config NAME START [extra lines...]: a config in $TMP, prints its path.
write_config() {
	local name=$1 start=$2
	shift 2
	local cfg="$TMP/$name.conf"
	{
		echo "thread = 2"
		echo "harbor = 1"
		echo "start = $start"
		echo "cpath = $OUT/cservice/?.so"
		echo "lualoader = $ROOT/lualib/loader.lua"
		echo "luaservice = $ROOT/service/?.lua;"
		echo "	$ROOT/test/lua/?.lua;"
		echo "	$ROOT/examples/?.lua"
		echo "lua_path = $ROOT/lualib/?.lua;"
		echo "	$ROOT/lualib/?/init.lua;"
		echo "	$ROOT/test/lua/?.lua"
		echo "lua_cpath = $OUT/luaclib/?.so;$CMOD/?.so"
		echo "logger = $TMP/$name.log"
		echo "test_tmp = $TMP"
		echo "test_bin = $BUILD/bin"
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
		out=$("$t" 2>&1)
		rc=$?
		while IFS= read -r line; do
			case "$line" in
			"ok - "*) ok "$name: ${line#ok - }" ;;
			"not ok - "*) notok "$name: ${line#not ok - }" ;;
			"#"*) echo "$line" ;;
			esac
		done <<<"$out"
		if [ $rc -ne 0 ] && ! grep -q "^not ok - " <<<"$out"; then
			notok "$name" "exited with status $rc"
			echo "$out" | tail -20 | sed 's/^/# /'
		fi
	done
}

# run_lua NAME [TIMEOUT] [extra config lines...]
run_lua() {
	local name=$1 limit=${2:-60}
	shift 2 || shift $#
	selected "$name" || return 0
	local cfg log rc
	cfg=$(write_config "$name" "$name" "$@")
	log="$TMP/$name.log"
	(cd "$OUT" && timeout -k 5 "$limit" "$OUT/skynet" "$cfg") >"$TMP/$name.out" 2>&1
	rc=$?
	local seen=0
	while IFS= read -r line; do
		case "$line" in
		*"TEST ok - "*) ok "$name: ${line#*TEST ok - }"; seen=1 ;;
		*"TEST not ok - "*) notok "$name: ${line#*TEST not ok - }"; seen=1 ;;
		esac
	done <"$log"
	if ! grep -q "TEST done" "$log" 2>/dev/null; then
		notok "$name" "did not finish (exit status $rc)"
		tail -15 "$log" "$TMP/$name.out" 2>/dev/null | sed 's/^/# /'
	elif [ $rc -ne 0 ]; then
		notok "$name: exit status" "$rc"
		tail -15 "$TMP/$name.out" | sed 's/^/# /'
	fi
	local san
	san=$(sanitizer_errors "$TMP/$name.out")
	[ -n "$san" ] && notok "$name: sanitizer" "$san"
	[ $seen -eq 1 ] || true
}

run_units
for f in "$ROOT"/test/boot/*.sh; do
	[ -f "$f" ] && source "$f"
done
for f in "$ROOT"/test/lua/test_*.lua; do
	[ -f "$f" ] || continue
	name=$(basename "$f" .lua)
	limit=$(sed -n 's/^-- timeout: *\([0-9]*\).*/\1/p' "$f" | head -1)
	extra=$(sed -n 's/^-- config: *//p' "$f")
	if [ -n "$extra" ]; then
		mapfile -t lines <<<"$extra"
		run_lua "$name" "${limit:-60}" "${lines[@]}"
	else
		run_lua "$name" "${limit:-60}"
	fi
done
for f in "$ROOT"/test/net/*.sh; do
	[ -f "$f" ] && source "$f"
done

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
