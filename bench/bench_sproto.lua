-- bench_sproto: sproto encode + decode of one 20-field record (integers
-- small and large, strings, booleans, a double, a fixed-point number, an
-- integer array and a nested struct), bench_n times (default 200,000; 2,000
-- untimed warm-up rounds). Figure: records encoded and decoded per second;
-- the record's size is a detail.
local skynet = require "skynet"
local sproto = require "sproto"
local B = require "benchlib"

local sp = sproto.parse [[
.Pos { x 0 : integer  y 1 : integer }
.Record {
	id 0 : integer
	name 1 : string
	level 2 : integer
	exp 3 : integer
	gold 4 : integer
	online 5 : boolean
	vip 6 : boolean
	guild 7 : string
	title 8 : string
	hp 9 : integer
	mp 10 : integer
	speed 11 : double
	rate 12 : integer(2)
	pos 13 : Pos
	items 14 : *integer
	last_login 15 : integer
	country 16 : string
	sex 17 : integer
	avatar 18 : string
	banned 19 : boolean
}
]]

local record = {
	id = 1234567, name = "player_one", level = 57, exp = 9876543210, gold = 250000,
	online = true, vip = false, guild = "the guild", title = "knight", hp = 3200, mp = 1500,
	speed = 1.75, rate = 0.35, pos = { x = 1024, y = -77 }, items = { 1, 2, 3, 4, 5, 6, 7, 8 },
	last_login = 1767225600, country = "nowhere", sex = 1, avatar = "default.png", banned = false,
}

B.main(function()
	local n = B.param("bench_n", 200000)
	local bin
	for _ = 1, 2000 do
		bin = sp:encode("Record", record)
		sp:decode("Record", bin)
	end
	local check = sp:decode("Record", bin)
	assert(check.exp == record.exp and check.pos.y == -77 and check.items[8] == 8, "round trip")
	local t0 = skynet.hpc()
	for _ = 1, n do
		sp:decode("Record", sp:encode("Record", record))
	end
	local dt = B.seconds(t0, skynet.hpc())
	B.report("sproto", n / dt, "records/s", { n = n, bytes = #bin, packed = #sproto.pack(bin) })
end)
