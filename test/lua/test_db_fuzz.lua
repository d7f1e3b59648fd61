-- test_db_fuzz: the redis (RESP) and MySQL reply parsers of skynet.db.redis
-- and skynet.db.mysql fed mutated server bytes by fake servers in this
-- service (loopback, port 0): every reply must end in a value or an error
-- raised to the caller, never a crash, a hang or a desynchronised link. The
-- fake MySQL server also checks caching_sha2_password's fast path and an
-- auth switch (MariaDB, the real server of t_db_mysql, has no such plugin).
-- timeout: 90
local skynet = require "skynet"
local socket = require "skynet.socket"
local redis = require "skynet.db.redis"
local mysql = require "skynet.db.mysql"
local sha256 = require "skynet.db.mysql.sha256"
local crypt = require "skynet.crypt"
local T = require "testlib"

local rnd = 20261201
local function rand(n)
	rnd = (rnd * 1103515245 + 12345) & 0x7fffffff
	return rnd % n
end

local function mutate(s)
	for _ = 1, 1 + rand(3) do
		local pos = 1 + rand(#s)
		local op = rand(4)
		if op == 0 then
			s = s:sub(1, pos - 1) .. string.char(rand(256)) .. s:sub(pos + 1)
		elseif op == 1 then
			s = s:sub(1, pos)
		elseif op == 2 then
			s = s:sub(1, pos) .. string.char(rand(256)) .. s:sub(pos + 1)
		else
			local digits = "0123456789-"
			local d = rand(#digits) + 1
			s = s:sub(1, pos - 1) .. digits:sub(d, d) .. s:sub(pos + 1)
		end
	end
	return s
end

-- A server that answers each connection with serve(id) then closes it.
local function fake_server(serve)
	local lid = socket.listen("127.0.0.1", 0)
	local _, _, port = socket.start(lid, function(id)
		skynet.fork(function()
			socket.start(id)
			pcall(serve, id)
			socket.close(id)
		end)
	end)
	return lid, port
end

local RESP_REPLY = "*4\r\n$5\r\nhello\r\n:42\r\n*2\r\n+OK\r\n$-1\r\n-ERR boom\r\n"
local GET_REQ = "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"

T.case("RESP: 600 mutated replies end in a value or an error", function()
	local replies = {}
	local lid, port = fake_server(function(id)
		local req = socket.read(id, #GET_REQ)
		if req == GET_REQ then
			socket.write(id, table.remove(replies, 1) or "")
		end
	end)
	-- the unmutated reply parses (an error inside an array marks it failed)
	replies[1] = RESP_REPLY
	local db = redis.connect { host = "127.0.0.1", port = port }
	local ok, err = pcall(db.get, db, "k")
	T.eq(ok, false, "array with an error element fails as skynet's")
	T.eq(type(err), "table", "the array comes back as the error value")
	T.eq(err[1], "hello")
	T.eq(err[4], "ERR boom")
	db:disconnect()
	local values, errors = 0, 0
	for _ = 1, 600 do
		replies[1] = mutate(RESP_REPLY)
		local c = redis.connect { host = "127.0.0.1", port = port }
		local okv = pcall(c.get, c, "k")
		if okv then values = values + 1 else errors = errors + 1 end
		c:disconnect()
	end
	T.ok(errors > 100, "mutations rejected: " .. errors)
	T.ok(values + errors == 600, "every request answered")
	socket.close(lid)
end)

local function hexs(s)
	return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

T.case("SHA-256 FIPS 180-4 vectors", function()
	T.eq(hexs(sha256 "abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
	T.eq(hexs(sha256 ""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
	T.eq(hexs(sha256 "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
		"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
	T.eq(hexs(sha256(string.rep("a", 1000000))), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
end)

---------------------------------------------------------------------------
-- A fake MySQL server

local function xor(a, b)
	return (a:gsub("()(.)", function(i, c) return string.char(c:byte() ~ b:byte(i)) end))
end

local function sha2_scramble(pw, nonce)
	local p1 = sha256(pw)
	return xor(p1, sha256(sha256(p1) .. nonce))
end

local function native_scramble(pw, nonce)
	local s1 = crypt.sha1(pw)
	return xor(crypt.sha1(nonce .. crypt.sha1(s1)), s1)
end

local function pkt(seq, payload)
	return string.pack("<I3B", #payload, seq) .. payload
end

local function read_pkt(id)
	local h = socket.read(id, 4)
	if not h then return nil end
	local len, seq = string.unpack("<I3B", h)
	return len > 0 and socket.read(id, len) or "", seq
end

local NONCE = "abcdefgh" .. "ijklmnopqrst"

-- an RSA key made by openssl for the full-authentication case
local RSA = {}
local function make_rsa_key()
	RSA.dir = (skynet.getenv "test_tmp" or "/tmp") .. "/rsa"
	assert(os.execute("mkdir -p " .. RSA.dir .. " && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "
		.. RSA.dir .. "/key.pem 2>/dev/null && openssl pkey -in " .. RSA.dir .. "/key.pem -pubout -out " .. RSA.dir
		.. "/pub.pem"), "openssl genpkey failed")
	local f = assert(io.open(RSA.dir .. "/pub.pem"))
	RSA.pub = f:read "a"
	f:close()
end

local function handshake(plugin)
	return "\10" .. "8.0.99-fake\0" .. string.pack("<I4", 7) .. NONCE:sub(1, 8) .. "\0"
		.. string.pack("<I2BI2I2B", 0xffff, 45, 2, 0x00ff | 0x0008 | 0x0020, 21) .. string.rep("\0", 10)
		.. NONCE:sub(9) .. "\0" .. plugin .. "\0"
end

local OK = "\0\0\0\2\0\0\0"

-- mode: "sha2" (fast path), "full" (full auth with the RSA key), "switch" (native
-- first, then switches to caching_sha2); then answers each command with
-- reply() -> bytes [, close after them] (nil: close).
local function mysql_server(mode, reply)
	return fake_server(function(id)
		socket.write(id, pkt(0, handshake(mode == "switch" and "mysql_native_password" or "caching_sha2_password")))
		local resp = read_pkt(id)
		local user, pos = string.unpack("z", resp, 33)
		local tlen = resp:byte(pos)
		local token = resp:sub(pos + 1, pos + tlen)
		local seq = 2
		if mode == "switch" then
			if token ~= native_scramble("pw", NONCE) then return end
			local nonce2 = "ZYXWVUTSRQPONMLKJIHG"
			socket.write(id, pkt(2, "\254caching_sha2_password\0" .. nonce2 .. "\0"))
			token = read_pkt(id)
			if token ~= sha2_scramble("pw", nonce2) then
				socket.write(id, pkt(4, "\255\21\4#28000bad switch token"))
				return
			end
			seq = 4
		elseif token ~= sha2_scramble("pw", NONCE) or user ~= "u" then
			socket.write(id, pkt(2, "\255\21\4#28000Access denied"))
			return
		end
		if mode == "full" then
			-- full authentication: the client asks for the key, sends the
			-- password RSA-encrypted; openssl decrypts it here
			socket.write(id, pkt(seq, "\1\4"))
			if read_pkt(id) ~= "\2" then return end
			socket.write(id, pkt(seq + 2, "\1" .. RSA.pub))
			local blob = read_pkt(id)
			local f = io.open(RSA.dir .. "/blob", "wb")
			f:write(blob)
			f:close()
			local p = io.popen("openssl pkeyutl -decrypt -inkey " .. RSA.dir .. "/key.pem -pkeyopt rsa_padding_mode:oaep -in "
				.. RSA.dir .. "/blob 2>/dev/null")
			local plain = p:read "a"
			p:close()
			if plain ~= xor("pw\0", NONCE) then
				socket.write(id, pkt(seq + 4, "\255\21\4#28000Access denied (rsa)"))
				return
			end
			seq = seq + 2
		end
		if mode == "full" then
			socket.write(id, pkt(seq, OK))
		else
			socket.write(id, pkt(seq, "\1\3") .. pkt(seq + 1, OK))
		end
		while true do
			local cmd = read_pkt(id)
			if not cmd then return end
			local r, last = reply(cmd)
			if not r then return end
			socket.write(id, r)
			if last then return end
		end
	end)
end

local function lenstr(s)
	return string.char(#s) .. s
end

local function coldef(name, typ)
	return lenstr "def" .. lenstr "db" .. lenstr "t" .. lenstr "t" .. lenstr(name) .. lenstr(name)
		.. "\12" .. string.pack("<I2I4BI2B", 45, 64, typ, 0, 0) .. "\0\0"
end

local EOF = "\254\0\0\2\0"
local RESULT = pkt(1, "\2") .. pkt(2, coldef("id", 3)) .. pkt(3, coldef("name", 253)) .. pkt(4, EOF)
	.. pkt(5, lenstr "1" .. lenstr "alice") .. pkt(6, lenstr "2" .. "\251") .. pkt(7, EOF)

local function myconf(p, pw)
	return { host = "127.0.0.1", port = p, user = "u", password = pw or "pw", database = "d" }
end

T.case("caching_sha2_password: fast path, auth switch, full authentication with RSA", function()
	local lid, port = mysql_server("sha2", function() return RESULT end)
	local db = mysql.connect(myconf(port))
	T.eq(db:server_ver(), "8.0.99-fake")
	local rows = db:query "select"
	T.eq(rows[1].id, 1)
	T.eq(rows[1].name, "alice")
	T.eq(rows[2].name, nil)
	db:disconnect()
	local err = T.raises("failed", mysql.connect, myconf(port, "wrong"))
	T.ok(err:find("errno:1045", 1, true) and err:find("sqlstate:28000", 1, true), err)
	socket.close(lid)
	lid, port = mysql_server("switch", function() return RESULT end)
	db = mysql.connect(myconf(port))
	T.eq(db:query("select")[1].name, "alice", "after an auth switch to caching_sha2_password")
	db:disconnect()
	socket.close(lid)
	make_rsa_key()
	lid, port = mysql_server("full", function() return RESULT end)
	db = mysql.connect(myconf(port))
	T.eq(db:query("select")[1].name, "alice", "after full authentication with the server's RSA key")
	db:disconnect()
	err = T.raises("failed", mysql.connect, myconf(port, "wrong"))
	T.ok(err:find "Access denied", err)
	socket.close(lid)
end)

T.case("MySQL: 400 mutated result sets end in a value or an error", function()
	local answer
	local lid, port = mysql_server("sha2", function()
		local a = answer
		answer = nil
		-- one answer per connection: a truncated one then ends in a close
		return a, true
	end)
	local db = mysql.connect(myconf(port))
	local values, errors = 0, 0
	for _ = 1, 400 do
		answer = mutate(RESULT)
		local ok, r = pcall(db.query, db, "select")
		if ok and type(r) == "table" then values = values + 1 else errors = errors + 1 end
	end
	T.ok(errors > 50, "mutations rejected: " .. errors)
	T.ok(values > 0, "some mutations still parse: " .. values)
	db:disconnect()
	socket.close(lid)
end)

T.run()
