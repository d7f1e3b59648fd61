-- skynet.db.mysql: a MySQL/MariaDB client speaking the client/server protocol
-- over skynet.socketchannel (order mode), with skynet's API:
--   mysql.connect { host, port = 3306, database, user, password, charset,
--     max_packet_size = 1 MB, compact_arrays, on_connect(db), overload } -> db
--     raises "Connect to HOST:PORT failed (errno:N, msg:...,sqlstate:S)".
--   db:query(sql) -> an OK table { affected_rows, insert_id, server_status,
--     warning_count, message }, or rows (array of { column = value } or, with
--     compact_arrays, arrays), or for several statements
--     { res1, res2, ..., multiresultset = true }; a server error gives
--     { badresult = true, err, errno, sqlstate } (never raised).
--   db:prepare(sql) -> { prepare_id, field_count, param_count, warning_count,
--     params, fields } or badresult; db:execute(stmt, ...) -> as query (binary
--     rows; a nil argument gives badresult errno 30902); db:stmt_reset(stmt);
--   db:stmt_close(stmt); db:ping(); db:server_ver(); db:set_compact_arrays(b);
--   db:disconnect(); mysql.quote_sql_str(s).
-- Authentication: mysql_native_password and caching_sha2_password, both its
-- fast path (the server has the password cached) and its full
-- authentication over plain TCP: the client asks for the server's RSA public
-- key and sends the password RSA-OAEP encrypted (skynet.db.mysql.rsa). No
-- TLS. An auth switch request moves to the plugin the server names. Payloads of 16 MB and more
-- are split into 0xffffff-byte packets both ways and joined when read.
-- Text rows convert numeric columns with tonumber (as skynet); binary rows
-- decode by column type (signed or unsigned as the column says).
local socketchannel = require "skynet.socketchannel"
local crypt = require "skynet.crypt"
local sha256 = require "skynet.db.mysql.sha256"

-- loaded on the first full caching_sha2 authentication only
local function rsa_encrypt(pem, msg)
	return require("skynet.db.mysql.rsa")(pem, msg)
end

local spack, sunpack, sbyte, schar, ssub, srep, sformat = string.pack, string.unpack, string.byte,
	string.char, string.sub, string.rep, string.format
local tonumber, setmetatable, error, type, select = tonumber, setmetatable, error, type, select
local tconcat = table.concat

local mysql = { _VERSION = "0.14" }
local mt = { __index = mysql }

local COM_QUERY, COM_PING = 0x03, 0x0e
local COM_STMT_PREPARE, COM_STMT_EXECUTE, COM_STMT_CLOSE, COM_STMT_RESET = 0x16, 0x17, 0x19, 0x1a
local SERVER_MORE_RESULTS_EXISTS = 0x08
local MAX_PAYLOAD = 0xffffff
local UNSIGNED_FLAG = 0x20

-- client capabilities: LONG_PASSWORD, FOUND_ROWS, LONG_FLAG, CONNECT_WITH_DB,
-- PROTOCOL_41, TRANSACTIONS, SECURE_CONNECTION, MULTI_STATEMENTS,
-- MULTI_RESULTS, PS_MULTI_RESULTS, PLUGIN_AUTH, PLUGIN_AUTH_LENENC_DATA
local CLIENT_FLAGS = 0x1 | 0x2 | 0x4 | 0x8 | 0x200 | 0x2000 | 0x8000 | 0x10000 | 0x20000 | 0x40000
	| 0x80000 | 0x200000

local CHARSET = { _default = 45, utf8 = 33, utf8mb4 = 45, latin1 = 8, binary = 63, gbk = 28, big5 = 1,
	ascii = 11, ucs2 = 35, utf16 = 54, utf32 = 60, gb2312 = 24 }

local function proto_error(what)
	error("mysql protocol error: " .. what, 0)
end

----------------------------------------------------------------------------
-- Packets

