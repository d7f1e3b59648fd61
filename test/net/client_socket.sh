# test/net/client_socket.sh: `client.socket` (skynet's module for stand-alone
# clients) under a plain lua5.4: connect, send, non-blocking recv against a
# Python echo server on loopback; readstdin lines from a pipe, exit 0 at EOF.
net_client_socket() {
	local name=net_client_socket port
	selected "$name" || return 0
	port=$(free_port)
	python3 - "$port" >"$TMP/$name.server" 2>&1 <<'PY' &
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(1)
s.settimeout(20)
print("listening", flush=True)
c, _ = s.accept()
c.settimeout(20)
while True:
    data = c.recv(65536)
    if not data:
        break
    c.sendall(data)
PY
	local spid=$! i
	for ((i = 0; i < 100; i++)); do
		grep -q listening "$TMP/$name.server" && break
		sleep 0.05
	done
	local out rc
	out=$(printf 'first line\nsecond line\n' | LUA_CPATH="$OUT/luaclib/?.so" timeout 20 lua5.4 -e "
		local socket = require 'client.socket'
		local fd = socket.connect('127.0.0.1', $port)
		local ok, err = pcall(socket.connect, '127.0.0.1', 1)
		print('refused', ok, err)
		socket.send(fd, string.rep('x', 100000))
		local got = {}
		local n = 0
		while n < 100000 do
			local s = socket.recv(fd)
			if s then got[#got + 1] = s; n = n + #s else socket.usleep(1000) end
		end
		print('echoed', n, table.concat(got) == string.rep('x', 100000))
		print('empty', select('#', socket.recv(fd)))
		local lines = 0
		while true do
			local line = socket.readstdin()
			if line then lines = lines + 1; print('stdin', line); io.stdout:flush() else socket.usleep(1000) end
		end" 2>&1)
	rc=$?
	wait_pid $spid 5 >/dev/null
	if [ $rc -ne 0 ]; then
		notok "$name" "lua exit $rc: $(tail -3 <<<"$out" | tr '\n' ' ')"
	elif ! grep -q "^refused	false	.*Connect 127.0.0.1 1 failed" <<<"$out"; then
		notok "$name: connect failure" "$(grep refused <<<"$out")"
	elif ! grep -q "^echoed	100000	true" <<<"$out" || ! grep -q "^empty	0" <<<"$out"; then
		notok "$name: send/recv" "$(grep -E 'echoed|empty' <<<"$out" | tr '\n' ' ')"
	elif [ "$(grep -c '^stdin' <<<"$out")" -ne 2 ] || ! grep -q "^stdin	second line$" <<<"$out"; then
		notok "$name: readstdin" "$(grep stdin <<<"$out" | tr '\n' ' ')"
	else
		ok "$name: connect, send, non-blocking recv, readstdin, exit at the end of stdin"
	fi
}
net_client_socket
