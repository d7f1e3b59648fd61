#!/usr/bin/env bash
# tools/deps.sh [build|test]: make sure the Debian packages are installed:
# `build` what building and running a node needs (`make`, `make run`), `test`
# that plus what the tests and benchmarks drive (servers, clients, a browser).
# As root it installs what is missing (apt-get update first); otherwise it
# prints the exact command to run and fails, so `make` stops with a clear
# message.
set -u
# the compiler, Lua 5.4, jemalloc, inih, lua-cjson, lua-lpeg (sprotoparser),
# OpenSSL (the ltls module)
build="gcc make pkg-config liblua5.4-dev lua5.4 libjemalloc-dev lua-cjson lua-cjson-dev libinih-dev lua-lpeg libssl-dev"
# valgrind (boot check), Python peers and parsers, load generators, the
# servers the client libraries are tested against, a browser for the dashboard,
# nftables to cut links in the network tests
test="valgrind python3 python3-websockets python3-prometheus-client openssl curl wrk logrotate nftables redis-server redis-tools mariadb-server etcd-server chromium"
case "${1:-test}" in
build) packages=$build ;;
test) packages="$build $test" ;;
*) echo "usage: tools/deps.sh [build|test]" >&2; exit 2 ;;
esac
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
