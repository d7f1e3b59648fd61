#!/usr/bin/env bash
# tools/deps.sh: make sure the Debian packages the build needs are installed.
# As root it installs what is missing (apt-get update first); otherwise it prints
# the exact command to run and fails, so `make` stops with a clear message.
set -u
packages="gcc make pkg-config liblua5.4-dev lua5.4 libjemalloc-dev lua-cjson lua-cjson-dev libinih-dev lua-lpeg valgrind python3 python3-websockets libssl-dev openssl wrk redis-server redis-tools mariadb-server python3-prometheus-client chromium logrotate etcd-server curl"
missing=""
for p in $packages; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
	echo "installing missing packages:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update && apt-get install -y $missing && exit 0
	echo "error: apt-get install failed for:$missing" >&2
	exit 1
fi
echo "error: missing Debian packages:$missing" >&2
echo "run:   sudo apt-get update && sudo apt-get install -y$missing" >&2
exit 1
