-- skynet.db.redis: a redis client over skynet.socketchannel (order mode), with
-- skynet's API:
--   redis.connect { host, port = 6379, auth, db, overload } -> db
--     auth: a password, or { user, password } for redis 6 ACL users; the AUTH
--     and SELECT run again on every reconnection.
--   db:COMMAND(args...) or db:COMMAND({args}) for every redis command by
--     name (db:get, db:hmset ...): the reply, or an error raised with redis's
--     error text ("ERR ...", "MOVED 3999 127.0.0.1:7001" ...).
--     Replies: status -> its string ("OK"), integer -> number, bulk -> string
--     or nil, array -> table (a nil element leaves a hole, as skynet).
--   db:exists(key), db:sismember(key, v) -> boolean
--   db:pipeline(ops [, resp]) ops = { {"set","k","v"}, {"get","k"} ... } sent as
--     one write; without resp: the last reply (raises if it is an error); with
--     resp: resp gets {ok = bool, out = reply} per op and is returned.
--   db:disconnect()
--   redis.watch(conf) -> w: w:subscribe(ch...), w:psubscribe(pat...),
--     w:unsubscribe, w:punsubscribe, w:message() -> data, channel [, pattern]
--     (blocks; subscriptions are replayed after a reconnection), w:disconnect().
-- A malformed reply raises an error and drops the link (socketchannel
-- reconnects on the next request); it never desynchronises the stream.
local socketchannel = require "skynet.socketchannel"

local tonumber, tostring, type, error = tonumber, tostring, type, error
local sbyte, ssub, upper = string.byte, string.sub, string.upper
local select, ipairs, setmetatable = select, ipairs, setmetatable

local redis = {}
local command = {}
local meta = { __index = command }

----------------------------------------------------------------------------
-- Replies (RESP2, and the RESP3 scalar types a server may send)

local MAX_DEPTH = 64
local read_reply

local function bad(line)
	error("redis: malformed reply " .. string.format("%q", ssub(line, 1, 64)), 0)
end

-- redis caps a bulk string at 512 MB; anything larger is a corrupt stream
local MAX_COUNT = 512 * 1024 * 1024

local function read_count(line)
	local n = math.tointeger(tonumber(ssub(line, 2)))
	if n == nil or n > MAX_COUNT then
		bad(line)
	end
	return n
end

local reader = {}

reader[43] = function(_, line) -- '+' status
	return true, ssub(line, 2)
end

reader[45] = function(_, line) -- '-' error
	return false, ssub(line, 2)
end

reader[58] = function(_, line) -- ':' integer
	local n = tonumber(ssub(line, 2))
	if n == nil then
		bad(line)
	end
	return true, n
end

reader[36] = function(so, line) -- '$' bulk string
	local n = read_count(line)
	if n < 0 then
		return true, nil
	end
	local data = so:read(n + 2)
	if ssub(data, -2) ~= "\r\n" then
		bad(line)
	end
	return true, ssub(data, 1, -3)
end

reader[42] = function(so, line, depth) -- '*' array
	local n = read_count(line)
	if n < 0 then
		return true, nil
	end
	if depth >= MAX_DEPTH then
		bad(line)
	end
	local t = {}
	local noerr = true
	for i = 1, n do
		local ok, v = read_reply(so, depth + 1)
		if not ok then
			noerr = false
		end
		t[i] = v
	end
	return noerr, t
end

reader[95] = function() -- '_' RESP3 null
	return true, nil
end

reader[35] = function(_, line) -- '#' RESP3 boolean
	return true, line == "#t"
end

reader[44] = function(_, line) -- ',' RESP3 double
	local n = tonumber(ssub(line, 2))
	if n == nil then
		bad(line)
	end
	return true, n
end

read_reply = function(so, depth)
	local line = so:readline "\r\n"
	local f = reader[sbyte(line)]
	if f == nil then
		bad(line)
	end
	return f(so, line, depth or 0)
end

----------------------------------------------------------------------------
-- Requests: "*N\r\n$len\r\narg\r\n..." built as an array of pieces

