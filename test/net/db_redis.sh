# test/net/db_redis.sh: skynet.db.redis and skynet.db.redis.cluster against
# real redis servers (Debian's redis-server) started here on loopback in a
# temp folder and stopped after: one standalone server with a password, and a
# three-master cluster made with `redis-cli --cluster create`. The cases run
# in test/lua/t_db_redis.lua (booted with the ports in its config). Budget:
# 60 s for the node; the cluster takes a few seconds to form.

# db_redis_start NAME PORT [args...]: a redis-server in $TMP/NAME; sets REDIS_PID_<NAME>
db_redis_start() {
	local name=$1 port=$2
	shift 2
	mkdir -p "$TMP/$name"
	(cd "$TMP/$name" && exec redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
		--dir "$TMP/$name" --daemonize no "$@") >"$TMP/$name/server.log" 2>&1 &
	DB_REDIS_PIDS="$DB_REDIS_PIDS $!"
}

# db_redis_wait PORT [auth]: waits until the server answers PING
db_redis_wait() {
	local port=$1 i
	shift
	for ((i = 0; i < 100; i++)); do
		[ "$(redis-cli -p "$port" "$@" --no-auth-warning ping 2>/dev/null)" = PONG ] && return 0
		sleep 0.05
	done
	return 1
}

db_redis_stop() {
	local p
	for p in $DB_REDIS_PIDS; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $DB_REDIS_PIDS; do
		wait_pid "$p" 10 >/dev/null
	done
	DB_REDIS_PIDS=""
}

net_db_redis() {
	local name=t_db_redis
	selected "$name" || return 0
	if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
		skip_required "$name" "redis-server/redis-cli not installed (tools/deps.sh installs them)"
		return 0
	fi
	DB_REDIS_PIDS=""
	local ports port c1 c2 c3
	# cluster nodes also listen on port + 10000 (the cluster bus)
	ports="$(free_port 1) $(free_port 3 10000)"
	read -r port c1 c2 c3 <<<"$ports"
	db_redis_start redis_single "$port" --requirepass skynetpw
	local p
	for p in $c1 $c2 $c3; do
		db_redis_start "redis_c$p" "$p" --cluster-enabled yes --cluster-config-file nodes.conf \
			--cluster-node-timeout 5000
	done
	local ready=1
	db_redis_wait "$port" -a skynetpw || ready=0
	for p in $c1 $c2 $c3; do
		db_redis_wait "$p" || ready=0
	done
	if [ $ready -eq 1 ] && ! timeout 30 redis-cli --cluster create "127.0.0.1:$c1" "127.0.0.1:$c2" \
		"127.0.0.1:$c3" --cluster-replicas 0 --cluster-yes >"$TMP/redis_cluster_create.log" 2>&1; then
		ready=0
	fi
	# the cluster is usable once every node reports cluster_state:ok
	local i
	for ((i = 0; ready == 1 && i < 200; i++)); do
		if redis-cli -p "$c1" cluster info | grep -q "cluster_state:ok" &&
			redis-cli -p "$c2" cluster info | grep -q "cluster_state:ok" &&
			redis-cli -p "$c3" cluster info | grep -q "cluster_state:ok"; then
			break
		fi
		sleep 0.05
	done
	if [ $ready -eq 0 ] || [ $i -ge 200 ]; then
		notok "$name: redis servers" "did not start or the cluster did not form"
		show_tail "$TMP"/redis_*/server.log "$TMP/redis_cluster_create.log"
		db_redis_stop
		return 0
	fi
	run_lua "$name" 60 "" "redis_port = $port" "redis_cluster = $c1,$c2,$c3"
	db_redis_stop
}
net_db_redis
