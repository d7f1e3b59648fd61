-- test_mongo: skynet.db.mongo against test/net/mongo_peer.py, a wire-level
-- fake MongoDB (Debian ships no MongoDB): OP_MSG frames, the SCRAM-SHA-1
-- conversation, cursors in batches of 2 (so getMore runs), writes with and
-- without acknowledgement, indexes, errors.
-- timeout: 60
local skynet = require "skynet"
local mongo = require "skynet.db.mongo"
local bson = require "bson"
local P = require "t_netpeer"
local T = require "testlib"

local peer, port

local function client(extra)
	local c = { host = "127.0.0.1", port = port, username = "sky", password = "skypw" }
	for k, v in pairs(extra or {}) do
		c[k] = v
	end
	return mongo.client(c)
end

local function stats(c)
	return c:runCommand("fakeStats").stats
end

T.case("SCRAM-SHA-1 login; a wrong password and no login are refused", function()
	local c = client()
	T.eq(c:runCommand("ping").ok, 1)
	T.eq(tostring(c), "[mongo client : 127.0.0.1:" .. port .. "]")
	c:disconnect()
	local err = T.raises("failed", client, { password = "wrong" })
	T.ok(err:find("Connect to 127.0.0.1:" .. port .. " failed", 1, true), err)
	T.ok(err:find "Authentication failed", err)
	local anon = mongo.client { host = "127.0.0.1", port = port }
	local r = anon:runCommand "ping"
	T.eq(r.ok, 1, "ping needs no login")
	r = anon.game.things:safe_insert { x = 1 }
	T.eq(r, false, "writes need a login")
	anon:disconnect()
end)