local function add_arg(lines, v)
	v = tostring(v)
	lines[#lines + 1] = "$" .. #v .. "\r\n"
	lines[#lines + 1] = v
	lines[#lines + 1] = "\r\n"
end

-- compose(lines, cmd, args): appends one command (args: a table or a value)
local function compose(lines, cmd, args)
	if type(args) == "table" then
		lines[#lines + 1] = "*" .. (#args + 1) .. "\r\n"
		add_arg(lines, cmd)
		for _, v in ipairs(args) do
			add_arg(lines, v)
		end
	else
		lines[#lines + 1] = "*2\r\n"
		add_arg(lines, cmd)
		add_arg(lines, args)
	end
	return lines
end

local function compose_list(lines, list)
	lines[#lines + 1] = "*" .. #list .. "\r\n"
	for _, v in ipairs(list) do
		add_arg(lines, v)
	end
	return lines
end

local function request(self, cmd, args)
	return self[1]:request(compose({}, cmd, args), read_reply)
end

----------------------------------------------------------------------------
-- Connection

local function auth_args(auth)
	if type(auth) == "table" then
		return auth
	end
	return { auth }
end

local function login(auth, db)
	if auth == nil and db == nil then
		return nil
	end
	return function(ch)
		if auth then
			ch:request(compose({}, "AUTH", auth_args(auth)), read_reply)
		end
		if db then
			ch:request(compose({}, "SELECT", { db }), read_reply)
		end
	end
end

-- connect(true) on a new channel, raising skynet's "Connect to HOST:PORT
-- failed (why)" when that first attempt (or its AUTH) fails.
local function first_connect(ch, host, port)
	local ok, err = pcall(ch.connect, ch, true)
	if not ok then
		ch:close()
		error(string.format("Connect to %s:%d failed (%s)", tostring(host), port, tostring(ch:last_error() or err)), 0)
	end
end

function redis.connect(conf)
	local ch = socketchannel.channel {
		host = conf.host,
		port = conf.port or 6379,
		auth = login(conf.auth, conf.db),
		nodelay = true,
		overload = conf.overload,
	}
	first_connect(ch, conf.host, conf.port or 6379)
	return setmetatable({ ch }, meta)
end

function command:disconnect()
	self[1]:close()
	setmetatable(self, nil)
end

-- every other command by name
setmetatable(command, { __index = function(t, k)
	local cmd = upper(k)
	local f = function(self, v, ...)
		if type(v) == "table" then
			return request(self, cmd, v)
		end
		-- (an argument list near Lua's stack limit, 1,000,000 slots counting
		-- this copy, overflows: pass one table instead, as db:hmset { ... })
		return request(self, cmd, { v, ... })
	end
	t[k] = f
	return f
end })

local function read_boolean(so)
	local ok, v = read_reply(so)
	return ok, v ~= 0
end

function command:exists(key)
	return self[1]:request(compose({}, "EXISTS", { key }), read_boolean)
end

function command:sismember(key, value)
	return self[1]:request(compose({}, "SISMEMBER", { key, value }), read_boolean)
end

function command:pipeline(ops, resp)
	assert(ops and #ops > 0, "pipeline is null")
	local lines = {}
	for _, op in ipairs(ops) do
		compose_list(lines, op)
	end
	local n = #ops
	if resp then
		return self[1]:request(lines, function(so)
			for _ = 1, n do
				local ok, out = read_reply(so)
				resp[#resp + 1] = { ok = ok, out = out }
			end
			return true, resp
		end)
	end
	return self[1]:request(lines, function(so)
		local ok, out
		for _ = 1, n do
			ok, out = read_reply(so)
		end
		return ok, out
	end)
end

----------------------------------------------------------------------------
-- Pub/sub

local watch = {}
local watchmeta = { __index = watch }

local function watch_login(obj, auth)
	return function(ch)
		if auth then
			ch:request(compose({}, "AUTH", auth_args(auth)), read_reply)
		end
		for k in pairs(obj.__psubscribe) do
			ch:request(compose({}, "PSUBSCRIBE", k))
		end
		for k in pairs(obj.__subscribe) do
			ch:request(compose({}, "SUBSCRIBE", k))
		end
	end
end

function redis.watch(conf)
	local obj = { __subscribe = {}, __psubscribe = {} }
	local ch = socketchannel.channel {
		host = conf.host,
		port = conf.port or 6379,
		auth = watch_login(obj, conf.auth),
		nodelay = true,
		overload = conf.overload,
	}
	obj.__sock = ch
	first_connect(ch, conf.host, conf.port or 6379)
	return setmetatable(obj, watchmeta)
end

function watch:disconnect()
	self.__sock:close()
	setmetatable(self, nil)
end

for _, name in ipairs { "subscribe", "psubscribe", "unsubscribe", "punsubscribe" } do
	local NAME = upper(name)
	watch[name] = function(self, ...)
		local ch = self.__sock
		for i = 1, select("#", ...) do
			ch:request(compose({}, NAME, (select(i, ...))))
		end
	end
end

-- Blocks until a message arrives; subscription confirmations update the
-- set replayed on reconnection.
function watch:message()
	local ch = self.__sock
	while true do
		local r = ch:response(read_reply)
		local kind = type(r) == "table" and r[1]
		if kind == "message" then
			return r[3], r[2]
		elseif kind == "pmessage" then
			return r[4], r[3], r[2]
		elseif kind == "subscribe" then
			self.__subscribe[r[2]] = true
		elseif kind == "psubscribe" then
			self.__psubscribe[r[2]] = true
		elseif kind == "unsubscribe" then
			self.__subscribe[r[2]] = nil
		elseif kind == "punsubscribe" then
			self.__psubscribe[r[2]] = nil
		end
	end
end

return redis
