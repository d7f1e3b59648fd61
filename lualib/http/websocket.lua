-- http.websocket: RFC 6455 websockets over skynet.socket (skynet's module).
--
-- Server:
--   websocket.accept(id, handle, protocol, addr [, options]) -> true | false, err
--     reads the handshake (or takes options.upgrade = { header, method, url }
--     when http.httpd already read the request), then calls handle's
--     functions until the connection ends: connect(id), handshake(id, header,
--     url), message(id, msg, op), ping(id), pong(id), close(id, code,
--     reason), error(id), warning(ws, size). protocol is "ws" or "wss".
-- Client:
--   websocket.connect(url [, header, timeout]) -> id    ("ws://" / "wss://")
-- Both:
--   websocket.read(id) -> message | false, close reason (pings answered)
--   websocket.write(id, data [, "text"|"binary", masking_key])
--   websocket.ping(id), websocket.close(id [, code, reason])
--   websocket.addrinfo(id), websocket.real_ip(id) (x-real-ip of the
--   handshake), websocket.is_close(id)
--
-- The frame rules enforced, each answered with a close frame and the
-- connection closed: a client must mask and a server must not; reserved bits
-- and unknown opcodes are protocol errors (1002); control frames are at most
-- 125 bytes and never fragmented; a message (all its fragments) over
-- M.MAX_FRAME_SIZE is 1009; a text message must be UTF-8 (1007). A client's
-- frames get a fresh random mask each unless a masking key is given.
local skynet = require "skynet"
local socket = require "skynet.socket"
local crypt = require "skynet.crypt"
local internal = require "http.internal"
local httpd = require "http.httpd"
local sockethelper = require "http.sockethelper"
local socket_error = sockethelper.socket_error

local spack, sunpack, sformat = string.pack, string.unpack, string.format

local GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

local M = {}
M.MAX_FRAME_SIZE = 256 * 1024

local OP = { frame = 0x0, text = 0x1, binary = 0x2, close = 0x8, ping = 0x9, pong = 0xA }
local OPNAME = { [0x0] = "frame", [0x1] = "text", [0x2] = "binary", [0x8] = "close", [0x9] = "ping", [0xA] = "pong" }

local ws_pool = {}

-- A protocol error: the close code to send and why.
local protocol_error = {}
protocol_error.__index = protocol_error
protocol_error.__tostring = function(e) return sformat("websocket error %d: %s", e.code, e.reason) end

local function fail(code, reason)
	error(setmetatable({ code = code, reason = reason }, protocol_error), 0)
end

local function is_protocol_error(e)
	return getmetatable(e) == protocol_error
end

-- A read function with pushback for bytes read past a header.
local function buffered(read, pre)
	local buf = pre ~= "" and pre or nil
	return function(sz)
		if buf then
			local b = buf
			if not sz or #b == sz then
				buf = nil
				return b
			elseif #b > sz then
				buf = b:sub(sz + 1)
				return b:sub(1, sz)
			end
			buf = nil
			return b .. read(sz - #b)
		end
		return read(sz)
	end
end

local function random_key()
	return sunpack("<I4", crypt.randomkey())
end

local function write_frame(self, op, payload, masking_key)
	payload = payload or ""
	local len = #payload
	local b1 = 0x80 | OP[op]
	local mask_bit = masking_key and 0x80 or 0
	local head
	if len < 126 then
		head = spack("BB", b1, mask_bit | len)
	elseif len <= 0xffff then
		head = spack(">BBI2", b1, mask_bit | 126, len)
	else
		head = spack(">BBI8", b1, mask_bit | 127, len)
	end
	if masking_key then
		local key = spack(">I4", masking_key)
		head = head .. key
		if len > 0 then
			payload = crypt.xor_str(payload, key)
		end
	end
	self.write(head .. payload)
end

-- One frame -> fin, opname, payload. mode is the side reading: a server
-- reads masked frames, a client unmasked ones.
local function read_frame(read, mode, limit)
	local b1, b2 = sunpack("BB", read(2))
	local fin = b1 & 0x80 ~= 0
	if b1 & 0x70 ~= 0 then
		fail(1002, "reserved bits set")
	end
	local op = OPNAME[b1 & 0x0f]
	if not op then
		fail(1002, "unknown opcode " .. (b1 & 0x0f))
	end
	local masked = b2 & 0x80 ~= 0
	if mode == "server" and not masked then
		fail(1002, "client frame not masked")
	elseif mode == "client" and masked then
		fail(1002, "server frame masked")
	end
	local len = b2 & 0x7f
	local control = op == "close" or op == "ping" or op == "pong"
	if control and (len > 125 or not fin) then
		fail(1002, "bad control frame")
	end
	if len == 126 then
		len = sunpack(">I2", read(2))
	elseif len == 127 then
		len = sunpack(">i8", read(8))
		if len < 0 then
			fail(1002, "bad length")
		end
	end
	if limit and len > limit then
		fail(1009, "frame too large")
	end
	if not masked then
		return fin, op, len > 0 and read(len) or ""
	end
	-- the key and the payload in one read
	local data = read(4 + len)
	if len == 0 then
		return fin, op, ""
	end
	return fin, op, crypt.xor_str(data:sub(5), data:sub(1, 4))
end
M._read_frame = read_frame   -- for the fuzz test

local function read_close(payload)
	if #payload >= 2 then
		return sunpack(">I2", payload), payload:sub(3)
	end
end

local function frame_mask(self)
	if self.mode == "client" then
		return random_key()
	end
end

-- Reads one whole message -> op, data (control frames handled by on_control).
local function read_message(self, on_control)
	local parts, size, first_op
	local limit = M.MAX_FRAME_SIZE
	while true do
		local fin, op, payload = read_frame(self.read, self.mode, limit)
		if op == "close" or op == "ping" or op == "pong" then
			if on_control(op, payload) then
				return op, payload
			end
		elseif op == "frame" then
			if not parts then
				fail(1002, "continuation without a start")
			end
			size = size + #payload
			if size > limit then
				fail(1009, "message too large")
			end
			parts[#parts + 1] = payload
			if fin then
				local data = table.concat(parts)
				if first_op == "text" and not utf8.len(data) then
					fail(1007, "text is not UTF-8")
				end
				return first_op, data
			end
		else
			if parts then
				fail(1002, "new message inside a fragmented one")
			end
			if fin then
				if op == "text" and not utf8.len(payload) then
					fail(1007, "text is not UTF-8")
				end
				return op, payload
			end
			parts, size, first_op = { payload }, #payload, op
		end
	end
end

local function close_obj(self)
	if ws_pool[self.id] == self then
		ws_pool[self.id] = nil
	end
	if not self.closed then
		self.closed = true
		self.close()
	end
end

-- Sends a close frame for a protocol error, ignoring a dead connection.
local function close_with(self, code, reason)
	if not self.close_sent then
		self.close_sent = true
		pcall(write_frame, self, "close", spack(">I2", code) .. (reason or ""), frame_mask(self))
	end
end

local function try_handle(self, name, ...)
	local f = self.handle and self.handle[name]
	if f then
		f(self.id, ...)
	end
end

----------------------------------------------------------------------------
-- Handshakes

local function check_upgrade(self, method, url, header)
	if method ~= "GET" then
		return 400, "need GET method"
	end
	local upgrade = internal.single(header.upgrade)
	if not upgrade or upgrade:lower() ~= "websocket" then
		return 426, "Upgrade Required"
	end
	if not header.host then
		return 400, "host Required"
	end
	local conn = internal.single(header.connection)
	if not conn or not conn:lower():find("upgrade", 1, true) then
		return 400, "Connection must Upgrade"
	end
	local key = internal.single(header["sec-websocket-key"])
	if not key then
		return 400, "Sec-WebSocket-Key Required"
	end
	local ok, raw = pcall(crypt.base64decode, key)
	if not ok or #raw ~= 16 then
		return 400, "Sec-WebSocket-Key invalid"
	end
	if internal.single(header["sec-websocket-version"]) ~= "13" then
		return 400, "Sec-WebSocket-Version must 13"
	end
	local lines = {
		"HTTP/1.1 101 Switching Protocols\r\n",
		"Upgrade: websocket\r\n",
		"Connection: Upgrade\r\n",
		sformat("Sec-WebSocket-Accept: %s\r\n", crypt.base64encode(crypt.sha1(key .. GUID))),
	}
	local protocols = internal.single(header["sec-websocket-protocol"])
	if protocols then
		-- the first one offered is the one spoken
		lines[#lines + 1] = sformat("Sec-WebSocket-Protocol: %s\r\n", protocols:match("[^%s,]+"))
	end
	lines[#lines + 1] = "\r\n"
	self.write(table.concat(lines))
	self.real_ip = internal.single(header["x-real-ip"])
	return nil, header, url
end

local function read_handshake(self, upgrade)
	if upgrade then
		return check_upgrade(self, upgrade.method, upgrade.url, upgrade.header)
	end
	local lines = {}
	local rest = internal.recvheader(self.read, lines, "")
	if not rest then
		return 413
	end
	local method, url, ver = (lines[1] or ""):match("^(%u+) (%S+) HTTP/(%d%.%d)$")
	if not method then
		return 400, "bad request line"
	end
	if ver ~= "1.1" then
		return 505
	end
	local header = internal.parseheader(lines, 2, {})
	if not header then
		return 400
	end
	self.read = buffered(self.read, rest)
	return check_upgrade(self, method, url, header)
end

local function write_handshake(self, host, url, header)
	local key = crypt.base64encode(crypt.randomkey() .. crypt.randomkey())
	local req = {
		["Upgrade"] = "websocket",
		["Connection"] = "Upgrade",
		["Sec-WebSocket-Version"] = "13",
		["Sec-WebSocket-Key"] = key,
	}
	for k, v in pairs(header or {}) do
		assert(req[k] == nil, k)
		req[k] = v
	end
	local recv = {}
	local code, rest = internal.request(self, "GET", host, url, recv, req)
	if code ~= 101 then
		error(sformat("websocket handshake error: code[%s] info:%s", code, rest))
	end
	local up = internal.single(recv.upgrade)
	if not up or up:lower() ~= "websocket" then
		error("websocket handshake upgrade must websocket")
	end
	local conn = internal.single(recv.connection)
	if not conn or conn:lower() ~= "upgrade" then
		error("websocket handshake connection must upgrade")
	end
	local accept = internal.single(recv["sec-websocket-accept"])
	if not accept then
		error("websocket handshake need Sec-WebSocket-Accept")
	end
	if crypt.base64decode(accept) ~= crypt.sha1(key .. GUID) then
		error("websocket handshake invalid Sec-WebSocket-Accept")
	end
	self.read = buffered(self.read, rest)
end

----------------------------------------------------------------------------
-- Connection objects

local SSLCTX_SERVER, SSLCTX_CLIENT

local function new_ws(id, mode, protocol, hostname)
	local obj = { id = id, mode = mode }
	if protocol == "ws" then
		obj.read = sockethelper.readfunc(id)
		obj.write = sockethelper.writefunc(id)
		obj.readall = function() return socket.readall(id) end
		obj.close = function() socket.close(id) end
	elseif protocol == "wss" then
		local tls = require "http.tlshelper"
		local tls_ctx
		if mode == "server" then
			if not SSLCTX_SERVER then
				SSLCTX_SERVER = tls.newctx()
				SSLCTX_SERVER:set_cert(skynet.getenv "certfile" or "./server-cert.pem",
					skynet.getenv "keyfile" or "./server-key.pem")
			end
			tls_ctx = tls.newtls("server", SSLCTX_SERVER)
			tls.init_responsefunc(id, tls_ctx)()
		else
			SSLCTX_CLIENT = SSLCTX_CLIENT or tls.newctx()
			tls_ctx = tls.newtls("client", SSLCTX_CLIENT, hostname)
			tls.init_requestfunc(id, tls_ctx)()
		end
		obj.read = tls.readfunc(id, tls_ctx)
		obj.write = tls.writefunc(id, tls_ctx)
		obj.readall = tls.readallfunc(id, tls_ctx)
		local tls_close = tls.closefunc(tls_ctx)
		obj.close = function()
			socket.close(id)
			tls_close()
		end
	else
		error(sformat("invalid websocket protocol:%s", tostring(protocol)))
	end
	ws_pool[id] = obj
	return obj
end

local function serve(self, options)
	try_handle(self, "connect")
	local code, header, url = read_handshake(self, options and options.upgrade)
	if code then
		local ok, err = httpd.write_response(self.write, code, header)
		if not ok then
			error(err)
		end
		try_handle(self, "close")
		return
	end
	try_handle(self, "handshake", header, url)
	local function on_control(op, payload)
		if op == "ping" then
			write_frame(self, "pong", payload)
			try_handle(self, "ping")
		elseif op == "pong" then
			try_handle(self, "pong")
		else
			return true
		end
	end
	while not self.closed do
		local op, data = read_message(self, on_control)
		if op == "close" then
			local ccode, reason = read_close(data)
			if not self.close_sent then
				self.close_sent = true
				write_frame(self, "close", ccode and spack(">I2", ccode) or "")
			end
			try_handle(self, "close", ccode, reason)
			return
		end
		try_handle(self, "message", data, op)
	end
	try_handle(self, "close")
end

function M.accept(id, handle, protocol, addr, options)
	if not (options and options.upgrade) then
		socket.start(id)
	end
	protocol = protocol or "ws"
	local ok, self = pcall(new_ws, id, "server", protocol)
	if not ok then
		socket.close(id)
		return false, self
	end
	self.handle = handle
	self.addr = addr
	local on_warning = handle and handle.warning
	if on_warning then
		socket.warning(id, function(_, sz) on_warning(self, sz) end)
	end
	local err
	ok, err = xpcall(serve, function(e)
		if e == socket_error or is_protocol_error(e) then
			return e
		end
		return debug.traceback(e, 2)
	end, self, options)
	local was_closed = self.closed
	if not ok and is_protocol_error(err) then
		close_with(self, err.code, err.reason)
	end
	close_obj(self)
	if ok then
		return true
	end
	if err == socket_error then
		try_handle(self, was_closed and "close" or "error")
		return true
	end
	return false, tostring(err)
end

function M.connect(url, header, timeout)
	local protocol, host, uri = url:match("^(wss?)://([^/]+)(.*)$")
	if not protocol then
		error(sformat("invalid protocol: %s", tostring(url:match("^(%a+)://"))))
	end
	local name, port = host:match("^%[([%x:.]+)%]:?(%d*)$")
	if not name then
		name, port = host:match("^([^:]+):?(%d*)$")
	end
	assert(name, "invalid host: " .. host)
	port = tonumber(port) or (protocol == "ws" and 80 or 443)
	uri = uri == "" and "/" or uri
	local id = sockethelper.connect(name, port, timeout)
	local ok, obj = pcall(new_ws, id, "client", protocol, not name:match("^[%d.:]+$") and name or nil)
	if not ok then
		socket.close(id)
		error(obj)
	end
	obj.addr = host
	local err
	ok, err = pcall(write_handshake, obj, host, uri, header)
	if not ok then
		close_obj(obj)
		error(err)
	end
	return id
end

local function get(id)
	return assert(ws_pool[id], "websocket: unknown or closed connection")
end

function M.read(id)
	local self = get(id)
	local function on_control(op, payload)
		if op == "ping" then
			write_frame(self, "pong", payload, frame_mask(self))
		elseif op == "close" then
			return true
		end
	end
	local ok, op, data = pcall(read_message, self, on_control)
	if not ok then
		if is_protocol_error(op) then
			close_with(self, op.code, op.reason)
			close_obj(self)
			return false, op.reason
		end
		close_obj(self)
		error(op)
	end
	if op == "close" then
		local code, reason = read_close(data)
		if not self.close_sent then
			self.close_sent = true
			pcall(write_frame, self, "close", code and spack(">I2", code) or "", frame_mask(self))
		end
		close_obj(self)
		return false, reason or data
	end
	return data
end

function M.write(id, data, fmt, masking_key)
	local self = get(id)
	fmt = fmt or "text"
	assert(fmt == "text" or fmt == "binary", "websocket.write: format must be text or binary")
	write_frame(self, fmt, data, masking_key or frame_mask(self))
end

function M.ping(id)
	write_frame(get(id), "ping", "", frame_mask(ws_pool[id]))
end

function M.addrinfo(id)
	return get(id).addr
end

function M.real_ip(id)
	return get(id).real_ip
end

function M.is_close(id)
	return ws_pool[id] == nil
end

function M.close(id, code, reason)
	local self = ws_pool[id]
	if not self then
		return
	end
	if not self.close_sent then
		self.close_sent = true
		local payload = code and spack(">I2", code) .. (reason or "") or ""
		local ok, err = pcall(write_frame, self, "close", payload, frame_mask(self))
		if not ok and err ~= socket_error then
			skynet.error(tostring(err))
		end
	end
	close_obj(self)
end

return M
