-- md5: skynet's md5 library (require "md5"). The C module md5.core gives
-- sum/exor/crypt/decrypt; this file adds the two helpers written in Lua:
--   md5.sumhexa(s)          the digest as 32 lowercase hex digits
--   md5.hmacmd5(data, key)  RFC 2104 HMAC-MD5, as hex (note: data first)
local md5 = require "md5.core"

local BLOCK = 64

function md5.sumhexa(s)
	return (string.gsub(md5.sum(s), ".", function(c)
		return string.format("%02x", string.byte(c))
	end))
end

function md5.hmacmd5(data, key)
	if #key > BLOCK then
		key = md5.sum(key)
	end
	key = key .. string.rep("\0", BLOCK - #key)
	local inner = md5.sum(md5.exor(key, string.rep("\x36", BLOCK)) .. data)
	return md5.sumhexa(md5.exor(key, string.rep("\x5c", BLOCK)) .. inner)
end

return md5
