-- skynet.db.mongo: a MongoDB driver on bson and skynet.socketchannel (session
-- mode: replies are matched to requests by responseTo), speaking OP_MSG
-- (opcode 2013; OP_REPLY answers are read too). skynet's API:
--   mongo.client { host, port = 27017, username, password, authdb, authmod =
--     "scram_sha1", rs = { {host, port}, ... }, overload } -> client
--   client:getDB(name) or client[name] -> db; client:runCommand(...) (admin);
--   client:disconnect(), client:logout(), client:genId()
--   db:runCommand(cmd, value, k, v ...) -> the reply document (a table);
--   db:send_command(...) (no reply: moreToCome, w = 0); db:auth(user, pass);
--   db:getCollection(name) or db[name] -> collection
--   collection: insert, safe_insert, batch_insert (insert_many),
--     safe_batch_insert, update(q, u, upsert, multi), safe_update,
--     batch_update, safe_batch_update, delete(q, single), safe_delete,
--     safe_batch_delete, raw_safe_insert/update/delete, findOne(q, proj),
--     find(q, proj) -> cursor, aggregate(pipeline, options) -> cursor,
--     findAndModify(doc), createIndex, createIndexes, ensureIndex, dropIndex,
--     drop. safe_* -> ok, err, reply.
--   cursor: hasNext() (runs find, then getMore while the server has more),
--     next(), sort(...), skip(n), limit(n), count(with_limit_and_skip), close()
--     (killCursors).
--   mongo.null, mongo.minkey, mongo.maxkey, mongo.type (bson's).
-- Authentication is SCRAM-SHA-1 (RFC 5802 as MongoDB uses it: the password
-- is md5("user:mongo:password") in hex, then PBKDF2-HMAC-SHA1); the server's
-- signature is checked. After login, `ismaster` picks the primary of a
-- replica set (backup hosts come from its `hosts`).
local bson = require "bson"
local socketchannel = require "skynet.socketchannel"
local skynet = require "skynet"
local md5 = require "md5"
local crypt = require "skynet.crypt"

local rawget, assert, setmetatable, type, tostring = rawget, assert, setmetatable, type, tostring
local spack, sunpack = string.pack, string.unpack

local bson_encode, bson_encode_order, bson_decode = bson.encode, bson.encode_order, bson.decode
local bson_int64 = bson.int64
local empty_bson = bson_encode {}

local OP_REPLY, OP_MSG = 1, 2013
local MSG_MORE_TO_COME = 2
local MAX_MESSAGE = 48 * 1024 * 1024

local mongo = {}
mongo.null = assert(bson.null)
mongo.maxkey = assert(bson.maxkey)
mongo.minkey = assert(bson.minkey)
mongo.type = assert(bson.type)

local mongo_cursor = {}
local cursor_meta = { __index = mongo_cursor }

local mongo_client = {}
local client_meta = {
	__index = function(self, key)
		return rawget(mongo_client, key) or self:getDB(key)
	end,
	__tostring = function(self)
		local p = self.port and (":" .. tostring(self.port)) or ""
		return "[mongo client : " .. self.host .. p .. "]"
	end,
}

local mongo_db = {}
local db_meta = {
	__index = function(self, key)
		return rawget(mongo_db, key) or self:getCollection(key)
	end,
	__tostring = function(self)
		return "[mongo db : " .. self.name .. "]"
	end,
}

local mongo_collection = {}
local collection_meta = {
	__index = function(self, key)
		return rawget(mongo_collection, key) or self:getCollection(key)
	end,
	__tostring = function(self)
		return "[mongo collection : " .. self.full_name .. "]"
	end,
}

----------------------------------------------------------------------------
-- Wire messages

local function op_msg(request_id, flags, doc)
	local body = tostring(doc)
	return spack("<i4i4i4i4I4B", 21 + #body, request_id, 0, OP_MSG, flags, 0) .. body
end

-- The first document of a reply: an OP_MSG body section (kind 0; kind 1
-- sequences are skipped), or the first document of an OP_REPLY.
local function reply_document(msg, opcode)
	if opcode == OP_MSG then
		local flags, pos = sunpack("<I4", msg, 1)
		local stop = #msg
		if flags & 1 ~= 0 then
			stop = stop - 4 -- checksum
		end
		while pos <= stop do
			local kind = msg:byte(pos)
			if kind == 0 then
				local len = sunpack("<i4", msg, pos + 1)
				return msg:sub(pos + 1, pos + len)
			elseif kind == 1 then
				local len = sunpack("<i4", msg, pos + 1)
				if len < 4 then break end
				pos = pos + 1 + len
			else
				break
			end
		end
		error("mongo: OP_MSG reply without a body section", 0)
	elseif opcode == OP_REPLY then
		local _, _, _, n, pos = sunpack("<i4i8i4i4", msg, 1)
		if n < 1 then
			error("mongo: empty OP_REPLY", 0)
		end
		local len = sunpack("<i4", msg, pos)
		return msg:sub(pos, pos + len - 1)
	end
	error("mongo: unexpected opcode " .. tostring(opcode), 0)
end

-- socketchannel response function: session, ok, reply
local function dispatch_reply(so)
	local len = sunpack("<i4", so:read(4))
	if len < 16 or len > MAX_MESSAGE then
		error("mongo: bad message length " .. len, 0)
	end
	local msg = so:read(len - 4)
	local _, response_to, opcode = sunpack("<i4i4i4", msg)
	local ok, doc = pcall(reply_document, msg:sub(13), opcode)
	if not ok then
		return response_to, false, doc
	end
	return response_to, true, doc
end

----------------------------------------------------------------------------
-- Authentication

local auth_method = {}

function auth_method:auth_mongodb_cr(user, password)
	local pass = md5.sumhexa(string.format("%s:mongo:%s", user, password))
	local r = self:runCommand "getnonce"
	if r.ok ~= 1 then
		return false
	end
	local key = md5.sumhexa(string.format("%s%s%s", r.nonce, user, pass))
	r = self:runCommand("authenticate", 1, "user", user, "nonce", r.nonce, "key", key)
	return r.ok == 1
end

local function salt_password(password, salt, iter)
	local u = crypt.hmac_sha1(password, salt .. "\0\0\0\1")
	local out = u
	for _ = 2, iter do
		u = crypt.hmac_sha1(password, u)
		out = crypt.xor_str(out, u)
	end
	return out
end

local function parse_scram(s)
	local t = {}
	for k, v in string.gmatch(s, "(%w+)=([^,]*)") do
		t[k] = v
	end
	return t
end

function auth_method:auth_scram_sha1(username, password)
	local user = string.gsub(string.gsub(username, "=", "=3D"), ",", "=2C")
	local nonce = crypt.base64encode(crypt.randomkey() .. crypt.randomkey())
	local first_bare = "n=" .. user .. ",r=" .. nonce
	local r = self:runCommand("saslStart", 1, "autoAuthorize", 1, "mechanism", "SCRAM-SHA-1",
		"payload", crypt.base64encode("n,," .. first_bare))
	if r.ok ~= 1 then
		return false, r.errmsg
	end
	local conversation = r.conversationId
	local server_first = crypt.base64decode(r.payload)
	local sf = parse_scram(server_first)
	local iterations = tonumber(sf.i)
	if not (sf.r and sf.s and iterations) or string.sub(sf.r, 1, #nonce) ~= nonce then
		skynet.error("Server returned an invalid nonce.")
		return false, "invalid server nonce"
	end
	local without_proof = "c=biws,r=" .. sf.r
	local salted = salt_password(md5.sumhexa(username .. ":mongo:" .. password), crypt.base64decode(sf.s), iterations)
	local client_key = crypt.hmac_sha1(salted, "Client Key")
	local stored_key = crypt.sha1(client_key)
	local auth_msg = first_bare .. "," .. server_first .. "," .. without_proof
	local proof = crypt.xor_str(client_key, crypt.hmac_sha1(stored_key, auth_msg))
	local server_sig = crypt.base64encode(crypt.hmac_sha1(crypt.hmac_sha1(salted, "Server Key"), auth_msg))
	r = self:runCommand("saslContinue", 1, "conversationId", conversation,
		"payload", crypt.base64encode(without_proof .. ",p=" .. crypt.base64encode(proof)))
	if r.ok ~= 1 then
		return false, r.errmsg
	end
	if parse_scram(crypt.base64decode(r.payload)).v ~= server_sig then
		skynet.error("Server returned an invalid signature.")
		return false, "invalid server signature"
	end
	if not r.done then
		r = self:runCommand("saslContinue", 1, "conversationId", conversation, "payload", "")
		if r.ok ~= 1 or not r.done then
			skynet.error("SASL conversation failed to complete.")
			return false, "SASL conversation failed to complete"
		end
	end
	return true
end

local function parse_addr(addr)
	local host, port = string.match(addr, "([^:]+):(.+)")
	return host, tonumber(port)
end

local function mongo_auth(client)
	local user, pass = rawget(client, "username"), rawget(client, "password")
	local authmod = "auth_" .. (rawget(client, "authmod") or "scram_sha1")
	local authdb = rawget(client, "authdb")
	return function()
		if user ~= nil and pass ~= nil then
			local f = auth_method[authmod]
			assert(f, "Invalid authmod")
			local target = authdb and mongo_client.getDB(client, authdb) or mongo_client.getDB(client, "admin")
			local ok, err = f(target, user, pass)
			if not ok then
				error("mongo auth failed: " .. tostring(err or user), 0)
			end
		end
		local rs = client:runCommand "ismaster"
		if rs.ok ~= 1 then
			return
		end
		if rs.hosts then
			local backup = {}
			for _, v in ipairs(rs.hosts) do
				local host, port = parse_addr(v)
				backup[#backup + 1] = { host = host, port = port }
			end
			client.__sock:changebackup(backup)
		end
		if rs.ismaster then
			return
		elseif rs.primary then
			local host, port = parse_addr(rs.primary)
			client.host, client.port = host, port
			client.__sock:changehost(host, port)
		else
			error("No primary return : " .. tostring(rs.me))
		end
	end
end

----------------------------------------------------------------------------
-- Client and database

function mongo.client(conf)
	local first, backup = conf, nil
	if conf.rs then
		first, backup = conf.rs[1], conf.rs
	end
	local obj = {
		host = first.host,
		port = first.port or 27017,
		username = first.username,
		password = first.password,
		authmod = first.authmod,
		authdb = first.authdb,
		__id = 0,
	}
	obj.__sock = socketchannel.channel {
		host = obj.host,
		port = obj.port,
		response = dispatch_reply,
		auth = mongo_auth(obj),
		backup = backup,
		nodelay = true,
		overload = conf.overload,
	}
	setmetatable(obj, client_meta)
	local ok, err = pcall(obj.__sock.connect, obj.__sock, true)
	if not ok then
		local why = obj.__sock:last_error() or err
		obj.__sock:close()
		error(string.format("Connect to %s:%d failed (%s)", tostring(obj.host), obj.port, tostring(why)), 0)
	end
	return obj
end

function mongo_client:getDB(name)
	local db = { connection = self, name = name, full_name = name, database = false, __cmd = name .. ".$cmd" }
	db.database = db
	return setmetatable(db, db_meta)
end

function mongo_client:disconnect()
	if self.__sock then
		local so = self.__sock
		self.__sock = false
		so:close()
	end
end

function mongo_client:genId()
	local id = self.__id + 1
	if id > 0x7fffffff then
		id = 1
	end
	self.__id = id
	return id
end

function mongo_client:runCommand(...)
	if not rawget(self, "admin") then
		rawset(self, "admin", self:getDB "admin")
	end
	return self.admin:runCommand(...)
end

function mongo_client:logout()
	return self:runCommand("logout").ok == 1
end

function mongo_db:auth(user, pass)
	local f = auth_method["auth_" .. (rawget(self.connection, "authmod") or "scram_sha1")]
	assert(f, "Invalid authmod")
	return f(self, user, pass)
end

local function command_doc(self, cmd, cmd_v, extra_k, extra_v, ...)
	if extra_k then
		return bson_encode_order(cmd, cmd_v, "$db", self.name, extra_k, extra_v, ...)
	end
	return bson_encode_order(cmd, cmd_v, "$db", self.name, ...)
end

function mongo_db:runCommand(cmd, cmd_v, ...)
	local conn = self.connection
	local id = conn:genId()
	local doc = command_doc(self, cmd, cmd_v == nil and 1 or cmd_v, ...)
	local reply = conn.__sock:request(op_msg(id, 0, doc), id)
	return bson_decode(reply)
end

-- sends without waiting: moreToCome, unacknowledged write concern
function mongo_db:send_command(cmd, cmd_v, ...)
	local conn = self.connection
	local id = conn:genId()
	local doc = command_doc(self, cmd, cmd_v == nil and 1 or cmd_v, "writeConcern", { w = 0 }, ...)
	conn.__sock:request(op_msg(id, MSG_MORE_TO_COME, doc))
	return { ok = 1 }
end

function mongo_db:getCollection(name)
	local col = {
		connection = self.connection,
		name = name,
		full_name = self.full_name .. "." .. name,
		database = self.database,
	}
	rawset(self, name, setmetatable(col, collection_meta))
	return col
end

mongo_collection.getCollection = function(self, name)
	-- a sub-collection "a.b" of collection "a"
	local col = {
		connection = self.connection,
		name = self.name .. "." .. name,
		full_name = self.full_name .. "." .. name,
		database = self.database,
	}
	rawset(self, name, setmetatable(col, collection_meta))
	return col
end

----------------------------------------------------------------------------
-- Writes

local function werror(r)
	local ok = (r.ok == 1 and not r.writeErrors and not r.writeConcernError and not r.errmsg)
	local err
	if not ok then
		if r.writeErrors then
			err = r.writeErrors[1].errmsg
		elseif r.writeConcernError then
			err = r.writeConcernError.errmsg
		else
			err = r.errmsg
		end
	end
	return ok, err, r
end

local function with_ids(docs)
	for i = 1, #docs do
		if docs[i]._id == nil then
			docs[i]._id = bson.objectid()
		end
		docs[i] = bson_encode(docs[i])
	end
	return docs
end

function mongo_collection:insert(doc)
	if doc._id == nil then
		doc._id = bson.objectid()
	end
	self.database:send_command("insert", self.name, "documents", { bson_encode(doc) })
end

function mongo_collection:safe_insert(doc)
	return werror(self.database:runCommand("insert", self.name, "documents", { bson_encode(doc) }))
end

function mongo_collection:raw_safe_insert(doc)
	return werror(self.database:runCommand("insert", self.name, "documents", { doc }))
end

function mongo_collection:batch_insert(docs)
	self.database:send_command("insert", self.name, "documents", with_ids(docs))
end
mongo_collection.insert_many = mongo_collection.batch_insert

function mongo_collection:safe_batch_insert(docs)
	return werror(self.database:runCommand("insert", self.name, "documents", with_ids(docs)))
end
mongo_collection.safe_insert_many = mongo_collection.safe_batch_insert

local function update_doc(query, update, upsert, multi)
	return bson_encode { q = query, u = update, upsert = upsert, multi = multi }
end

function mongo_collection:update(query, update, upsert, multi)
	self.database:send_command("update", self.name, "updates", { update_doc(query, update, upsert, multi) })
end

function mongo_collection:safe_update(query, update, upsert, multi)
	return werror(self.database:runCommand("update", self.name, "updates",
		{ update_doc(query, update, upsert, multi) }))
end

local function update_list(updates)
	local t = {}
	for i, u in ipairs(updates) do
		t[i] = update_doc(u.query, u.update, u.upsert, u.multi)
	end
	return t
end

function mongo_collection:batch_update(updates)
	self.database:send_command("update", self.name, "updates", update_list(updates))
end

function mongo_collection:safe_batch_update(updates)
	return werror(self.database:runCommand("update", self.name, "updates", update_list(updates)))
end

function mongo_collection:raw_safe_update(update)
	return werror(self.database:runCommand("update", self.name, "updates", { update }))
end

local function delete_doc(query, single)
	return bson_encode { q = query, limit = single and 1 or 0 }
end

function mongo_collection:delete(query, single)
	self.database:runCommand("delete", self.name, "deletes", { delete_doc(query, single) })
end

function mongo_collection:safe_delete(query, single)
	return werror(self.database:runCommand("delete", self.name, "deletes", { delete_doc(query, single) }))
end

function mongo_collection:safe_batch_delete(deletes, single)
	local t = {}
	for i, q in ipairs(deletes) do
		t[i] = delete_doc(q, single)
	end
	return werror(self.database:runCommand("delete", self.name, "deletes", t))
end

function mongo_collection:raw_safe_delete(delete)
	return werror(self.database:runCommand("delete", self.name, "deletes", { delete }))
end

----------------------------------------------------------------------------
-- Indexes and commands

local function index_onekey(self, key, option)
	local doc = {}
	for k, v in pairs(option) do
		doc[k] = v
	end
	local k, v = next(key)
	assert(next(key, k) == nil, "Use new api for multi-keys")
	doc.name = doc.name or (k .. "_" .. v)
	doc.key = key
	return self.database:runCommand("createIndexes", self.name, "indexes", { doc })
end

-- { {k1 = 1}, "k2", unique = true } -> index description
local function index_model(option)
	local doc = {}
	for k, v in pairs(option) do
		if type(k) == "string" then
			doc[k] = v
		end
	end
	local keys, name = {}, nil
	for _, kv in ipairs(option) do
		local k, v
		if type(kv) == "string" then
			k, v = kv, 1
		else
			k, v = next(kv)
		end
		keys[#keys + 1] = k
		keys[#keys + 1] = v
		name = (name and (name .. "_") or "") .. k .. "_" .. v
	end
	assert(name, "Need keys")
	doc.name = doc.name or name
	doc.key = bson_encode_order(table.unpack(keys))
	return doc
end

function mongo_collection:createIndex(arg1, arg2)
	if arg2 then
		return index_onekey(self, arg1, arg2)
	end
	return self.database:runCommand("createIndexes", self.name, "indexes", { index_model(arg1) })
end
mongo_collection.ensureIndex = mongo_collection.createIndex

function mongo_collection:createIndexes(...)
	local idx = { ... }
	for i, v in ipairs(idx) do
		idx[i] = index_model(v)
	end
	return self.database:runCommand("createIndexes", self.name, "indexes", idx)
end

function mongo_collection:drop()
	return self.database:runCommand("drop", self.name)
end

function mongo_collection:dropIndex(name)
	return self.database:runCommand("dropIndexes", self.name, "index", name)
end

function mongo_collection:findAndModify(doc)
	assert(doc.query)
	assert(doc.update or doc.remove)
	local cmd = { "findAndModify", self.name }
	for k, v in pairs(doc) do
		cmd[#cmd + 1] = k
		cmd[#cmd + 1] = v
	end
	return self.database:runCommand(table.unpack(cmd))
end

----------------------------------------------------------------------------
-- Cursors

local function new_cursor(t)
	t.__ptr, t.__data, t.__cursor = nil, nil, nil
	t.__document = {}
	t.__skip, t.__limit = 0, 0
	return setmetatable(t, cursor_meta)
end

function mongo_collection:find(query, projection)
	return new_cursor {
		__collection = self,
		__query = query and bson_encode(query) or empty_bson,
		__projection = projection and bson_encode(projection) or empty_bson,
		__sort = empty_bson,
	}
end

function mongo_collection:findOne(query, projection)
	local c = self:find(query, projection)
	if c:hasNext() then
		local doc = c:next()
		c:close()
		return doc
	end
	return nil
end

function mongo_collection:aggregate(pipeline, options)
	assert(pipeline)
	return new_cursor {
		__collection = self,
		__pipeline = pipeline,
		__options = options or { cursor = {} },
	}
end

local function unfold(list, key, ...)
	if key == nil then
		return list
	end
	local k, v = next(key)
	list[#list + 1] = k
	list[#list + 1] = v
	return unfold(list, ...)
end

-- cursor:sort { key = 1 } or cursor:sort({ k1 = 1 }, { k2 = -1 })
function mongo_cursor:sort(key, key_v, ...)
	if key_v then
		key = bson_encode_order(table.unpack(unfold({}, key, key_v, ...)))
	end
	self.__sort = key
	return self
end

function mongo_cursor:skip(n)
	self.__skip = n
	return self
end

function mongo_cursor:limit(n)
	self.__limit = n
	return self
end

local function aggregate_cmd(self, with_limit_and_skip, is_count)
	local pipeline = {}
	for i, v in ipairs(self.__pipeline) do
		pipeline[i] = v
	end
	if with_limit_and_skip then
		if self.__skip > 0 then
			pipeline[#pipeline + 1] = { ["$skip"] = self.__skip }
		end
		if self.__limit > 0 then
			pipeline[#pipeline + 1] = { ["$limit"] = self.__limit }
		end
	end
	if is_count then
		pipeline[#pipeline + 1] = { ["$count"] = "__count" }
	end
	local cmd = { "aggregate", self.__collection.name, "pipeline", pipeline }
	for k, v in pairs(self.__options) do
		cmd[#cmd + 1] = k
		cmd[#cmd + 1] = v
	end
	if not self.__options.cursor and not self.__options.explain then
		cmd[#cmd + 1] = "cursor"
		cmd[#cmd + 1] = {}
	end
	return cmd
end

function mongo_cursor:count(with_limit_and_skip)
	local database = self.__collection.database
	if self.__pipeline then
		local r = database:runCommand(table.unpack(aggregate_cmd(self, with_limit_and_skip, true)))
		assert(r and r.ok == 1, r and r.errmsg)
		local first = r.cursor.firstBatch[1]
		return first and first.__count or 0
	end
	local cmd = { "count", self.__collection.name, "query", self.__query }
	if with_limit_and_skip then
		cmd[#cmd + 1], cmd[#cmd + 2] = "limit", self.__limit
		cmd[#cmd + 1], cmd[#cmd + 2] = "skip", self.__skip
	end
	local r = database:runCommand(table.unpack(cmd))
	assert(r and r.ok == 1, r and r.errmsg)
	return r.n
end

function mongo_cursor:hasNext()
	if self.__ptr ~= nil then
		return true
	end
	if self.__document == nil then
		return false
	end
	local database = self.__collection.database
	local name = self.__collection.name
	local r
	if self.__data == nil then
		if self.__pipeline then
			r = database:runCommand(table.unpack(aggregate_cmd(self, true)))
		else
			r = database:runCommand("find", name, "filter", self.__query, "sort", self.__sort,
				"skip", self.__skip, "limit", self.__limit, "projection", self.__projection)
		end
	elseif self.__cursor and self.__cursor > 0 then
		r = database:runCommand("getMore", bson_int64(self.__cursor), "collection", name)
	else
		self.__document, self.__data = nil, nil
		return false
	end
	if r.ok ~= 1 then
		self.__document, self.__data, self.__cursor = nil, nil, nil
		error(r["$err"] or r.errmsg or "Reply from mongod error")
	end
	local cursor = r.cursor
	self.__document = cursor.firstBatch or cursor.nextBatch or {}
	self.__data = r
	self.__cursor = cursor.id
	local limit = self.__limit
	if cursor.id > 0 and limit > 0 then
		limit = limit - #self.__document
		if limit <= 0 then
			self:close()
		end
		self.__limit = limit
	end
	if #self.__document == 0 then
		if (self.__cursor or 0) > 0 then
			return self:hasNext() -- an empty batch of a live cursor: ask again
		end
		return false
	end
	self.__ptr = 1
	return true
end

function mongo_cursor:next()
	if self.__ptr == nil then
		error "Call hasNext first"
	end
	local r = self.__document[self.__ptr]
	self.__ptr = self.__ptr + 1
	if self.__ptr > #self.__document then
		self.__ptr = nil
	end
	return r
end

function mongo_cursor:close()
	if self.__cursor and self.__cursor > 0 then
		local coll = self.__collection
		coll.database:send_command("killCursors", coll.name, "cursors", { bson_int64(self.__cursor) })
		self.__cursor = nil
	end
end

return mongo
