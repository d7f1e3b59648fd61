-- http.internal: the HTTP/1.1 message layer shared by httpd, httpc and
-- websocket (skynet's module and function names). Everything reads through a
-- readbytes(sz) function (sz nil: whatever is there) that raises when the
-- connection is gone, and writes through write(bytes).
--
--   recvheader(readbytes, lines, pre) -> bytes after the blank line, or nil
--       when the header block passes M.LIMIT bytes; the header lines go
--       into `lines` (without CRLF)
--   parseheader(lines, from, header) -> header (lower-case names; a repeated
--       name becomes a list of values) or nil for a malformed line
--   recvchunkedbody(readbytes, limit, header, pre) -> body, header (trailer
--       fields added), rest | nil, reason
--   request(interface, method, host, url, recvheader, header, content)
--       -> code, bytes after the response header, response header
--   response(interface, code, body, header) -> the whole body
--   response_stream(interface, code, body, header) -> stream object
local M = {}

local sformat, tonumber, type, pairs = string.format, tonumber, type, pairs
local tconcat = table.concat

M.LIMIT = 8192            -- bytes of a header block
local CHUNK_LINE_LIMIT = 128

function M.recvheader(readbytes, lines, header)
	-- a message without header fields: just the blank line
	if header:sub(1, 2) == "\r\n" then
		return header:sub(3)
	end
	local e = header:find("\r\n\r\n", 1, true)
	while not e do
		if #header > M.LIMIT then
			return nil
		end
		local more = readbytes()
		local from = math.max(1, #header - 2)
		header = header .. more
		if header:sub(1, 2) == "\r\n" then
			return header:sub(3)
		end
		e = header:find("\r\n\r\n", from, true)
	end
	if e > M.LIMIT then
		return nil
	end
	local n = #lines
	for line in header:sub(1, e + 1):gmatch("(.-)\r\n") do
		n = n + 1
		lines[n] = line
	end
	return header:sub(e + 4)
end

function M.parseheader(lines, from, header)
	local name
	for i = from, #lines do
		local line = lines[i]
		local c = line:byte(1)
		if c == 9 or c == 32 then
			-- obsolete line folding: continues the previous field
			if not name then
				return nil
			end
			local v = header[name]
			local more = line:match("^%s*(.-)%s*$")
			if type(v) == "table" then
				v[#v] = v[#v] .. " " .. more
			else
				header[name] = v .. " " .. more
			end
		else
			local n, value = line:match("^([!#$%%&'*+%-.^_`|~%w]+):%s*(.-)%s*$")
			if not n then
				return nil
			end
			name = n:lower()
			local old = header[name]
			if old == nil then
				header[name] = value
			elseif type(old) == "table" then
				old[#old + 1] = value
			else
				header[name] = { old, value }
			end
		end
	end
	return header
end

-- chunk-size line -> size, rest | nil, reason
local function chunksize(readbytes, body)
	while true do
		local f = body:find("\r\n", 1, true)
		if f then
			local hex = body:sub(1, f - 1):match("^(%x+)%s*;?.*$")
			if not hex or #hex > 8 then
				return nil, "bad chunk size"
			end
			return tonumber(hex, 16), body:sub(f + 2)
		end
		if #body > CHUNK_LINE_LIMIT then
			return nil, "chunk size line too long"
		end
		body = body .. readbytes()
	end
end

local function readcrlf(readbytes, body)
	if #body < 2 then
		body = body .. readbytes(2 - #body)
	end
	if body:sub(1, 2) ~= "\r\n" then
		return nil
	end
	return body:sub(3)
end

-- The chunked body -> body, header (with the trailer fields), rest.
function M.recvchunkedbody(readbytes, bodylimit, header, body)
	local parts, size = {}, 0
	while true do
		local sz, rest = chunksize(readbytes, body)
		if not sz then
			return nil, rest
		end
		body = rest
		if sz == 0 then
			break
		end
		size = size + sz
		if bodylimit and size > bodylimit then
			return nil, "body too large"
		end
		if #body >= sz then
			parts[#parts + 1] = body:sub(1, sz)
			body = body:sub(sz + 1)
		else
			parts[#parts + 1] = body
			parts[#parts + 1] = readbytes(sz - #body)
			body = ""
		end
		body = readcrlf(readbytes, body)
		if not body then
			return nil, "missing CRLF after a chunk"
		end
	end
	local trailer = {}
	body = M.recvheader(readbytes, trailer, body)
	if not body then
		return nil, "trailer too large"
	end
	if not M.parseheader(trailer, 1, header) then
		return nil, "bad trailer"
	end
	return tconcat(parts), header, body
end

local function single(v)
	if type(v) == "table" then
		return v[#v]
	end
	return v
end
M.single = single

-- Writes the request; content is a string, or a function returning the body
-- piece by piece (nil at the end), sent chunked.
local function write_request(write, method, host, url, header, content)
	local lines = { sformat("%s %s HTTP/1.1\r\n", method, url) }
	local has_host, chunked = false, false
	if header then
		for k, v in pairs(header) do
			local lk = k:lower()
			if lk == "host" then
				has_host = true
			elseif lk == "transfer-encoding" and tostring(v):lower() == "chunked" then
				chunked = true
			elseif lk == "content-length" then
				goto skip
			end
			if type(v) == "table" then
				for _, one in ipairs(v) do
					lines[#lines + 1] = sformat("%s: %s\r\n", k, one)
				end
			else
				lines[#lines + 1] = sformat("%s: %s\r\n", k, v)
			end
			::skip::
		end
	end
	if not has_host then
		lines[#lines + 1] = sformat("host: %s\r\n", host)
	end
	if type(content) == "function" then
		if not chunked then
			lines[#lines + 1] = "transfer-encoding: chunked\r\n"
		end
		lines[#lines + 1] = "\r\n"
		write(tconcat(lines))
		while true do
			local s = content()
			if s == nil then
				break
			end
			if #s > 0 then
				write(sformat("%x\r\n%s\r\n", #s, s))
			end
		end
		write("0\r\n\r\n")
		return
	end
	if chunked and content then
		lines[#lines + 1] = "\r\n"
		write(tconcat(lines))
		write(content)
		return
	end
	lines[#lines + 1] = sformat("content-length: %d\r\n\r\n", content and #content or 0)
	write(tconcat(lines))
	if content and #content > 0 then
		write(content)
	end
end

function M.request(interface, method, host, url, recvheader, header, content)
	write_request(interface.write, method, host, url, header, content)
	local lines = {}
	local body = M.recvheader(interface.read, lines, "")
	if not body then
		error("Recv header failed")
	end
	local code = lines[1] and lines[1]:match("^HTTP/%d%.%d%s+(%d%d%d)")
	code = tonumber(code)
	if not code then
		error("Invalid HTTP response status line: " .. tostring(lines[1]):sub(1, 80))
	end
	local h = M.parseheader(lines, 2, recvheader or {})
	if not h then
		error("Invalid HTTP response header")
	end
	return code, body, h
end

local function body_mode(code, header)
	local mode = single(header["transfer-encoding"])
	if mode then
		mode = mode:lower()
		if mode ~= "identity" and mode ~= "chunked" then
			error("Unsupport transfer-encoding")
		end
		if mode == "chunked" then
			return "chunked"
		end
	end
	local length = single(header["content-length"])
	if length then
		local n = tonumber(length)
		if not n or math.type(n) ~= "integer" or n < 0 then
			error("Invalid content-length: " .. tostring(length))
		end
		return "length", n
	end
	if code == 204 or code == 304 or code < 200 then
		return "none"
	end
	return "all"
end

function M.response(interface, code, body, header)
	local mode, length = body_mode(code, header)
	if mode == "chunked" then
		local b, err = M.recvchunkedbody(interface.read, nil, header, body)
		if not b then
			error("Invalid response body: " .. tostring(err))
		end
		return b
	elseif mode == "length" then
		if #body >= length then
			return body:sub(1, length)
		end
		return body .. interface.read(length - #body)
	elseif mode == "none" then
		return ""
	end
	return body .. (interface.readall() or "")
end

----------------------------------------------------------------------------
-- Streamed response bodies: stream:padding() (or stream()) returns the next
-- piece, "" or nil at the end; for piece in stream do ... end works too.

local stream = {}
stream.__index = stream

function stream:close()
	local f = self._onclose
	if f then
		self._onclose = nil
		f(self)
	end
end

function stream:padding()
	return self._reading(self), self
end

stream.__close = stream.close
stream.__call = stream.padding

local function finished(self)
	self._reading = stream.close
	self.connected = nil
	self:close()
end

local function broken(self)
	self._reading = stream.close
	self.connected = false
	self:close()
end

local function read_guarded(self, sz)
	local ok, s = pcall(self._interface.read, sz)
	if ok then
		return s
	end
	broken(self)
end

local function stream_length(length)
	return function(self)
		local body = self._body
		self._body = nil
		if body == nil or body == "" then
			if length == 0 then
				finished(self)
				return nil
			end
			body = read_guarded(self)
			if not body then
				return nil
			end
		end
		if #body >= length then
			finished(self)
			return body:sub(1, length)
		end
		length = length - #body
		return body
	end
end

local function stream_all(self)
	local body = self._body
	self._body = nil
	if body and body ~= "" then
		return body
	end
	local ok, s = pcall(self._interface.read)
	if ok and s ~= "" then
		return s
	end
	finished(self)
	return nil
end

local function stream_chunked(self)
	local read = self._interface.read
	local ok, sz, rest = pcall(chunksize, read, self._body)
	if not ok or not sz then
		broken(self)
		return nil
	end
	if sz == 0 then
		local trailer = {}
		local ok2, after = pcall(M.recvheader, read, trailer, rest)
		if ok2 and after then
			M.parseheader(trailer, 1, self.header)
			finished(self)
		else
			broken(self)
		end
		return nil
	end
	local piece
	if #rest >= sz then
		piece, rest = rest:sub(1, sz), rest:sub(sz + 1)
	else
		local more = read_guarded(self, sz - #rest)
		if not more then
			return nil
		end
		piece, rest = rest .. more, ""
	end
	local ok3, after = pcall(readcrlf, read, rest)
	if not ok3 or not after then
		broken(self)
		return piece
	end
	self._body = after
	return piece
end

local function stream_none(self)
	finished(self)
	return nil
end

function M.response_stream(interface, code, body, header)
	local mode, length = body_mode(code, header)
	local reading
	if mode == "chunked" then
		reading = stream_chunked
	elseif mode == "length" then
		reading = stream_length(length)
	elseif mode == "none" then
		reading = stream_none
	else
		reading = stream_all
	end
	return setmetatable({
		status = code,
		header = header,
		connected = true,
		_body = body,
		_interface = interface,
		_reading = reading,
	}, stream)
end

return M