T.case("insert, findOne, find with cursors over several getMore batches", function()
	local c = client()
	local coll = c.game.players
	T.eq(tostring(coll), "[mongo collection : game.players]")
	T.eq(coll.database.name, "game")
	for i = 1, 7 do
		coll:insert { name = "p" .. i, level = i, tag = (i % 2 == 0) and "even" or "odd" }
	end
	T.eq(stats(c).w0, 7, "seven unacknowledged inserts reached the server")
	local one = coll:findOne { name = "p3" }
	T.eq(one.level, 3)
	T.eq(bson.type(one._id), "objectid", "insert added an _id")
	T.eq(coll:findOne { name = "nobody" }, nil)
	local before = stats(c).getmore
	local cur = coll:find({}):sort { level = -1 }
	local got = {}
	while cur:hasNext() do
		got[#got + 1] = cur:next().level
	end
	T.eq(#got, 7, "all documents across batches")
	T.eq(got[1], 7, "sorted descending")
	T.eq(got[7], 1)
	T.eq(stats(c).getmore - before, 3, "batches of 2: three getMore calls")
	-- skip, limit, projection, count
	local few = {}
	cur = coll:find({ tag = "odd" }, { level = 1, _id = 0 }):sort({ level = 1 }):skip(1):limit(2)
	while cur:hasNext() do
		few[#few + 1] = cur:next()
	end
	T.eq(#few, 2)
	T.eq(few[1].level, 3)
	T.eq(few[1].name, nil, "projection")
	T.eq(few[1]._id, nil, "projection without _id")
	T.eq(coll:find({ tag = "even" }):count(), 3)
	T.eq(coll:find({}):skip(2):limit(3):count(true), 3, "count with limit and skip")
	-- a cursor closed early is killed on the server
	local killed = stats(c).killed_cursors
	cur = coll:find {}
	T.ok(cur:hasNext())
	cur:close()
	T.eq(stats(c).killed_cursors, killed + 1, "killCursors sent")
	T.raises("Call hasNext first", coll:find({}).next, coll:find {})
	c:disconnect()
end)

T.case("safe writes: insert, batch insert, update (upsert, multi), delete", function()
	local c = client()
	local coll = c:getDB("game"):getCollection "items"
	local ok, err, r = coll:safe_insert { _id = 1, kind = "sword", atk = 5 }
	T.eq(ok, true, tostring(err))
	T.eq(r.n, 1)
	ok, err = coll:safe_insert { _id = 1, kind = "dup" }
	T.eq(ok, false, "duplicate _id refused")
	T.ok(err:find "E11000", err)
	ok = coll:safe_batch_insert { { kind = "shield", atk = 0 }, { kind = "bow", atk = 3 }, { kind = "axe", atk = 4 } }
	T.eq(ok, true)
	coll:batch_insert { { kind = "gem" }, { kind = "gem" } }
	T.eq(coll:find({ kind = "gem" }):count(), 2, "unacknowledged batch insert")
	ok, err, r = coll:safe_update({ kind = "gem" }, { ["$set"] = { shiny = true } }, false, true)
	T.eq(ok, true)
	T.eq(r.n, 2, "multi update")
	ok, err, r = coll:safe_update({ kind = "ring" }, { ["$inc"] = { count = 2 } }, true, false)
	T.eq(r.upserted ~= nil, true, "upsert")
	T.eq(coll:findOne({ kind = "ring" }).count, 2)
	coll:update({ kind = "sword" }, { ["$inc"] = { atk = 1 } })
	T.eq(coll:findOne({ _id = 1 }).atk, 6, "unacknowledged update")
	ok, err, r = coll:safe_batch_update {
		{ query = { kind = "bow" }, update = { ["$set"] = { atk = 9 } } },
		{ query = { kind = "axe" }, update = { kind = "axe", atk = 1 } },
	}
	T.eq(r.n, 2)
	T.eq(coll:findOne({ kind = "axe" }).atk, 1, "replacement update")
	ok, err, r = coll:safe_delete({ kind = "gem" }, true)
	T.eq(r.n, 1, "single delete")
	coll:delete { kind = "gem" }
	T.eq(coll:findOne { kind = "gem" }, nil)
	ok, err, r = coll:safe_batch_delete({ { kind = "bow" }, { kind = "axe" } })
	T.eq(r.n, 2)
	local fm = coll:findAndModify { query = { _id = 1 }, update = { ["$set"] = { atk = 10 } }, new = true }
	T.eq(fm.value.atk, 10, "findAndModify returns the new document")
	c:disconnect()
end)

T.case("indexes, drop, runCommand and errors", function()
	local c = client()
	local coll = c.game.accounts
	local r = coll:createIndex({ name = 1 }, { unique = true })
	T.eq(r.ok, 1)
	r = coll:createIndexes({ { level = 1 }, "score" }, { "region", name = "by_region" })
	T.eq(r.ok, 1)
	local names = {}
	local cur = c.game:runCommand("listIndexes", "accounts").cursor
	while true do
		for _, i in ipairs(cur.firstBatch or cur.nextBatch) do
			names[i.name] = true
		end
		if cur.id == 0 then break end
		cur = c.game:runCommand("getMore", bson.int64(cur.id), "collection", "accounts").cursor
	end
	T.ok(names.name_1 and names.level_1_score_1, "index names as skynet makes them")
	T.ok(coll:safe_insert { name = "a" })
	local ok, err = coll:safe_insert { name = "a" }
	T.eq(ok, false, "unique index enforced")
	T.ok(err:find "E11000", err)
	T.eq(coll:dropIndex("name_1").ok, 1)
	T.ok(coll:safe_insert { name = "a" }, "no longer unique")
	T.eq(coll:dropIndex("nope").ok, 0)
	T.eq(coll:drop().ok, 1)
	T.eq(coll:drop().ok, 0, "dropping twice")
	r = c.game:runCommand "nosuchcommand"
	T.eq(r.ok, 0)
	T.eq(r.code, 59)
	-- aggregate with $match and $count
	local agg = c.game.players:aggregate({ { ["$match"] = { tag = "odd" } } })
	local n = 0
	while agg:hasNext() do
		agg:next()
		n = n + 1
	end
	T.eq(n, 4)
	T.eq(c.game.players:aggregate({ { ["$match"] = { tag = "even" } } }):count(), 3)
	c:disconnect()
end)

T.case("every bson type round-trips through the server", function()
	local c = client()
	local coll = c.game.types
	local oid = bson.objectid()
	local doc = {
		_id = oid, d = 0.5, s = "text", sub = { a = { 1, 2 } }, bin = bson.binary "\0\1\2", t = true,
		f = false, when = bson.date(1700000000), n = bson.null, re = bson.regex("^x", "i"), i32 = -7,
		ts = bson.timestamp(100, 5), i64 = 1 << 40, lo = bson.minkey, hi = bson.maxkey,
	}
	T.ok(coll:safe_insert(doc))
	local back = coll:findOne { _id = oid }
	for k, v in pairs(doc) do
		if type(v) == "table" then
			T.eq(back[k].a[2], 2, k)
		else
			T.eq(back[k], v, k)
		end
	end
	T.eq(math.type(back.i64), "integer")
	c:disconnect()
end)

T.case("concurrent commands on one connection are matched by responseTo", function()
	local c = client()
	local coll = c.game.counters
	local done, bad = 0, 0
	for i = 1, 50 do
		skynet.fork(function()
			local ok = coll:safe_insert { _id = i, v = i * 2 }
			local d = coll:findOne { _id = i }
			if not ok or d.v ~= i * 2 then bad = bad + 1 end
			done = done + 1
		end)
	end
	T.wait_until(function() return done == 50 end, 1000, "50 coroutines")
	T.eq(bad, 0)
	c:disconnect()
end)

T.case("the fake server stops", function()
	P.kill(peer)
end)

T.run(function()
	peer = P.spawn("mongo_peer.py", "sky", "skypw", "2")
	local out = P.wait(peer, "listening %d+")
	port = tonumber(out:match "listening (%d+)")
end)
