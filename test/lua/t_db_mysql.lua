-- t_db_mysql: skynet.db.mysql against the private MariaDB test/net/db_mysql.sh
-- started (config key mysql_port; user sky/skypw, database skytest).
local skynet = require "skynet"
local mysql = require "skynet.db.mysql"
local T = require "testlib"

local port = assert(tonumber(skynet.getenv "mysql_port"), "mysql_port")

local function connect(extra)
	local c = { host = "127.0.0.1", port = port, user = "sky", password = "skypw", database = "skytest",
		charset = "utf8mb4" }
	for k, v in pairs(extra or {}) do
		c[k] = v
	end
	return mysql.connect(c)
end

T.case("connect (mysql_native_password), server_ver, ping", function()
	local db = connect()
	T.ok(db:server_ver():find "MariaDB", "server version: " .. tostring(db:server_ver()))
	local r = db:ping()
	T.eq(r.badresult, nil, "ping ok")
	T.eq(r.affected_rows, 0)
	db:disconnect()
	-- a user without a password
	local np = mysql.connect { host = "127.0.0.1", port = port, user = "nopw", database = "skytest" }
	T.eq(np:query("select 1 as one")[1].one, 1)
	np:disconnect()
end)

T.case("refused logins raise skynet's wording with errno and sqlstate", function()
	local err = T.raises("failed", connect, { password = "wrong" })
	T.ok(err:find("Connect to 127.0.0.1:" .. port .. " failed", 1, true), err)
	T.ok(err:find("errno:1045", 1, true), "errno: " .. err)
	T.ok(err:find("sqlstate:28000", 1, true), "sqlstate: " .. err)
	err = T.raises("failed", connect, { database = "no_such_db" })
	T.ok(err:find("errno:1049", 1, true), err)
end)

