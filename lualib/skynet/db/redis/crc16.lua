-- skynet.db.redis.crc16: CRC-16/XMODEM (polynomial 0x1021, initial value 0),
-- the checksum redis cluster hashes keys with: crc16(s) -> 0..65535.
local sbyte = string.byte

local table16 = {}
for i = 0, 255 do
	local c = i << 8
	for _ = 1, 8 do
		if c & 0x8000 ~= 0 then
			c = ((c << 1) ~ 0x1021) & 0xffff
		else
			c = (c << 1) & 0xffff
		end
	end
	table16[i] = c
end

return function(s)
	local crc = 0
	for i = 1, #s do
		crc = ((crc << 8) & 0xffff) ~ table16[((crc >> 8) ~ sbyte(s, i)) & 0xff]
	end
	return crc
end
