# test/boot/config_lua.sh (sourced by test/run.sh): the real binary on configs
# in skynet's own Lua-script format, --print-config, and a file valid in
# neither format. Defines its functions and calls them.

# config_lua_write DIR: a skynet-style config (as skynet's examples/config:
# root = "./", include, .., locals, $VAR) in DIR; prints the top file's path.
config_lua_write() {
	local d=$1
	mkdir -p "$d/conf"
	cat >"$d/config" <<'LUA'
-- a config in skynet's format, read unchanged
root = "./"
thread = 2
logger = "$SKYNET_T_LOG"
logpath = "."
harbor = 0
start = "t_luaconfig"	-- the test service
bootstrap = "snlua bootstrap"	-- the service for bootstrap
include "conf/paths.lua"
-- daemon = "./skynet.pid"
daemon = nil
profile = false
local greeting = "hello"
game_greeting = greeting .. ", " .. "world"
game_max = 100
game_ratio = 0.25
game_flag = true
game_off = false
game_home = "$HOME"
expect_home = "$HOME"
LUA
	cat >"$d/conf/paths.lua" <<'LUA'
local out = "$SKYNET_T_OUT/"
luaservice = root.."service/?.lua;"..root.."test/lua/?.lua"
lualoader = root .. "lualib/loader.lua"
lua_path = root.."lualib/?.lua;"..root.."lualib/?/init.lua;"..root.."test/lua/?.lua"
lua_cpath = out .. "luaclib/?.so;" .. "$SKYNET_T_CMOD/?.so"
cpath = out.."cservice/?.so"
from_include = "yes"
LUA
	echo "$d/config"
}

# config_lua_boot NAME CONFIG: boots the node from the project root (so
# root = "./" works) with the log in $TMP/NAME.log; reports its testlib cases
# (read by test/logcheck.awk, so any Lua error logged fails a case).
config_lua_boot() {
	local name=$1 cfg=$2 log="$TMP/$1.log" rc
	(cd "$ROOT" && SKYNET_T_LOG="$log" SKYNET_T_OUT="$OUT" SKYNET_T_CMOD="$CMOD" \
		timeout -k 5 30 "$OUT/skynet" "$cfg") >"$TMP/$name.out" 2>&1
	rc=$?
	local kind rest done=0 cases=0
	while IFS= read -r line; do
		kind=${line%% *}
		rest=${line#* }
		case "$kind" in
		ok) ok "config_lua: $name: $rest" ;;
		notok) notok "config_lua: $name: ${rest%%$'\t'*}" "${rest#*$'\t'}" ;;
		done) done=1 ;;
		cases) cases=$rest ;;
		esac
	done < <(awk -v allowed="" -f "$ROOT/test/logcheck.awk" "$log" 2>/dev/null)
	if [ $done -eq 0 ] || [ "$cases" -eq 0 ]; then
		notok "config_lua: $name" "did not finish (exit status $rc)"
		show_tail "$log" "$TMP/$name.out"
	elif [ $rc -ne 0 ]; then
		notok "config_lua: $name: exit status" "$rc"
		show_tail "$TMP/$name.out"
	fi
	local san
	san=$(sanitizer_errors "$TMP/$name.out")
	[ -n "$san" ] && notok "config_lua: $name: sanitizer" "$san"
	return 0
}

config_lua_boot_node() {
	selected "config_lua: boot" || return 0
	config_lua_boot boot "$(config_lua_write "$TMP/luacfg")"
}