-- Reads one logical packet (joining 0xffffff-byte pieces); returns the
-- payload and its kind: "OK", "ERR", "EOF" or "DATA".
local function recv_packet(self, so)
	local parts
	local payload
	while true do
		local len, seq = sunpack("<I3B", so:read(4))
		self.packet_no = seq
		local total = (parts and #parts * MAX_PAYLOAD or 0) + len
		if total > self._max_packet_size then
			proto_error("packet size too big: " .. total)
		end
		local data = len > 0 and so:read(len) or ""
		if len < MAX_PAYLOAD then
			if parts then
				parts[#parts + 1] = data
				payload = tconcat(parts)
			else
				payload = data
			end
			break
		end
		parts = parts or {}
		parts[#parts + 1] = data
	end
	if payload == "" then
		proto_error("empty packet")
	end
	local first = sbyte(payload)
	local kind
	if first == 0x00 then
		kind = "OK"
	elseif first == 0xff then
		kind = "ERR"
	elseif first == 0xfe and #payload < 9 then
		kind = "EOF"
	else
		kind = "DATA"
	end
	return payload, kind
end

-- The wire bytes of a payload: split in 0xffffff pieces, each with the next
-- sequence number (a payload of exactly N pieces ends with an empty one).
local function compose_packet(self, payload)
	local out = {}
	local pos, n = 1, #payload
	repeat
		local len = math.min(n - pos + 1, MAX_PAYLOAD)
		self.packet_no = (self.packet_no + 1) & 0xff
		out[#out + 1] = spack("<I3B", len, self.packet_no)
		out[#out + 1] = ssub(payload, pos, pos + len - 1)
		pos = pos + len
	until len < MAX_PAYLOAD
	return out
end

local function command_packet(self, payload)
	self.packet_no = -1
	return compose_packet(self, payload)
end

----------------------------------------------------------------------------
-- Field readers (all bounds-checked: a short payload is a protocol error)

local function lenenc_int(data, pos)
	local first = sbyte(data, pos)
	if first == nil then
		proto_error("truncated length")
	end
	if first < 0xfb then
		return first, pos + 1
	elseif first == 0xfb then
		return nil, pos + 1
	elseif first == 0xfc then
		if pos + 2 > #data then proto_error("truncated length") end
		return sunpack("<I2", data, pos + 1)
	elseif first == 0xfd then
		if pos + 3 > #data then proto_error("truncated length") end
		return sunpack("<I3", data, pos + 1)
	elseif first == 0xfe then
		if pos + 8 > #data then proto_error("truncated length") end
		return sunpack("<I8", data, pos + 1)
	end
	proto_error("bad length byte 0xff")
end

local function lenenc_str(data, pos)
	local len
	len, pos = lenenc_int(data, pos)
	if len == nil then
		return nil, pos
	end
	if len < 0 or pos + len - 1 > #data then
		proto_error("truncated string")
	end
	return ssub(data, pos, pos + len - 1), pos + len
end

local function lenenc_bin(n)
	if n < 0xfb then
		return schar(n)
	elseif n < 0x10000 then
		return spack("<BI2", 0xfc, n)
	elseif n < 0x1000000 then
		return spack("<BI3", 0xfd, n)
	end
	return spack("<BI8", 0xfe, n)
end

local function checked_unpack(fmt, data, pos)
	if pos + string.packsize(fmt) - 1 > #data then
		proto_error("truncated packet")
	end
	return sunpack(fmt, data, pos)
end

local function parse_ok(packet)
	local res = {}
	local pos
	res.affected_rows, pos = lenenc_int(packet, 2)
	res.insert_id, pos = lenenc_int(packet, pos)
	res.server_status, res.warning_count, pos = checked_unpack("<I2I2", packet, pos)
	local message = ssub(packet, pos)
	if message ~= "" then
		res.message = message
	end
	return res
end

local function parse_eof(packet)
	if #packet < 5 then
		return 0, 0
	end
	return sunpack("<I2I2", packet, 2)
end

local function parse_err(packet)
	local errno, pos = checked_unpack("<I2", packet, 2)
	local sqlstate
	if ssub(packet, pos, pos) == "#" then
		sqlstate = ssub(packet, pos + 1, pos + 5)
		pos = pos + 6
	end
	return errno, ssub(packet, pos), sqlstate
end

local function parse_field(data)
	local col = {}
	local pos = 1
	local _
	_, pos = lenenc_str(data, pos) -- catalog
	_, pos = lenenc_str(data, pos) -- schema
	_, pos = lenenc_str(data, pos) -- table
	_, pos = lenenc_str(data, pos) -- original table
	col.name, pos = lenenc_str(data, pos)
	_, pos = lenenc_str(data, pos) -- original name
	_, pos = lenenc_int(data, pos) -- length of the fixed fields (0x0c)
	local charset, length, typ, flags, decimals = checked_unpack("<I2I4BI2B", data, pos)
	col.type, col.flags, col.decimals = typ, flags, decimals
	col.charsetnr, col.length = charset, length
	return col
end

----------------------------------------------------------------------------
-- Text result sets

local converters = {}
for _, t in ipairs { 0x01, 0x02, 0x03, 0x04, 0x05, 0x08, 0x09, 0x0d, 0xf6 } do
	converters[t] = tonumber
end

local function parse_text_row(data, cols, compact)
	local row = {}
	local pos = 1
	for i = 1, #cols do
		local value
		value, pos = lenenc_str(data, pos)
		local col = cols[i]
		if value ~= nil then
			local conv = converters[col.type]
			if conv then
				value = conv(value)
			end
		end
		if compact then
			row[i] = value
		else
			row[col.name] = value
		end
	end
	return row
end

-- Reads column definitions up to their EOF.
local function read_columns(self, so, count)
	local cols = {}
	for i = 1, count do
		local packet, kind = recv_packet(self, so)
		if kind ~= "DATA" then
			proto_error("bad field packet type: " .. kind)
		end
		cols[i] = parse_field(packet)
	end
	local _, kind = recv_packet(self, so)
	if kind ~= "EOF" then
		proto_error("unexpected packet type " .. kind .. " while eof packet is expected")
	end
	return cols
end

-- One result: returns res [, "again"] or nil, err, errno, sqlstate.
local function read_result(self, so, parse_row)
	local packet, kind = recv_packet(self, so)
	if kind == "ERR" then
		local errno, msg, sqlstate = parse_err(packet)
		return nil, msg, errno, sqlstate
	end
	if kind == "OK" then
		local res = parse_ok(packet)
		if res.server_status & SERVER_MORE_RESULTS_EXISTS ~= 0 then
			return res, "again"
		end
		return res
	end
	if kind ~= "DATA" then
		return nil, "packet type " .. kind .. " not supported"
	end
	local count = lenenc_int(packet, 1)
	if count == nil or count == 0 then
		proto_error("bad column count")
	end
	local cols = read_columns(self, so, count)
	local compact = self.compact
	local rows = {}
	while true do
		packet, kind = recv_packet(self, so)
		if kind == "EOF" then
			local _, status = parse_eof(packet)
			if status & SERVER_MORE_RESULTS_EXISTS ~= 0 then
				return rows, "again"
			end
			return rows
		elseif kind == "ERR" then
			local errno, msg, sqlstate = parse_err(packet)
			return nil, msg, errno, sqlstate
		end
		rows[#rows + 1] = parse_row(packet, cols, compact)
	end
end

local function badresult(err, errno, sqlstate, t)
	t = t or {}
	t.badresult = true
	t.err = err
	t.errno = errno
	t.sqlstate = sqlstate
	return t
end

-- multi_alias: skynet names a multi-result of query "multiresultset" and one
-- of execute "mulitresultset" (sic); execute's gets both names here.
local function result_reader(self, parse_row, multi_alias)
	return function(so)
		local res, err, errno, sqlstate = read_result(self, so, parse_row)
		if not res then
			return true, badresult(err, errno, sqlstate)
		end
		if err ~= "again" then
			return true, res
		end
		local multi = { res, multiresultset = true }
		if multi_alias then
			multi.mulitresultset = true
		end
		while err == "again" do
			res, err, errno, sqlstate = read_result(self, so, parse_row)
			if not res then
				return true, badresult(err, errno, sqlstate, multi)
			end
			multi[#multi + 1] = res
		end
		return true, multi
	end
end

----------------------------------------------------------------------------
-- Binary (prepared statement) rows

local function datetime(data, pos, col)
	local len
	len, pos = lenenc_int(data, pos)
	if pos + len - 1 > #data then
		proto_error("truncated date")
	end
	local y, mo, d, h, mi, s, us = 0, 0, 0, 0, 0, 0, 0
	if len >= 4 then
		y, mo, d = sunpack("<I2BB", data, pos)
	end
	if len >= 7 then
		h, mi, s = sunpack("<BBB", data, pos + 4)
	end
	if len >= 11 then
		us = sunpack("<I4", data, pos + 7)
	end
	local v
	if col.type == 0x0a then
		v = sformat("%04d-%02d-%02d", y, mo, d)
	elseif us ~= 0 then
		v = sformat("%04d-%02d-%02d %02d:%02d:%02d.%06d", y, mo, d, h, mi, s, us)
	else
		v = sformat("%04d-%02d-%02d %02d:%02d:%02d", y, mo, d, h, mi, s)
	end
	return v, pos + len
end

local function time_value(data, pos)
	local len
	len, pos = lenenc_int(data, pos)
	if pos + len - 1 > #data then
		proto_error("truncated time")
	end
	if len == 0 then
		return "00:00:00", pos
	end
	local neg, days, h, mi, s = sunpack("<BI4BBB", data, pos)
	local v = sformat("%s%02d:%02d:%02d", neg == 1 and "-" or "", days * 24 + h, mi, s)
	if len >= 12 then
		local us = sunpack("<I4", data, pos + 8)
		if us ~= 0 then
			v = v .. sformat(".%06d", us)
		end
	end
	return v, pos + len
end

local function fixed(signed_fmt, unsigned_fmt)
	return function(data, pos, col)
		return checked_unpack((col.flags & UNSIGNED_FLAG ~= 0) and unsigned_fmt or signed_fmt, data, pos)
	end
end

local binary_reader = {
	[0x01] = fixed("<i1", "<I1"), -- tiny
	[0x02] = fixed("<i2", "<I2"), -- short
	[0x03] = fixed("<i4", "<I4"), -- long
	[0x04] = function(data, pos) return checked_unpack("<f", data, pos) end,
	[0x05] = function(data, pos) return checked_unpack("<d", data, pos) end,
	[0x07] = datetime, -- timestamp
	[0x08] = fixed("<i8", "<i8"), -- longlong (an unsigned one over 2^63 wraps)
	[0x09] = fixed("<i4", "<I4"), -- int24
	[0x0a] = datetime, -- date
	[0x0b] = time_value,
	[0x0c] = datetime, -- datetime
	[0x0d] = fixed("<i2", "<I2"), -- year
}
for _, t in ipairs { 0x0f, 0x10, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff } do
	binary_reader[t] = function(data, pos) return lenenc_str(data, pos) end
end

local function parse_binary_row(data, cols, compact)
	local ncols = #cols
	local nullbytes = (ncols + 9) // 8
	if #data < 1 + nullbytes then
		proto_error("truncated binary row")
	end
	local pos = 2 + nullbytes
	local row = {}
	for i = 1, ncols do
		local bit = i + 1 -- the first two bits are reserved
		local byte = sbyte(data, 2 + bit // 8)
		local col = cols[i]
		if byte & (1 << (bit % 8)) == 0 then
			local reader = binary_reader[col.type]
			if reader == nil then
				proto_error("unsupported field type " .. col.type)
			end
			local value
			value, pos = reader(data, pos, col)
			if compact then
				row[i] = value
			else
				row[col.name] = value
			end
		end
	end
	return row
end

----------------------------------------------------------------------------
-- Authentication

local function xor_bytes(a, b)
	local out = {}
	for i = 1, #a do
		out[i] = schar(sbyte(a, i) ~ sbyte(b, (i - 1) % #b + 1))
	end
	return tconcat(out)
end

local function native_token(password, scramble)
	if password == "" then
		return ""
	end
	local stage1 = crypt.sha1(password)
	local stage2 = crypt.sha1(stage1)
	return xor_bytes(crypt.sha1(scramble .. stage2), stage1)
end

local function sha2_token(password, scramble)
	if password == "" then
		return ""
	end
	local p1 = sha256(password)
	return xor_bytes(p1, sha256(sha256(p1) .. scramble))
end

local auth_plugins = {
	mysql_native_password = native_token,
	caching_sha2_password = sha2_token,
}

mysql._native_token, mysql._sha2_token = native_token, sha2_token

local function auth_error(packet)
	local errno, msg, sqlstate = parse_err(packet)
	return sformat("errno:%d, msg:%s,sqlstate:%s", errno, msg, tostring(sqlstate))
end

-- One packet as a socketchannel reply: { payload, kind }.
local function packet_reader(self)
	return function(so)
		local payload, kind = recv_packet(self, so)
		return true, { payload, kind }
	end
end

local function parse_handshake(self, packet)
	if sbyte(packet) ~= 10 then
		proto_error("unsupported protocol version " .. tostring(sbyte(packet)))
	end
	local server_ver, pos = sunpack("z", packet, 2)
	local thread_id, part1, caps_lo, lang, status, caps_hi, auth_len
	thread_id, part1, pos = checked_unpack("<I4c8", packet, pos)
	pos = pos + 1 -- filler
	caps_lo, lang, status, caps_hi, auth_len, pos = checked_unpack("<I2BI2I2B", packet, pos)
	pos = pos + 10 -- reserved
	local caps = caps_lo | caps_hi << 16
	local part2_len = math.max(13, auth_len - 8)
	local part2 = ssub(packet, pos, pos + part2_len - 1)
	pos = pos + part2_len
	if ssub(part2, -1) == "\0" then
		part2 = ssub(part2, 1, -2)
	end
	local plugin = "mysql_native_password"
	if caps & 0x80000 ~= 0 and pos <= #packet then
		plugin = sunpack("z", ssub(packet, pos) .. "\0")
	end
	self.protocol_ver = 10
	self._server_ver = server_ver
	self._thread_id = thread_id
	self._server_capabilities = caps
	self._server_lang = lang
	self._server_status = status
	return part1 .. part2, plugin
end

-- After the handshake response: follows auth switches and caching_sha2's
-- extra round until the server says OK; raises with the reason otherwise.
local function finish_auth(self, ch, reply, plugin, password, scramble)
	local asked_key = false
	while true do
		local packet, kind = reply[1], reply[2]
		local first = sbyte(packet)
		if kind == "OK" then
			return
		elseif kind == "ERR" then
			error(auth_error(packet), 0)
		elseif first == 0xfe then
			-- auth switch request: plugin name \0 plugin data
			local name, pos = sunpack("z", packet .. "\0", 2)
			local data = ssub(packet, pos)
			if ssub(data, -1) == "\0" then
				data = ssub(data, 1, -2)
			end
			local f = auth_plugins[name]
			if f == nil then
				error("unsupported authentication plugin: " .. name, 0)
			end
			plugin, scramble = name, data
			reply = ch:request(compose_packet(self, f(password, data)), self._packet_reader)
		elseif first == 0x01 and plugin == "caching_sha2_password" and asked_key then
			-- the server's public key (PEM): send the password, xored with
			-- the scramble, RSA-OAEP encrypted
			local pem = ssub(packet, 2)
			local ok, blob = pcall(rsa_encrypt, pem, xor_bytes(password .. "\0", scramble))
			if not ok then
				error("caching_sha2_password: bad public key from the server: " .. tostring(blob), 0)
			end
			asked_key = false
			reply = ch:request(compose_packet(self, blob), self._packet_reader)
		elseif first == 0x01 and plugin == "caching_sha2_password" then
			local status = sbyte(packet, 2)
			if status == 0x04 then
				-- full authentication: over plain TCP, ask for the server's RSA key
				asked_key = true
				reply = ch:request(compose_packet(self, "\2"), self._packet_reader)
			elseif status == 0x03 then
				-- fast authentication succeeded; the OK follows
				reply = ch:response(self._packet_reader)
			else
				error("caching_sha2_password: unexpected status " .. tostring(status), 0)
			end
		else
			error("unexpected packet during authentication", 0)
		end
	end
end

local function login(self, user, password, database, charset, on_connect)
	return function(ch)
		local reader = packet_reader(self)
		self._packet_reader = reader
		local hello = ch:response(reader)
		if hello[2] == "ERR" then
			error(auth_error(hello[1]), 0)
		end
		local scramble, plugin = parse_handshake(self, hello[1])
		local f = auth_plugins[plugin]
		if f == nil then
			plugin, f = "mysql_native_password", native_token
		end
		local token = f(password, scramble)
		local req = spack("<I4I4Bc23", CLIENT_FLAGS, self._max_packet_size & 0xffffffff, charset, srep("\0", 23))
			.. user .. "\0" .. lenenc_bin(#token) .. token .. database .. "\0" .. plugin .. "\0"
		finish_auth(self, ch, ch:request(compose_packet(self, req), reader), plugin, password, scramble)
		if on_connect then
			on_connect(self)
		end
	end
end

----------------------------------------------------------------------------
-- Public API

function mysql.connect(opts)
	local self = setmetatable({}, mt)
	self._max_packet_size = opts.max_packet_size or 1024 * 1024
	self.compact = opts.compact_arrays
	self.packet_no = 0
	local charset = CHARSET[opts.charset or "_default"]
	if charset == nil then
		error("mysql.connect: unknown charset " .. tostring(opts.charset))
	end
	local host, port = opts.host, opts.port or 3306
	local ch = socketchannel.channel {
		host = host,
		port = port,
		auth = login(self, opts.user or "", opts.password or "", opts.database or "", charset, opts.on_connect),
		overload = opts.overload,
	}
	self.sockchannel = ch
	local ok, err = pcall(ch.connect, ch, true)
	if not ok then
		ch:close()
		error(sformat("Connect to %s:%d failed (%s)", tostring(host), port, tostring(ch:last_error() or err)), 0)
	end
	return self
end

function mysql.disconnect(self)
	self.sockchannel:close()
	setmetatable(self, nil)
end

local function text_reader(self)
	local r = self.query_resp
	if not r then
		r = result_reader(self, parse_text_row)
		self.query_resp = r
	end
	return r
end

function mysql.query(self, sql)
	return self.sockchannel:request(command_packet(self, schar(COM_QUERY) .. sql), text_reader(self))
end

function mysql.ping(self)
	return self.sockchannel:request(command_packet(self, schar(COM_PING)), text_reader(self))
end

local function read_prepare(self, so)
	local packet, kind = recv_packet(self, so)
	if kind == "ERR" then
		local errno, msg, sqlstate = parse_err(packet)
		return true, badresult(msg, errno, sqlstate)
	end
	if kind ~= "OK" then
		proto_error("first packet of a prepare answer must be OK, got " .. kind)
	end
	local resp = {}
	resp.prepare_id, resp.field_count, resp.param_count, resp.warning_count =
		checked_unpack("<I4I2I2xI2", packet, 2)
	resp.params, resp.fields = {}, {}
	if resp.param_count > 0 then
		resp.params = read_columns(self, so, resp.param_count)
	end
	if resp.field_count > 0 then
		resp.fields = read_columns(self, so, resp.field_count)
	end
	return true, resp
end

function mysql.prepare(self, sql)
	if not self.prepare_resp then
		self.prepare_resp = function(so)
			return read_prepare(self, so)
		end
	end
	return self.sockchannel:request(command_packet(self, schar(COM_STMT_PREPARE) .. sql), self.prepare_resp)
end

local param_encoder = {
	number = function(v)
		if math.type(v) == "integer" then
			return spack("<I2", 0x08), spack("<i8", v)
		end
		return spack("<I2", 0x05), spack("<d", v)
	end,
	string = function(v)
		return spack("<I2", 0x0f), lenenc_bin(#v) .. v
	end,
	boolean = function(v)
		return spack("<I2", 0x01), schar(v and 1 or 0)
	end,
}

local function execute_packet(self, stmt, n, ...)
	if n ~= stmt.param_count then
		error("require stmt.param_count " .. tostring(stmt.param_count) .. " get arg_num " .. n)
	end
	local head = spack("<BI4BI4", COM_STMT_EXECUTE, stmt.prepare_id, 0, 1)
	if n == 0 then
		return command_packet(self, head)
	end
	local types, values = {}, {}
	for i = 1, n do
		local v = select(i, ...)
		local enc = param_encoder[type(v)]
		if enc == nil then
			error("invalid parameter type " .. type(v))
		end
		types[i], values[i] = enc(v)
	end
	return command_packet(self, head .. srep("\0", (n + 7) // 8) .. "\1" .. tconcat(types) .. tconcat(values))
end

function mysql.execute(self, stmt, ...)
	local n = select("#", ...)
	for i = 1, n do
		if select(i, ...) == nil then
			return badresult("parameter " .. i .. " is nil", 30902)
		end
	end
	local packet = execute_packet(self, stmt, n, ...)
	if not self.execute_resp then
		self.execute_resp = result_reader(self, parse_binary_row, true)
	end
	return self.sockchannel:request(packet, self.execute_resp)
end

function mysql.stmt_reset(self, stmt)
	return self.sockchannel:request(command_packet(self, spack("<BI4", COM_STMT_RESET, stmt.prepare_id)),
		text_reader(self))
end

function mysql.stmt_close(self, stmt)
	-- the server sends no reply to COM_STMT_CLOSE
	return self.sockchannel:request(command_packet(self, spack("<BI4", COM_STMT_CLOSE, stmt.prepare_id)))
end

function mysql.server_ver(self)
	return self._server_ver
end

function mysql.set_compact_arrays(self, value)
	self.compact = value
end

local escape_map = {
	["\0"] = "\\0",
	["\b"] = "\\b",
	["\n"] = "\\n",
	["\r"] = "\\r",
	["\t"] = "\\t",
	["\26"] = "\\Z",
	["\\"] = "\\\\",
	["'"] = "\\'",
	['"'] = '\\"',
}

function mysql.quote_sql_str(str)
	return sformat("'%s'", string.gsub(str, "[%z\b\n\r\t\26\\'\"]", escape_map))
end

return mysql
