-- http.httpd: the server side of HTTP/1.1 (skynet's module).
--
--   httpd.read_request(readbytes [, bodylimit])
--       -> 200, url, method, header, body      a request
--       -> code                                a bad request: 400 (malformed
--          request line, header, length or chunk), 413 (header block over
--          8 KB or body over bodylimit), 501 (unknown transfer-encoding),
--          505 (HTTP version); answer it and close the connection
--       -> nil, err                            the connection failed (err is
--          sockethelper.socket_error when the peer went away)
--   httpd.write_response(writefunc, statuscode, body [, header]) -> ok, err
--       body: a string (content-length), a function returning pieces until
--       nil (chunked), or nil (no body)
--
-- Keep-alive: bytes read past the end of a request (the next pipelined
-- request) go back to a sockethelper read function, so a server loops on
-- read_request over one connection; header.connection tells whether the
-- client wants to close. The request line is parsed strictly (method token,
-- target without spaces, HTTP/1.x), and a message with both content-length
-- and chunked framing is refused, so a request is never read two ways.
local internal = require "http.internal"
local sockethelper = require "http.sockethelper"

local sformat, type, pairs, ipairs, tonumber = string.format, type, pairs, ipairs, tonumber

local httpd = {}

local http_status_msg = {
	[100] = "Continue", [101] = "Switching Protocols",
	[200] = "OK", [201] = "Created", [202] = "Accepted", [203] = "Non-Authoritative Information",
	[204] = "No Content", [205] = "Reset Content", [206] = "Partial Content",
	[300] = "Multiple Choices", [301] = "Moved Permanently", [302] = "Found", [303] = "See Other",
	[304] = "Not Modified", [305] = "Use Proxy", [307] = "Temporary Redirect",
	[400] = "Bad Request", [401] = "Unauthorized", [402] = "Payment Required", [403] = "Forbidden",
	[404] = "Not Found", [405] = "Method Not Allowed", [406] = "Not Acceptable",
	[407] = "Proxy Authentication Required", [408] = "Request Time-out", [409] = "Conflict",
	[410] = "Gone", [411] = "Length Required", [412] = "Precondition Failed",
	[413] = "Request Entity Too Large", [414] = "Request-URI Too Large",
	[415] = "Unsupported Media Type", [416] = "Requested range not satisfiable",
	[417] = "Expectation Failed", [426] = "Upgrade Required",
	[500] = "Internal Server Error", [501] = "Not Implemented", [502] = "Bad Gateway",
	[503] = "Service Unavailable", [504] = "Gateway Time-out", [505] = "HTTP Version not supported",
}
httpd.status_message = http_status_msg

local function readall(readbytes, bodylimit)
	local lines = {}
	local rest = internal.recvheader(readbytes, lines, "")
	if not rest then
		return 413
	end
	local method, url, major, minor = (lines[1] or ""):match("^(%u+) (%S+) HTTP/(%d)%.(%d)$")
	if not method then
		return 400
	end
	if major ~= "1" or (minor ~= "0" and minor ~= "1") then
		return 505
	end
	local header = internal.parseheader(lines, 2, {})
	if not header then
		return 400
	end
	if minor == "0" and header.connection == nil then
		header.connection = "close"   -- HTTP/1.0 closes unless told otherwise
	end
	local mode = internal.single(header["transfer-encoding"])
	if mode then
		mode = mode:lower()
		if mode ~= "identity" and mode ~= "chunked" then
			return 501
		end
	end
	local length = header["content-length"]
	local body
	if mode == "chunked" then
		if length then
			return 400
		end
		local err
		body, err, rest = internal.recvchunkedbody(readbytes, bodylimit, header, rest)
		if not body then
			return err == "body too large" and 413 or 400
		end
	elseif length then
		if type(length) == "table" or not length:match("^%d+$") or #length > 15 then
			return 400
		end
		length = tonumber(length)
		if bodylimit and length > bodylimit then
			return 413
		end
		if #rest >= length then
			body, rest = rest:sub(1, length), rest:sub(length + 1)
		else
			body, rest = rest .. readbytes(length - #rest), ""
		end
	else
		body = ""
	end
	sockethelper.unread(readbytes, rest)
	return 200, url, method, header, body
end

function httpd.read_request(...)
	local ok, code, url, method, header, body = pcall(readall, ...)
	if ok then
		return code, url, method, header, body
	end
	return nil, code
end

local function writeall(writefunc, statuscode, bodyfunc, header)
	local out = { sformat("HTTP/1.1 %03d %s\r\n", statuscode, http_status_msg[statuscode] or "") }
	if header then
		for k, v in pairs(header) do
			if type(v) == "table" then
				for _, one in ipairs(v) do
					out[#out + 1] = sformat("%s: %s\r\n", k, one)
				end
			else
				out[#out + 1] = sformat("%s: %s\r\n", k, v)
			end
		end
	end
	local t = type(bodyfunc)
	if t == "string" then
		out[#out + 1] = sformat("content-length: %d\r\n\r\n", #bodyfunc)
		out[#out + 1] = bodyfunc
		writefunc(table.concat(out))
	elseif t == "function" then
		out[#out + 1] = "transfer-encoding: chunked\r\n\r\n"
		writefunc(table.concat(out))
		while true do
			local s = bodyfunc()
			if s == nil then
				writefunc("0\r\n\r\n")
				break
			end
			if s ~= "" then
				writefunc(sformat("%x\r\n%s\r\n", #s, s))
			end
		end
	else
		assert(t == "nil", "httpd.write_response: body must be a string, a function or nil")
		out[#out + 1] = "\r\n"
		writefunc(table.concat(out))
	end
end

function httpd.write_response(...)
	return pcall(writeall, ...)
end

return httpd
