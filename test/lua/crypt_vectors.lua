-- crypt_vectors: the skynet.crypt cases shared by test_crypt (inside a node,
-- module skynet.crypt) and test/net/client_crypt.sh (plain lua5.4, module
-- client.crypt). Needs nothing but the crypt module it is given:
--   require("crypt_vectors")(crypt) -> { { name, f }, ... }
-- Vectors: RFC 3174 (SHA-1), RFC 2202 (HMAC-SHA1), RFC 4648 (base64),
-- FIPS 46 / FIPS 81 / NBS (DES), skynet's own DES example; hashkey, hmac64 and
-- the DH values were derived with an independent model of skynet's definitions.
return function(crypt)
	local cases = {}
	local function case(name, f)
		cases[#cases + 1] = { name, f }
	end

	local hex, unhex = crypt.hexencode, crypt.hexdecode

	local function eq(got, want, what)
		if got ~= want then
			error(string.format("%s: expected %q, got %q", what or "value", tostring(want), tostring(got)), 2)
		end
	end

	local function raises(pattern, f, ...)
		local ok, err = pcall(f, ...)
		if ok then
			error("expected an error containing '" .. pattern .. "'", 2)
		end
		if not string.find(tostring(err), pattern, 1, true) then
			error("error '" .. tostring(err) .. "' does not contain '" .. pattern .. "'", 2)
		end
	end

	local function u64(n)
		return string.pack("<i8", n)
	end

	local function bytes(n, seed)
		local t = {}
		local x = seed
		for i = 1, n do
			x = (x * 1103515245 + 12345) & 0x7fffffff
			t[i] = string.char(x >> 16 & 0xff)
		end
		return table.concat(t)
	end

	case("sha1 RFC 3174 vectors", function()
		eq(hex(crypt.sha1("")), "da39a3ee5e6b4b0d3255bfef95601890afd80709", "empty")
		eq(hex(crypt.sha1("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d", "TEST1")
		eq(hex(crypt.sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
			"84983e441c3bd26ebaae4aa1f95129e5e54670f1", "TEST2")
		eq(hex(crypt.sha1(string.rep("a", 1000000))), "34aa973cd4c4daa4f61eeb2bdbad27316534016f", "TEST3")
		eq(hex(crypt.sha1(string.rep("01234567", 80))), "dea356a2cddd90c7a7ecedc5ebb563934f460452", "TEST4")
		eq(#crypt.sha1("x"), 20, "binary digest")
	end)

	case("hmac_sha1 RFC 2202 vectors", function()
		local big = string.rep("\xaa", 80)
		local v = {
			{ string.rep("\x0b", 20), "Hi There", "b617318655057264e28bc0b6fb378c8ef146be00" },
			{ "Jefe", "what do ya want for nothing?", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79" },
			{ string.rep("\xaa", 20), string.rep("\xdd", 50), "125d7342b9ac11cd91a39af48aa17b4f63f175d3" },
			{ unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"), string.rep("\xcd", 50),
				"4c9007f4026250c6bc8414f9bf50c86c2d7235da" },
			{ string.rep("\x0c", 20), "Test With Truncation", "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04" },
			{ big, "Test Using Larger Than Block-Size Key - Hash Key First",
				"aa4ae5e15272d00e95705637ce8a3b55ed402112" },
			{ big, "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
				"e8e99d0f45237d786d6bbaa7965c7808bbff1a91" },
		}
		for i, t in ipairs(v) do
			eq(hex(crypt.hmac_sha1(t[1], t[2])), t[3], "test_case " .. i)
		end
	end)

	case("base64 RFC 4648 vectors", function()
		local v = { { "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
			{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" } }
		for _, t in ipairs(v) do
			eq(crypt.base64encode(t[1]), t[2], "encode " .. t[1])
			eq(crypt.base64decode(t[2]), t[1], "decode " .. t[2])
		end
		local blob = bytes(1000, 3)
		eq(crypt.base64decode(crypt.base64encode(blob)), blob, "binary round trip")
		eq(crypt.base64encode("\xfb\xff"), "+/8=", "alphabet end")
	end)

	case("base64decode skips line breaks, rejects broken text", function()
		eq(crypt.base64decode("Zm9v\r\nYmFy\n"), "foobar")
		eq(crypt.base64decode("Zg==Zg=="), "ff", "padded groups in a row")
		raises("Invalid base64 text", crypt.base64decode, "Zm9")
		raises("Invalid base64 text", crypt.base64decode, "Zm=v")
		raises("Invalid base64 text", crypt.base64decode, "Z===")
		raises("Invalid base64 text", crypt.base64decode, "Zh==")
		raises("Invalid base64 text", crypt.base64decode, "Zm9=" .. "")
	end)

	case("des FIPS vectors (blocks are independent)", function()
		-- desencode always appends a padding block; the vectors are the front
		local function ecb(key, plain)
			local c = crypt.desencode(unhex(key), unhex(plain))
			return hex(c:sub(1, #plain // 2))
		end
		eq(ecb("133457799bbcdff1", "0123456789abcdef"), "85e813540f0ab405", "FIPS 46 example")
		eq(ecb("0101010101010101", "8000000000000000"), "95f8a5e5dd31d900", "NBS variable plaintext")
		eq(ecb("8001010101010101", "0000000000000000"), "95a8d72813daa94d", "NBS variable key")
		eq(hex(crypt.desencode(unhex("0123456789abcdef"), "Now is the time for all "):sub(1, 24)),
			"3fa40e8a984d48156a271787ab8883f9893d51ec4b563b53", "FIPS 81 ECB")
		-- skynet's own test/testcrypt.lua example
		eq(crypt.base64encode(crypt.desencode("12345678", "hello world")), "KNugLrX23UcGtcVlk9y+LA==", "skynet")
		eq(crypt.desdecode("12345678", crypt.base64decode("KNugLrX23UcGtcVlk9y+LA==")), "hello world")
	end)

	case("des padding modes round trip", function()
		eq(crypt.padding.iso7816_4, 0)
		eq(crypt.padding.pkcs7, 1)
		local key = "\1\35\69\103\137\171\205\239"
		for _, mode in ipairs { "iso7816_4", "pkcs7" } do
			local m = crypt.padding[mode]
			for n = 0, 25 do
				local text = bytes(n, n + 1)
				local c = crypt.desencode(key, text, m)
				eq(#c, (n + 8) & ~7, mode .. " length " .. n)
				eq(crypt.desdecode(key, c, m), text, mode .. " round trip " .. n)
			end
		end
		-- the padding bytes themselves, seen through the ECB blocks
		eq(crypt.desencode(key, "abc", crypt.padding.pkcs7), crypt.desencode(key, "abc\5\5\5\5\5"):sub(1, 8), "pkcs7 bytes")
		eq(crypt.desencode(key, "abc"), crypt.desencode(key, "abc\x80\0\0\0\0", crypt.padding.pkcs7):sub(1, 8), "iso bytes")
		eq(crypt.desencode(key, "12345678", 1):sub(9), crypt.desencode(key, ("\8"):rep(8)):sub(1, 8), "pkcs7 full block")
		eq(crypt.desencode(key, "x", nil), crypt.desencode(key, "x", 0), "nil padding is the default")
	end)

	case("des errors", function()
		raises("Invalid key size 7, need 8 bytes", crypt.desencode, "1234567", "text")
		raises("Invalid key size 9, need 8 bytes", crypt.desdecode, "123456789", "12345678")
		raises("Invalid des crypt text length 12", crypt.desdecode, "12345678", "123456789012")
		raises("Invalid des crypt text length 0", crypt.desdecode, "12345678", "")
		raises("Invalid padding mode 2", crypt.desencode, "12345678", "text", 2)
		raises("Invalid padding mode -1", crypt.desdecode, "12345678", "12345678", -1)
		local c = crypt.desencode("12345678", "hello world")
		raises("Invalid des crypt text", crypt.desdecode, "87654321", c)
		raises("Invalid des crypt text", crypt.desdecode, "12345678", c, crypt.padding.pkcs7)
		raises("bad argument #2", crypt.desencode, "12345678", {})
	end)

	case("hexencode / hexdecode", function()
		eq(hex("\0\1\x7f\x80\xab\xff"), "00017f80abff")
		eq(unhex("00017f80abff"), "\0\1\x7f\x80\xab\xff")
		eq(unhex("ABFF"), "\xab\xff", "uppercase")
		eq(unhex(""), "")
		local blob = bytes(600, 9)
		eq(unhex(hex(blob)), blob, "long round trip")
		raises("Invalid hex text size 3", unhex, "abc")
		raises("Invalid hex text", unhex, "zz")
		raises("Invalid hex text", unhex, "0g")
	end)

	case("xor_str", function()
		eq(crypt.xor_str("abc", "\1"), "`cb")
		eq(crypt.xor_str("\0\0\0\0\0", "xy"), "xyxyx", "key repeats")
		eq(crypt.xor_str(crypt.xor_str("secret text", "key"), "key"), "secret text")
		eq(crypt.xor_str("", "k"), "")
		raises("Can't xor empty string", crypt.xor_str, "abc", "")
	end)

	case("hashkey", function()
		eq(hex(crypt.hashkey("")), "05150000a7c6674e", "the two seeds")
		eq(hex(crypt.hashkey("hello")), "9930920fcbef1867")
		eq(hex(crypt.hashkey("skynet")), "43bef41bac48ce7f")
		eq(hex(crypt.hashkey(("\0\xff"):rep(5))), "c099effce836f0f8", "high bytes are unsigned")
	end)

	case("hmac64, hmac64_md5, hmac_hash", function()
		eq(hex(crypt.hmac64("12345678", "abcdefgh")), "ac9ffda9547a027a")
		eq(hex(crypt.hmac64(("\0"):rep(8), ("\0"):rep(8))), "a2a90fe5ec190ee5")
		eq(crypt.hmac64("12345678", "abcdefgh"), crypt.hmac64("12345678", "abcdefgh"), "deterministic")
		eq(hex(crypt.hmac64_md5("12345678", "abcdefgh")), "c2a34748cf834af4")
		eq(hex(crypt.hmac_hash("12345678", "hello")), "c7c836eeffbdd948")
		eq(crypt.hmac_hash("12345678", "hello"), crypt.hmac64(crypt.hashkey("hello"), "12345678"), "definition")
		raises("Invalid uint64 x", crypt.hmac64, "1234567", "abcdefgh")
		raises("Invalid uint64 y", crypt.hmac64, "12345678", "abcdefghi")
		raises("Invalid uint64 x", crypt.hmac64_md5, "", "abcdefgh")
		raises("Invalid uint64 key", crypt.hmac_hash, "short", "text")
	end)

	case("dhexchange / dhsecret", function()
		eq(hex(crypt.dhexchange(u64(1))), "0500000000000000", "generator 5")
		eq(hex(crypt.dhexchange(u64(2))), "1900000000000000")
		eq(hex(crypt.dhexchange(u64(-60))), "0100000000000000", "5^(p-1) = 1, p = 2^64-59")
		eq(hex(crypt.dhexchange(u64(0x0123456789abcdef))), "81a1a7f474ea5f44")
		eq(hex(crypt.dhexchange(u64(-1))), "4e2ea6baf651b377", "exponent 2^64-1")
		eq(hex(crypt.dhsecret(u64(0x1122334455667788), u64(0x0102030405060708))), "79aa460beb602317")
		for _ = 1, 20 do
			local a, b = crypt.randomkey(), crypt.randomkey()
			local A, B = crypt.dhexchange(a), crypt.dhexchange(b)
			eq(crypt.dhsecret(A, b), crypt.dhsecret(B, a), "shared secret")
		end
		raises("Can't be 0", crypt.dhexchange, u64(0))
		raises("Can't be 0", crypt.dhsecret, u64(5), u64(0))
		raises("Invalid dh uint64 key", crypt.dhexchange, "1234")
		raises("Invalid uint64 x", crypt.dhsecret, "1234", u64(1))
		raises("Invalid uint64 y", crypt.dhsecret, u64(1), "")
	end)

	case("randomkey", function()
		local seen = {}
		for _ = 1, 200 do
			local k = crypt.randomkey()
			eq(#k, 8, "size")
			local x = 0
			for i = 1, 8 do x = x ~ k:byte(i) end
			if x == 0 then error("key bytes xor to 0") end
			if seen[k] then error("repeated key") end
			seen[k] = true
		end
	end)

	case("bad argument types raise, never crash", function()
		for _, name in ipairs { "hashkey", "hexencode", "hexdecode", "base64encode", "base64decode", "sha1", "dhexchange" } do
			raises("bad argument #1", crypt[name], nil)
			raises("bad argument #1", crypt[name], {})
		end
		for _, name in ipairs { "desencode", "desdecode", "hmac64", "hmac64_md5", "hmac_hash", "dhsecret", "hmac_sha1", "xor_str" } do
			raises("bad argument", crypt[name], "12345678")
		end
		eq(hex(crypt.sha1(123)), hex(crypt.sha1("123")), "numbers are strings")
	end)

	return cases
end
