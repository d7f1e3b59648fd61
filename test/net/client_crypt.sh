# test/net/client_crypt.sh: client.crypt (luaclib/client.so) under a plain
# lua5.4 with no skynet at all: the same vectors as test_crypt
# (test/lua/crypt_vectors.lua), and client.crypt next to the client socket
# module from the same .so.
net_client_crypt() {
	local name=net_client_crypt
	selected "$name" || return 0
	local out rc
	out=$(LUA_PATH="$ROOT/test/lua/?.lua" LUA_CPATH="$OUT/luaclib/?.so" timeout 60 lua5.4 - 2>&1 <<'LUA'
local socket = require "client"
local crypt = require "client.crypt"
assert(package.loaded["skynet.crypt"] == nil)
print(type(socket.connect) == "function" and "ok - client and client.crypt from one client.so"
	or "not ok - client and client.crypt from one client.so")
for _, c in ipairs(require "crypt_vectors"(crypt)) do
	local ok, err = pcall(c[2])
	print((ok and "ok - " or "not ok - ") .. c[1] .. (ok and "" or ": " .. tostring(err)))
end
print("done")
LUA
)
	rc=$?
	while IFS= read -r line; do
		case "$line" in
		"ok - "*) ok "$name: ${line#ok - }" ;;
		"not ok - "*) notok "$name: ${line#not ok - }" ;;
		esac
	done <<<"$out"
	if [ $rc -ne 0 ] || ! grep -qx done <<<"$out"; then
		notok "$name" "lua5.4 exit status $rc"
		echo "$out" | tail -n 5 | sed 's/^/# /'
	fi
}
net_client_crypt