# --print-config: the resolved keys as INI, exit 0; the output boots the same.
config_lua_print() {
	selected "config_lua: print-config" || return 0
	local cfg out rc
	cfg=$(config_lua_write "$TMP/luaprint")
	out=$(cd "$ROOT" && SKYNET_T_LOG="$TMP/print_ini.log" SKYNET_T_OUT="$OUT" SKYNET_T_CMOD="$CMOD" \
		"$OUT/skynet" --print-config "$cfg" 2>"$TMP/print.err")
	rc=$?
	local want
	for want in "luaservice = ./service/?.lua;./test/lua/?.lua" "game_greeting = hello, world" \
		"game_max = 100" "game_flag = true" "profile = false" "cpath = $OUT/cservice/?.so" \
		"game_home = $HOME" "from_include = yes"; do
		if ! grep -qxF -- "$want" <<<"$out"; then
			notok "config_lua: print-config" "exit $rc, no line '$want' in: $(tr '\n' '|' <<<"$out") $(cat "$TMP/print.err")"
			return
		fi
	done
	if [ $rc -ne 0 ] || grep -qE "^(daemon|include|greeting|out) " <<<"$out"; then
		notok "config_lua: print-config" "exit $rc or unset/local keys printed: $out"
		return
	fi
	ok "config_lua: print-config prints the resolved keys as INI"
	printf '%s\n' "$out" >"$TMP/luaprint/printed.ini"
	config_lua_boot print_ini "$TMP/luaprint/printed.ini"
	# Our own config is INI and stays so.
	out=$(cd "$ROOT" && "$OUT/skynet" --print-config config/game.conf 2>&1)
	if [ $? -eq 0 ] && grep -q "(INI)" <<<"$out" && grep -qxF "luaservice = ./examples/?.lua;./service/?.lua" <<<"$out"; then
		ok "config_lua: config/game.conf reads as INI"
	else
		notok "config_lua: config/game.conf reads as INI" "$out"
	fi
}

# config_lua_refuse NAME TEXT PATTERN [--print-config]: the node (or
# --print-config) exits non-zero with one stderr line matching PATTERN.
config_lua_refuse() {
	local name=$1 text=$2 pattern=$3 flag=${4:-}
	selected "config_lua: $name" || return 0
	local cfg="$TMP/luabad_$RANDOM.conf" err rc
	printf '%s\n' "$text" >"$cfg"
	err=$(cd "$OUT" && timeout 10 "$OUT/skynet" $flag "$cfg" 2>&1 >/dev/null)
	rc=$?
	if [ $rc -eq 0 ] || [ $rc -ge 124 ]; then
		notok "config_lua: $name" "exit status $rc"
	elif [ "$(printf '%s\n' "$err" | wc -l)" -ne 1 ]; then
		notok "config_lua: $name" "expected one line, got: $err"
	elif ! grep -qE -- "$pattern" <<<"$err"; then
		notok "config_lua: $name" "message '$err' does not match '$pattern'"
	else
		ok "config_lua: $name"
	fi
}

config_lua_errors() {
	local f='luabad_[0-9]+\.conf'
	config_lua_refuse "valid in neither (reads as Lua)" "$(printf 'start = "main"\nthis is not a config')" \
		"$f:2: syntax error near 'is'; not INI either: .*$f:1: a quoted value"
	config_lua_refuse "valid in neither (reads as INI)" "$(printf 'thread = 2\n[game]')" \
		"$f:2: sections are not supported; not Lua either: .*$f:2: unexpected symbol"
	config_lua_refuse "print-config of a file valid in neither" "$(printf -- '-- skynet\nthread = = 2')" \
		"$f:2: .*; not INI either: .*$f:1: a '--' comment" --print-config
	config_lua_refuse "Lua config checks name the line" "$(printf 'root = "./"\n\nthread = 0')" "$f:3: thread must be"
	config_lua_refuse "Lua config is sandboxed" "$(printf 'root = "./"\nhome = os.getenv("HOME")')" "$f:2: .*global 'os'"
	config_lua_refuse "undefined variable in a Lua config" "$(printf 'root = "$NO_SUCH_VARIABLE_HERE"')" \
		"$f:1: undefined environment variable 'NO_SUCH_VARIABLE_HERE'"
}

config_lua_print_usage() {
	selected "config_lua: --print-config without a file" || return 0
	local err
	err=$("$OUT/skynet" --print-config 2>&1)
	if [ $? -eq 1 ] && grep -q "usage" <<<"$err"; then
		ok "config_lua: --print-config without a file prints the usage"
	else
		notok "config_lua: --print-config without a file" "$err"
	fi
}

config_lua_boot_node
config_lua_print
config_lua_errors
config_lua_print_usage
