# test/boot/ops_examples.sh: the operations examples. examples/ops/skynet.service
# passes `systemd-analyze verify` (paths pointed at this build) and runs the
# node in the foreground; examples/ops/logrotate parses (`logrotate -d`, a
# temporary state file) and, pointed at a live node's log with its HUP sent to
# that node, really rotates: the old file stops growing, the new one fills.

ops_systemd_unit() {
	local name="ops: systemd unit verifies"
	selected "$name" || return 0
	local unit="$ROOT/examples/ops/skynet.service" dir out
	if ! grep -q '^Restart=on-failure$' "$unit" || ! grep -q '^Type=simple$' "$unit" \
		|| grep -q '^daemon *=' "$ROOT/config/game.conf"; then
		notok "$name" "the unit must run the node in the foreground with Restart=on-failure"
		return 0
	fi
	if ! command -v systemd-analyze >/dev/null; then
		skip "$name" "systemd-analyze not installed (the systemd package)"
		return 0
	fi
	dir=$(mktemp -d "$TMP/unit.XXXXXX")
	sed "s#/opt/skynet#$OUT#g" "$unit" >"$dir/skynet.service"
	out=$(cd "$dir" && systemd-analyze verify "$dir/skynet.service" 2>&1)
	if [ $? -eq 0 ] && [ -z "$out" ]; then
		ok "$name"
	else
		notok "$name" "$(head -3 <<<"$out" | tr '\n' ' ')"
	fi
}

ops_logrotate_debug() {
	local name="ops: logrotate snippet parses"
	selected "$name" || return 0
	if ! command -v logrotate >/dev/null; then
		skip_required "$name" "logrotate not installed (tools/deps.sh)"
		return 0
	fi
	local out
	out=$(logrotate -d -s "$TMP/logrotate.debug.state" "$ROOT/examples/ops/logrotate" 2>&1)
	if [ $? -eq 0 ] && ! grep -qi "error" <<<"$out" && grep -q "rotating pattern: /var/log/skynet/\*.log" <<<"$out"; then
		ok "$name"
	else
		notok "$name" "$(grep -i error <<<"$out" | head -2 | tr '\n' ' ')"
	fi
}

ops_logrotate_live() {
	local name="ops: logrotate rotates a live node's log (SIGHUP)"
	selected "$name" || return 0
	if ! command -v logrotate >/dev/null; then
		skip_required "$name" "logrotate not installed (tools/deps.sh)"
		return 0
	fi
	local dir="$TMP/rot" cfg pid conf
	mkdir -p "$dir"
	cfg=$(write_config rot t_ticker "logger = $dir/node.log")
	(cd "$OUT" && exec "$OUT/skynet" "$cfg") >"$TMP/rot.out" 2>&1 &
	pid=$!
	if ! wait_for "$dir/node.log" "tick 2"; then
		kill -9 $pid 2>/dev/null
		wait $pid 2>/dev/null
		notok "$name" "node did not start"
		show_tail "$dir/node.log" "$TMP/rot.out"
		return 0
	fi
	# the shipped snippet, pointed at this node: its path and its HUP
	conf="$TMP/rot.logrotate"
	sed -e "s#/var/log/skynet/\*\.log#$dir/*.log#" \
		-e "s#^\t\tsystemctl kill .*#\t\tkill -HUP $pid#" "$ROOT/examples/ops/logrotate" >"$conf"
	local out rc
	out=$(logrotate -f -s "$TMP/rot.state" "$conf" 2>&1)
	rc=$?
	local size1 size2
	if [ $rc -eq 0 ] && [ -f "$dir/node.log.1" ] && wait_for "$dir/node.log" "tick" 50; then
		size1=$(stat -c %s "$dir/node.log.1")
		sleep 0.3
		size2=$(stat -c %s "$dir/node.log.1")
		if [ "$size1" = "$size2" ] && grep -q "tick" "$dir/node.log"; then
			ok "$name"
		else
			notok "$name" "the rotated file still grows ($size1 -> $size2)"
		fi
	else
		notok "$name" "logrotate exit $rc: $(head -2 <<<"$out" | tr '\n' ' '); files: $(ls "$dir" | tr '\n' ' ')"
	fi
	kill -TERM $pid
	wait_pid $pid 20 || notok "$name: node stops" "exit status $?"
}

ops_systemd_unit
ops_logrotate_debug
ops_logrotate_live
