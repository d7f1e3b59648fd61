-- skynet.db.mysql.rsa: RSA-OAEP encryption with a server's public key, for
-- caching_sha2_password's full authentication over plain TCP (the server
-- sends its key as PEM when asked). Only encryption with a public key: a PEM
-- "PUBLIC KEY" (SubjectPublicKeyInfo) or "RSA PUBLIC KEY" (PKCS#1) is
-- parsed, the message is padded with OAEP (SHA-1, MGF1-SHA-1, empty label,
-- RFC 8017) and raised to e mod n with Montgomery multiplication on 24-bit
-- limbs. Costs about 0.1 s of Lua per login that needs it (rare: the server
-- caches the password after one full authentication).
-- encrypt(pem, message) -> ciphertext (the modulus' length in bytes)
local crypt = require "skynet.crypt"

local sbyte, schar, ssub, srep = string.byte, string.char, string.sub, string.rep
local tconcat = table.concat

local BITS = 24
local BASE = 1 << BITS
local MASK = BASE - 1

----------------------------------------------------------------------------
-- Big numbers: arrays of 24-bit limbs, least significant first

local function from_bytes(s)
	local a = {}
	local n = 0
	local acc, nbits = 0, 0
	for i = #s, 1, -1 do
		acc = acc | (sbyte(s, i) << nbits)
		nbits = nbits + 8
		if nbits >= BITS then
			n = n + 1
			a[n] = acc & MASK
			acc = acc >> BITS
			nbits = nbits - BITS
		end
	end
	if nbits > 0 then
		n = n + 1
		a[n] = acc
	end
	while n > 1 and a[n] == 0 do
		a[n] = nil
		n = n - 1
	end
	return a
end

local function to_bytes(a, len)
	local out = {}
	local acc, nbits, li = 0, 0, 1
	for i = len, 1, -1 do
		if nbits < 8 then
			acc = acc | ((a[li] or 0) << nbits)
			li = li + 1
			nbits = nbits + BITS
		end
		out[i] = schar(acc & 0xff)
		acc = acc >> 8
		nbits = nbits - 8
	end
	return tconcat(out)
end

-- a >= b, both with k limbs (missing limbs are zero)
local function ge(a, b, k)
	for i = k, 1, -1 do
		local x, y = a[i] or 0, b[i] or 0
		if x ~= y then
			return x > y
		end
	end
	return true
end

-- a = a - b in place over k limbs (a >= b)
local function sub_in(a, b, k)
	local borrow = 0
	for i = 1, k do
		local v = (a[i] or 0) - (b[i] or 0) - borrow
		if v < 0 then
			v = v + BASE
			borrow = 1
		else
			borrow = 0
		end
		a[i] = v
	end
end

-- Montgomery product a * b / R mod n (R = BASE^k); ninv = -n^-1 mod BASE
local function mont_mul(a, b, n, k, ninv)
	local t = {}
	for i = 1, 2 * k + 1 do
		t[i] = 0
	end
	for i = 1, k do
		local ai = a[i] or 0
		local c = 0
		for j = 1, k do
			local v = t[i + j - 1] + ai * (b[j] or 0) + c
			t[i + j - 1] = v & MASK
			c = v >> BITS
		end
		local p = i + k
		while c > 0 do
			local v = t[p] + c
			t[p] = v & MASK
			c = v >> BITS
			p = p + 1
		end
	end
	for i = 1, k do
		local m = (t[i] * ninv) & MASK
		local c = 0
		for j = 1, k do
			local v = t[i + j - 1] + m * n[j] + c
			t[i + j - 1] = v & MASK
			c = v >> BITS
		end
		local p = i + k
		while c > 0 and p <= 2 * k + 1 do
			local v = t[p] + c
			t[p] = v & MASK
			c = v >> BITS
			p = p + 1
		end
	end
	local r = {}
	for i = 1, k + 1 do
		r[i] = t[k + i]
	end
	if r[k + 1] ~= 0 or ge(r, n, k) then
		sub_in(r, n, k + 1)
	end
	r[k + 1] = nil
	return r
end

-- x^e mod n for an odd modulus n
local function modexp(x, e, n)
	local k = #n
	-- -n^-1 mod BASE by Newton's iteration (n is odd)
	local inv = 1
	for _ = 1, 5 do
		inv = (inv * (2 - n[1] * inv)) & MASK
	end
	local ninv = (-inv) & MASK
	-- R^2 mod n by doubling 1 (2 * BITS * k times)
	local r2 = { 1 }
	for i = 2, k + 1 do
		r2[i] = 0
	end
	for _ = 1, 2 * BITS * k do
		local c = 0
		for i = 1, k + 1 do
			local v = (r2[i] << 1) | c
			r2[i] = v & MASK
			c = v >> BITS
		end
		if r2[k + 1] ~= 0 or ge(r2, n, k) then
			sub_in(r2, n, k + 1)
		end
	end
	r2[k + 1] = nil
	local xm = mont_mul(x, r2, n, k, ninv)
	local acc = mont_mul({ 1 }, r2, n, k, ninv) -- 1 in Montgomery form
	-- left-to-right square and multiply over the bits of e
	local top = 0
	while (e >> top) > 1 do
		top = top + 1
	end
	for bit = top, 0, -1 do
		acc = mont_mul(acc, acc, n, k, ninv)
		if (e >> bit) & 1 == 1 then
			acc = mont_mul(acc, xm, n, k, ninv)
		end
	end
	return mont_mul(acc, { 1 }, n, k, ninv)
end

----------------------------------------------------------------------------
-- Keys (DER inside PEM)

local function der_read(s, pos)
	local tag = sbyte(s, pos)
	local len = sbyte(s, pos + 1)
	if tag == nil or len == nil then
		error("rsa: truncated key", 0)
	end
	pos = pos + 2
	if len >= 0x80 then
		local nb = len & 0x7f
		len = 0
		for i = 0, nb - 1 do
			len = (len << 8) | (sbyte(s, pos + i) or 0)
		end
		pos = pos + nb
	end
	if pos + len - 1 > #s then
		error("rsa: truncated key", 0)
	end
	return tag, ssub(s, pos, pos + len - 1), pos + len
end

-- PKCS#1 RSAPublicKey: SEQUENCE { INTEGER n, INTEGER e }
local function pkcs1(der)
	local tag, body = der_read(der, 1)
	if tag ~= 0x30 then
		error("rsa: bad key", 0)
	end
	local t1, n, pos = der_read(body, 1)
	local t2, e = der_read(body, pos)
	if t1 ~= 0x02 or t2 ~= 0x02 then
		error("rsa: bad key", 0)
	end
	return n:gsub("^%z+", ""), e
end

local function parse_pem(pem)
	local kind, b64 = pem:match "%-%-%-%-%-BEGIN ([%u ]+)%-%-%-%-%-(.-)%-%-%-%-%-END"
	if not kind then
		error("rsa: not a PEM public key", 0)
	end
	local der = crypt.base64decode((b64:gsub("%s", "")))
	if kind == "RSA PUBLIC KEY" then
		return pkcs1(der)
	elseif kind ~= "PUBLIC KEY" then
		error("rsa: unsupported PEM " .. kind, 0)
	end
	-- SubjectPublicKeyInfo: SEQUENCE { SEQUENCE { OID, NULL }, BIT STRING }
	local tag, body = der_read(der, 1)
	if tag ~= 0x30 then
		error("rsa: bad key", 0)
	end
	local _, _, pos = der_read(body, 1)
	local btag, bits = der_read(body, pos)
	if btag ~= 0x03 then
		error("rsa: bad key", 0)
	end
	return pkcs1(ssub(bits, 2)) -- skip the unused-bits byte
end

----------------------------------------------------------------------------
-- OAEP (SHA-1)

local function mgf1(seed, len)
	local out = {}
	local n = 0
	local counter = 0
	while n < len do
		local h = crypt.sha1(seed .. string.pack(">I4", counter))
		out[#out + 1] = h
		n = n + #h
		counter = counter + 1
	end
	return ssub(tconcat(out), 1, len)
end

local function oaep(msg, k)
	local hlen = 20
	if #msg > k - 2 * hlen - 2 then
		error("rsa: message too long", 0)
	end
	local db = crypt.sha1("") .. srep("\0", k - #msg - 2 * hlen - 2) .. "\1" .. msg
	local seed = crypt.randomkey() .. crypt.randomkey() .. ssub(crypt.randomkey(), 1, 4)
	local masked_db = crypt.xor_str(db, mgf1(seed, #db))
	local masked_seed = crypt.xor_str(seed, mgf1(masked_db, hlen))
	return "\0" .. masked_seed .. masked_db
end

return function(pem, msg)
	local nbytes, ebytes = parse_pem(pem)
	local n = from_bytes(nbytes)
	if n[1] & 1 == 0 then
		error("rsa: even modulus", 0)
	end
	local e = 0
	for i = 1, #ebytes do
		e = (e << 8) | sbyte(ebytes, i)
	end
	local k = #nbytes
	local c = modexp(from_bytes(oaep(msg, k)), e, n)
	return to_bytes(c, k)
end