T.case("queries: OK packets, typed rows, compact arrays, errors as tables", function()
	local db = connect()
	db:query "drop table if exists t1"
	local r = db:query [[create table t1 (id int primary key auto_increment, name varchar(64),
		score double, big bigint, dec1 decimal(10,2), born date, seen datetime, blob1 blob, n int null)]]
	T.eq(r.badresult, nil, tostring(r.err))
	r = db:query("insert into t1 (name, score, big, dec1, born, seen, blob1) values "
		.. "('alice', 1.5, 9007199254740993, 12.34, '2020-02-29', '2021-03-04 05:06:07', x'00ff10'),"
		.. "('bob', -2, -5, 0, '1999-12-31', '2000-01-01 00:00:00', '')")
	T.eq(r.affected_rows, 2)
	T.eq(r.insert_id, 1)
	local rows = db:query "select * from t1 order by id"
	T.eq(#rows, 2)
	T.eq(rows[1].name, "alice")
	T.eq(rows[1].score, 1.5)
	T.eq(rows[1].big, 9007199254740993, "bigint exact")
	T.eq(rows[1].dec1, 12.34)
	T.eq(rows[1].born, "2020-02-29")
	T.eq(rows[1].seen, "2021-03-04 05:06:07")
	T.eq(rows[1].blob1, "\0\255\16", "binary column")
	T.eq(rows[1].n, nil, "NULL")
	T.eq(rows[2].big, -5)
	db:set_compact_arrays(true)
	local c = db:query "select id, name from t1 order by id"
	T.eq(c[2][2], "bob", "compact arrays")
	db:set_compact_arrays(false)
	local bad = db:query "select * from no_such_table"
	T.eq(bad.badresult, true)
	T.eq(bad.errno, 1146)
	T.eq(bad.sqlstate, "42S02")
	T.ok(bad.err:find "no_such_table", bad.err)
	-- the link is still in step after an error
	T.eq(db:query("select 2 as two")[1].two, 2)
	db:disconnect()
end)

T.case("quote_sql_str escapes and round-trips every special byte", function()
	local s = "a'b\"c\\d\0e\nf\rg\tz\26h\b"
	T.eq(mysql.quote_sql_str "it's", "'it\\'s'")
	local db = connect()
	local rows = db:query("select " .. mysql.quote_sql_str(s) .. " as v")
	T.eq(rows[1].v, s)
	db:disconnect()
end)

T.case("multi-result sets", function()
	local db = connect()
	local r = db:query "select 1 as a; select 'x' as b, 2 as c; update t1 set score = score where id = 0"
	T.eq(r.multiresultset, true)
	T.eq(#r, 3)
	T.eq(r[1][1].a, 1)
	T.eq(r[2][1].b, "x")
	T.eq(r[3].affected_rows, 0)
	local bad = db:query "select 1 as a; select * from nothing_here; select 3"
	T.eq(bad.multiresultset, true)
	T.eq(bad.badresult, true)
	T.eq(bad.errno, 1146)
	T.eq(bad[1][1].a, 1, "results before the error are kept")
	T.eq(db:query("select 4 as d")[1].d, 4, "in step after a failed multi-statement")
	-- a stored procedure returns a result set then its status
	db:query "drop procedure if exists p1"
	T.eq(db:query("create procedure p1() begin select 10 as ten; select 20 as twenty; end").badresult, nil)
	local p = db:query "call p1()"
	T.eq(p.multiresultset, true)
	T.eq(p[1][1].ten, 10)
	T.eq(p[2][1].twenty, 20)
	db:disconnect()
end)

T.case("prepared statements: prepare, execute with types, reset, close", function()
	local db = connect()
	local stmt = db:prepare "select id, name, score, big, born, seen, n from t1 where id >= ? and name <> ? order by id"
	T.eq(stmt.badresult, nil, tostring(stmt.err))
	T.eq(stmt.param_count, 2)
	T.eq(stmt.field_count, 7)
	T.eq(#stmt.fields, 7)
	local rows = db:execute(stmt, 1, "nobody")
	T.eq(#rows, 2)
	T.eq(rows[1].id, 1)
	T.eq(rows[1].name, "alice")
	T.eq(rows[1].score, 1.5)
	T.eq(rows[1].big, 9007199254740993)
	T.eq(rows[1].born, "2020-02-29")
	T.eq(rows[1].seen, "2021-03-04 05:06:07")
	T.eq(rows[1].n, nil, "NULL via the bitmap")
	T.eq(rows[2].big, -5, "signed bigint")
	rows = db:execute(stmt, 2, "x")
	T.eq(#rows, 1, "executed again with other values")
	local nilarg = db:execute(stmt, nil, "x")
	T.eq(nilarg.badresult, true)
	T.eq(nilarg.errno, 30902)
	T.raises("param_count", db.execute, db, stmt, 1)
	T.eq(db:stmt_reset(stmt).badresult, nil)
	local ins = db:prepare "insert into t1 (name, score, big) values (?, ?, ?)"
	local r = db:execute(ins, "carol", 0.25, 1 << 40)
	T.eq(r.affected_rows, 1)
	T.eq(r.insert_id, 3)
	T.eq(db:execute(ins, "dave", true, -1).affected_rows, 1, "boolean parameter")
	db:stmt_close(ins)
	db:stmt_close(stmt)
	local gone = db:execute(stmt, 1, "x")
	T.eq(gone.badresult, true, "a closed statement is refused")
	T.eq(gone.errno, 1243)
	local badp = db:prepare "select from where"
	T.eq(badp.badresult, true)
	T.eq(badp.errno, 1064)
	db:disconnect()
end)

T.case("execute: a stored procedure, a blob, timestamps, signed and unsigned tinyint", function()
	local db = connect { on_connect = function(d) d:query "set names utf8mb4" end }
	db:query "drop table if exists sp"
	T.eq(db:query([[create table sp (id int not null auto_increment primary key, str varchar(45),
		dt timestamp null default null, flt double, blb mediumblob, num int)]]).badresult, nil)
	db:query "drop procedure if exists get_sp"
	T.eq(db:query("create procedure get_sp(in p_id int) begin select * from sp where id = p_id; end").badresult, nil)
	local ins = db:prepare "insert sp (str, dt, flt, num, blb) values (?, ?, ?, ?, ?)"
	local blob = string.char(0xff, 0x8f, 3, 4, 10, 11, 13, 14, 16, 32, 48, 64)
	local r = db:execute(ins, "test_str", "2020-3-20 15:30:40", 3.1415, 89, blob)
	T.eq(r.affected_rows, 1)
	T.eq(r.insert_id, 1)
	local call = db:prepare "call get_sp(?)"
	r = db:execute(call, 1)
	T.eq(r.mulitresultset, true, "skynet's key for execute's multi-results")
	local row = r[1][1]
	T.eq(row.str, "test_str")
	T.eq(row.dt, "2020-03-20 15:30:40")
	T.eq(row.flt, 3.1415)
	T.eq(row.num, 89)
	T.eq(row.blb, blob, "blob intact")
	db:stmt_close(ins)
	db:stmt_close(call)
	db:query "drop table if exists tiu"
	db:query "create table tiu (i tinyint primary key, u tinyint unsigned)"
	db:query "insert into tiu (i, u) values (-1, 1), (127, 128), (-127, 255)"
	local st = db:prepare "select * from tiu order by i"
	local rows = db:execute(st)
	T.eq(rows[1].i, -127)
	T.eq(rows[1].u, 255)
	T.eq(rows[2].i, -1, "signed tinyint")
	T.eq(rows[3].u, 128, "unsigned tinyint")
	db:stmt_close(st)
	db:disconnect()
end)

T.case("large packets over 16 MB, both ways", function()
	local db = connect { max_packet_size = 64 * 1024 * 1024 }
	db:query "drop table if exists big"
	db:query "create table big (id int, v longblob)"
	local n = 17 * 1024 * 1024 + 123
	local v = string.rep("0123456789abcdef", n // 16) .. string.rep("z", n % 16)
	local r = db:query("insert into big values (1, '" .. v .. "')")
	T.eq(r.badresult, nil, tostring(r.err))
	T.eq(r.affected_rows, 1)
	local rows = db:query "select v, length(v) as n from big"
	T.eq(rows[1].n, n)
	T.ok(rows[1].v == v, "17 MB value read back intact")
	-- exactly one full packet's payload (0xffffff bytes): an empty packet ends it
	local exact = 0xffffff - #"select '' as x" -- 1 byte of COM_QUERY
	local q = "select '" .. string.rep("q", exact - 1) .. "' as x"
	T.eq(#q + 1, 0xffffff)
	T.eq(#db:query(q)[1].x, exact - 1, "payload of exactly 0xffffff bytes")
	db:disconnect()
	-- the default 1 MB limit refuses a bigger reply with a clear error
	local small = connect()
	T.raises("socket error", small.query, small, "select v from big")
	small:disconnect()
end)

T.case("concurrent coroutines on one connection; reconnection", function()
	local db = connect()
	local done, bad = 0, 0
	for i = 1, 100 do
		skynet.fork(function()
			local r = db:query("select " .. i .. " as v")
			if r[1].v ~= i then bad = bad + 1 end
			done = done + 1
		end)
	end
	T.wait_until(function() return done == 100 end, 1000, "100 queries")
	T.eq(bad, 0)
	-- the server kills our connection: the next query reconnects and logs in
	local id = db:query("select connection_id() as id")[1].id
	local killer = connect()
	killer:query("kill " .. id)
	local ok, v
	T.wait_until(function()
		ok, v = pcall(db.query, db, "select database() as d")
		return ok
	end, 500, "reconnected")
	T.eq(v[1].d, "skytest", "logged in again into the database")
	killer:disconnect()
	db:disconnect()
end)

T.run()
