-- test_db_fuzz: the redis (RESP) and MySQL reply parsers of skynet.db.redis
-- and skynet.db.mysql fed mutated server bytes by fake servers in this
-- service (loopback, port 0): every reply must end in a value or an error
-- raised to the caller, never a crash, a hang or a desynchronised link.
-- timeout: 90
local skynet = require "skynet"
local socket = require "skynet.socket"
local redis = require "skynet.db.redis"
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

T.run()
