# test/net/db_mysql.sh: skynet.db.mysql against a real MariaDB (Debian's
# mariadb-server), started here as a private instance: mariadb-install-db
# into a temp folder, mariadbd on 127.0.0.1 with its own socket and port
# (never the system service), stopped after. A user `sky` (password
# `skypw`, mysql_native_password) and database `skytest` are made over the
# socket; the cases run in test/lua/t_db_mysql.lua. Budget: 90 s for the node.
net_db_mysql() {
	local name=t_db_mysql
	selected "$name" || return 0
	local bin
	for bin in mariadb-install-db mariadbd mariadb; do
		if ! command -v "$bin" >/dev/null; then
			skip_required "$name" "$bin not installed (tools/deps.sh installs mariadb-server)"
			return 0
		fi
	done
	local dir="$TMP/mariadb" port
	port=$(free_port)
	mkdir -p "$dir"
	if ! mariadb-install-db --no-defaults --datadir="$dir/data" --user="$(id -un)" \
		--auth-root-authentication-method=normal --skip-test-db >"$dir/install.log" 2>&1; then
		notok "$name: mariadb-install-db" "failed"
		show_tail "$dir/install.log"
		return 0
	fi
	mariadbd --no-defaults --datadir="$dir/data" --socket="$dir/sock" --port="$port" \
		--bind-address=127.0.0.1 --user="$(id -un)" --pid-file="$dir/pid" --log-error="$dir/error.log" \
		--max-allowed-packet=64M --skip-log-bin --innodb-buffer-pool-size=16M --skip-name-resolve \
		>"$dir/out.log" 2>&1 &
	local pid=$! i
	for ((i = 0; i < 200; i++)); do
		mariadb --no-defaults -S "$dir/sock" -uroot -e "select 1" >/dev/null 2>&1 && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if ! mariadb --no-defaults -S "$dir/sock" -uroot -e "
		CREATE USER 'sky'@'127.0.0.1' IDENTIFIED BY 'skypw';
		GRANT ALL ON *.* TO 'sky'@'127.0.0.1';
		CREATE USER 'nopw'@'127.0.0.1';
		GRANT ALL ON skytest.* TO 'nopw'@'127.0.0.1';
		CREATE DATABASE skytest;" >"$dir/setup.log" 2>&1; then
		notok "$name: mariadbd" "did not start or setup failed"
		show_tail "$dir/error.log" "$dir/setup.log"
		kill -TERM "$pid" 2>/dev/null
		wait_pid "$pid" 20 >/dev/null
		return 0
	fi
	run_lua "$name" 90 "" "mysql_port = $port"
	kill -TERM "$pid" 2>/dev/null
	wait_pid "$pid" 20 >/dev/null
}
net_db_mysql
