-- t_db_redis: skynet.db.redis and skynet.db.redis.cluster against the real
-- redis servers test/net/db_redis.sh started (config keys redis_port: a
-- standalone server with password "skynetpw"; redis_cluster: three masters).
local skynet = require "skynet"
local redis = require "skynet.db.redis"
local rcluster = require "skynet.db.redis.cluster"
local crc16 = require "skynet.db.redis.crc16"
local T = require "testlib"

local port = assert(tonumber(skynet.getenv "redis_port"), "redis_port")
local cports = {}
for p in string.gmatch(skynet.getenv "redis_cluster" or "", "%d+") do
	cports[#cports + 1] = tonumber(p)
end

local function conf(extra)
	local c = { host = "127.0.0.1", port = port, auth = "skynetpw" }
	for k, v in pairs(extra or {}) do
		c[k] = v
	end
	return c
end

T.case("connect with auth, commands by name, reply types", function()
	local db = redis.connect(conf())
	T.eq(db:ping(), "PONG", "status reply")
	T.eq(db:set("rk", "v1"), "OK")
	T.eq(db:get("rk"), "v1", "bulk reply")
	T.eq(db:get("missing-key"), nil, "nil bulk")
	T.eq(db:incr("counter"), 1, "integer reply")
	T.eq(db:incrby("counter", 41), 42)
	T.eq(db:exists("rk"), true, "exists -> boolean")
	T.eq(db:exists("nope"), false)
	T.eq(db:del("rk"), 1)
	T.eq(db:hmset("h", "a", 1, "b", "two"), "OK")
	local all = db:hgetall("h")
	T.eq(#all, 4, "array reply")
	T.eq(db:hget("h", "b"), "two")
	T.eq(db:sadd("s", "x", "y"), 2)
	T.eq(db:sismember("s", "x"), true, "sismember -> boolean")
	T.eq(db:sismember("s", "z"), false)
	-- arguments as one table, binary-safe values
	local bin = "a\r\nb\0c" .. string.rep("z", 100000)
	T.eq(db:set { "bin", bin }, "OK")
	T.eq(db:get "bin", bin, "binary-safe 100 KB value")
	local r = db:mget("h", "bin", "missing")
	T.eq(r[2], bin)
	T.eq(r[3], nil, "nil inside an array")
	-- errors are raised with redis's text
	local err = T.raises("WRONGTYPE", db.get, db, "h")
	T.ok(tostring(err):find "^WRONGTYPE", "error text as redis sent it: " .. tostring(err))
	T.raises("ERR unknown command", db.nosuchcommand, db, "x")
	db:disconnect()
end)

T.case("wrong password and no password raise", function()
	local err = T.raises("WRONGPASS", redis.connect, conf { auth = "bad" })
	T.ok(tostring(err):find("Connect to 127.0.0.1:" .. port .. " failed", 1, true), "skynet's wording: " .. tostring(err))
	local db = redis.connect { host = "127.0.0.1", port = port }
	T.raises("NOAUTH", db.get, db, "x")
	db:disconnect()
end)

T.case("db select, and AUTH + SELECT replayed after a reconnection", function()
	local a = redis.connect(conf { db = 3 })
	local b = redis.connect(conf { db = 0 })
	T.eq(a:set("where", "db3"), "OK")
	T.eq(b:get "where", nil, "db 0 does not see db 3")
	T.eq(b:select(3), "OK")
	T.eq(b:get "where", "db3")
	-- kill every other client: a's link drops; its next request reconnects
	local killer = redis.connect(conf())
	T.ok(killer:client("kill", "type", "normal", "skipme", "yes") >= 2, "clients killed")
	local got
	T.wait_until(function()
		local ok, v = pcall(a.get, a, "where")
		got = ok and v
		return got
	end, 500, "a reconnected")
	T.eq(got, "db3", "reconnected into db 3 with auth")
	a:disconnect()
	b:disconnect()
	killer:disconnect()
end)

T.case("pipeline: last reply, or every reply into resp", function()
	local db = redis.connect(conf())
	local last = db:pipeline {
		{ "set", "p1", "x" },
		{ "incr", "pcount" },
		{ "get", "p1" },
	}
	T.eq(last, "x", "last reply")
	local resp = {}
	local r = db:pipeline({
		{ "set", "p2", "y" },
		{ "hget", "p1", "f" }, -- WRONGTYPE
		{ "get", "p2" },
	}, resp)
	T.eq(r, resp)
	T.eq(#resp, 3)
	T.eq(resp[1].ok, true)
	T.eq(resp[1].out, "OK")
	T.eq(resp[2].ok, false, "an error in the middle")
	T.ok(resp[2].out:find "WRONGTYPE")
	T.eq(resp[3].out, "y")
	T.raises("pipeline is null", db.pipeline, db, {})
	-- 1,000 commands in one write
	local ops = {}
	for i = 1, 1000 do
		ops[i] = { "rpush", "plist", i }
	end
	T.eq(db:pipeline(ops), 1000)
	T.eq(db:llen "plist", 1000)
	db:disconnect()
end)

T.case("huge commands: hmset of 100,000 fields as arguments, 250,000 as one table", function()
	local db = redis.connect(conf())
	local t = {}
	for i = 1, 100000 do
		t[2 * i - 1] = "key" .. i
		t[2 * i] = "value" .. i
	end
	T.eq(db:hmset("big1", table.unpack(t)), "OK")
	for i = 100001, 250000 do
		t[2 * i - 1] = "key" .. i
		t[2 * i] = "value" .. i
	end
	table.insert(t, 1, "big2")
	T.eq(db:hmset(t), "OK")
	T.eq(db:hlen "big1", 100000)
	T.eq(db:hlen "big2", 250000)
	T.eq(db:hget("big2", "key250000"), "value250000")
	db:del("big1", "big2")
	db:disconnect()
end)

T.case("concurrent coroutines share one connection in order", function()
	local db = redis.connect(conf())
	local n, done = 200, 0
	local bad = 0
	for i = 1, n do
		skynet.fork(function()
			db:set("c" .. i, i)
			if tonumber(db:get("c" .. i)) ~= i then
				bad = bad + 1
			end
			done = done + 1
		end)
	end
	T.wait_until(function() return done == n end, 1000, "all coroutines")
	T.eq(bad, 0, "each coroutine got its own reply")
	db:disconnect()
end)

T.case("watch: subscribe, psubscribe, message, unsubscribe", function()
	local w = redis.watch(conf())
	w:subscribe("chan1", "chan2")
	w:psubscribe("news.*")
	local db = redis.connect(conf())
	local got = {}
	skynet.fork(function()
		for _ = 1, 3 do
			got[#got + 1] = table.pack(w:message())
		end
	end)
	-- publish until the subscriptions are active (PUBLISH counts receivers)
	T.wait_until(function() return db:publish("chan1", "hello") > 0 end, 500, "subscription active")
	T.wait_until(function() return db:publish("news.sport", "goal") > 0 end, 500, "psubscription active")
	db:publish("chan2", "second")
	T.wait_until(function() return #got == 3 end, 500, "three messages")
	T.eq(got[1][1], "hello")
	T.eq(got[1][2], "chan1")
	T.eq(got[2][1], "goal")
	T.eq(got[2][2], "news.sport")
	T.eq(got[2][3], "news.*", "pattern")
	T.eq(got[3][1], "second")
	w:unsubscribe("chan1", "chan2")
	w:punsubscribe("news.*")
	local after = {}
	skynet.fork(function()
		-- ends with a socket error when w disconnects below
		after[1] = pcall(w.message, w)
	end)
	T.wait_until(function() return db:publish("chan1", "x") == 0 end, 500, "unsubscribed")
	w:disconnect()
	db:disconnect()
end)

T.case("crc16 and keyslot match redis", function()
	T.eq(crc16 "123456789", 0x31C3, "CRC-16/XMODEM check value")
	local c = rcluster.new({ host = "127.0.0.1", port = cports[1] })
	local direct = redis.connect { host = "127.0.0.1", port = cports[1] }
	for _, k in ipairs { "a", "foo", "user:1000", "{user1000}.following", "x{}y", "{}", "{a}b", "zzz{q" } do
		T.eq(c:keyslot(k), direct:cluster("keyslot", k), "keyslot " .. k)
	end
	direct:disconnect()
	c:close_all_connection()
end)

T.case("cluster: keys spread over three masters, MOVED after a flush", function()
	local c = rcluster.new({ { host = "127.0.0.1", port = cports[1] }, { host = "127.0.0.1", port = cports[2] } },
		{ max_connections = 8 })
	local seen = {}
	for i = 1, 300 do
		T.eq(c:set("key" .. i, "v" .. i), "OK")
		seen[c.slots[c:keyslot("key" .. i)].name] = true
	end
	local masters = 0
	for _ in pairs(seen) do
		masters = masters + 1
	end
	T.eq(masters, 3, "keys on three masters")
	-- forget the slot table: commands reach random nodes and follow MOVED
	c:flush_slots_cache()
	for i = 1, 300 do
		T.eq(c:get("key" .. i), "v" .. i, "after flush " .. i)
	end
	T.eq(c:call("get", "key1"), "v1", "call form")
	T.raises("No way to dispatch", c.info, c)
	-- errors other than redirections come through
	c:set("notalist", "x")
	T.raises("WRONGTYPE", c.lpush, c, "notalist", 1)
	c:close_all_connection()
end)

T.case("cluster: ASK while a slot migrates", function()
	local c = rcluster.new({ host = "127.0.0.1", port = cports[1] })
	local key = "askkey"
	local slot = c:keyslot(key)
	local src = c.slots[slot]
	local dst
	for _, n in ipairs(c.nodes) do
		if n.name ~= src.name then
			dst = n
			break
		end
	end
	local s = redis.connect { host = src.host, port = src.port }
	local d = redis.connect { host = dst.host, port = dst.port }
	local src_id, dst_id = s:cluster "myid", d:cluster "myid"
	T.eq(d:cluster("setslot", slot, "importing", src_id), "OK")
	T.eq(s:cluster("setslot", slot, "migrating", dst_id), "OK")
	-- the key is not on the source: the source answers ASK, the client asks dst
	T.eq(c:set(key, "moved-by-ask"), "OK")
	T.eq(c:get(key), "moved-by-ask")
	T.eq(d:asking(), "OK")
	T.eq(d:get(key), "moved-by-ask", "the key landed on the importing node")
	-- give the slot back to its owner
	d:asking()
	T.eq(d:del(key), 1)
	T.eq(s:cluster("setslot", slot, "stable"), "OK")
	T.eq(d:cluster("setslot", slot, "stable"), "OK")
	s:disconnect()
	d:disconnect()
	c:close_all_connection()
end)

T.case("cluster pub/sub through onmessage", function()
	local got = {}
	local c = rcluster.new({ host = "127.0.0.1", port = cports[1] }, nil, function(data, channel)
		got[#got + 1] = { data, channel }
	end)
	c:subscribe "cchan"
	local pub = redis.connect { host = "127.0.0.1", port = c.slots[c:keyslot "cchan"].port }
	T.wait_until(function() return pub:publish("cchan", "hi") > 0 end, 500, "cluster subscription")
	T.wait_until(function() return #got > 0 end, 500, "message")
	T.eq(got[1][1], "hi")
	T.eq(got[1][2], "cchan")
	pub:disconnect()
	c:close_all_connection()
end)

T.run()
