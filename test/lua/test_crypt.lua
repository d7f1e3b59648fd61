-- test_crypt: skynet.crypt and md5 inside a node against published vectors
-- (the crypt cases live in crypt_vectors.lua, shared with client_crypt.sh),
-- plus md5 (RFC 1321), HMAC-MD5 (RFC 2202) and md5's stream cipher.
-- timeout: 60
local skynet = require "skynet"
local crypt = require "skynet.crypt"
local md5 = require "md5"
local T = require "testlib"

for _, c in ipairs(require "crypt_vectors"(crypt)) do
	T.case(c[1], c[2])
end

T.case("md5 RFC 1321 test suite", function()
	local v = {
		{ "", "d41d8cd98f00b204e9800998ecf8427e" },
		{ "a", "0cc175b9c0f1b6a831c399e269772661" },
		{ "abc", "900150983cd24fb0d6963f7d28e17f72" },
		{ "message digest", "f96b697d7cb7938d525a2f31aaf161d0" },
		{ "abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b" },
		{ "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f" },
		{ string.rep("1234567890", 8), "57edf4a22be3c955ac49da2e2107b67a" },
	}
	for _, t in ipairs(v) do
		T.eq(md5.sumhexa(t[1]), t[2], "sumhexa " .. t[1])
		T.eq(crypt.hexencode(md5.sum(t[1])), t[2], "sum " .. t[1])
	end
	T.eq(md5.sumhexa(string.rep("a", 1000000)), "7707d6ae4e027c70eea2a935c2296f21", "a million a")
end)

T.case("md5.hmacmd5 RFC 2202 vectors (data, key)", function()
	local big = string.rep("\xaa", 80)
	local v = {
		{ string.rep("\x0b", 16), "Hi There", "9294727a3638bb1c13f48ef8158bfc9d" },
		{ "Jefe", "what do ya want for nothing?", "750c783e6ab0b503eaa86e310a5db738" },
		{ string.rep("\xaa", 16), string.rep("\xdd", 50), "56be34521d144c88dbb8c733f0e8b3f6" },
		{ crypt.hexdecode("0102030405060708090a0b0c0d0e0f10111213141516171819"), string.rep("\xcd", 50),
			"697eaf0aca3a3aea3a75164746ffaa79" },
		{ string.rep("\x0c", 16), "Test With Truncation", "56461ef2342edc00f9bab995690efd4c" },
		{ big, "Test Using Larger Than Block-Size Key - Hash Key First", "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd" },
		{ big, "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
			"6f630fad67cda0ee1fb1f562db3aa53e" },
	}
	for i, t in ipairs(v) do
		T.eq(md5.hmacmd5(t[2], t[1]), t[3], "test_case " .. i)
	end
end)

T.case("hmac64_md5 is md5 of (x .. y) x3, halves xored", function()
	local x, y = crypt.randomkey(), crypt.randomkey()
	local m = md5.sum((x .. y):rep(3))
	T.eq(crypt.hmac64_md5(x, y), crypt.xor_str(m:sub(1, 8), m:sub(9, 16)))
end)

T.case("md5.crypt / decrypt / exor", function()
	-- cipher bytes derived with an independent model of the CFB scheme
	local c = md5.crypt(string.rep("the quick brown fox ", 3), "secret", "seed1234")
	T.eq(crypt.hexencode(c), "087365656431323334050fed6103504c6e1e95fa9e545c25747256a67eaa446ed701088fe0d6004e6e"
		.. "624231a647ea778ed6672f04540ea5e98498482254d47578f6f8a17a")
	T.eq(md5.decrypt(c, "secret"), string.rep("the quick brown fox ", 3))
	local timed = md5.crypt("hello", "k")
	T.eq(timed:byte(1), 8, "default seed: the time_t bytes")
	T.eq(md5.decrypt(timed, "k"), "hello")
	T.eq(md5.decrypt(md5.crypt("", "k", ""), "k"), "")
	T.eq(md5.exor("ab", "\1\1"), "`c")
	T.raises("lengths must be equal", md5.exor, "ab", "c")
	T.raises("invalid cyphered string", md5.decrypt, "", "k")
	T.raises("invalid cyphered string", md5.decrypt, "\5ab", "k")
	T.raises("seed too long (> 16)", md5.crypt, "m", "k", string.rep("s", 17))
	T.raises("key too long (> 256)", md5.crypt, "m", string.rep("k", 257), "s")
end)

T.case("both modules load in another service", function()
	local s = skynet.newservice("t_crypt")
	local sha, hm, b64 = skynet.call(s, "lua", "digest", "abc")
	T.eq(crypt.hexencode(sha), "a9993e364706816aba3e25717850c26c9cd0d89d")
	T.eq(hm, "900150983cd24fb0d6963f7d28e17f72")
	T.eq(b64, "YWJj")
	skynet.send(s, "lua", "exit")
end)

T.run()
