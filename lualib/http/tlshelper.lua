-- http.tlshelper: TLS (ltls.c) on a skynet.socket connection, shaped as the
-- read/write functions httpc, httpd and websocket take (skynet's module).
--
--   init_requestfunc(fd, tls) -> f(): the client handshake
--   init_responsefunc(fd, tls) -> f(): the server handshake
--   readfunc(fd, tls) -> f([sz]), writefunc(fd, tls) -> f(s),
--   readallfunc(fd, tls) -> f(), closefunc(tls) -> f()
--   newctx(), newtls(method, ctx [, hostname])
--
-- "ltls.c" loads only when TLS is enabled (enablessl = true in the config);
-- without it every function here raises skynet's "ltls need init" error.
-- Plaintext that OpenSSL already holds (bytes that arrived with the last
-- handshake message) is read before waiting on the socket again.
local socket = require "http.sockethelper"
local c = require "ltls.c"

local tlshelper = {}

local function handshake_loop(readfunc, writefunc, tls_ctx)
	while not tls_ctx:finished() do
		local out = tls_ctx:handshake(readfunc())
		if out and out ~= "" then
			writefunc(out)
		end
	end
end

function tlshelper.init_requestfunc(fd, tls_ctx)
	local readfunc = socket.readfunc(fd)
	local writefunc = socket.writefunc(fd)
	return function()
		local hello = tls_ctx:handshake()
		if hello then
			writefunc(hello)
		end
		handshake_loop(readfunc, writefunc, tls_ctx)
	end
end

function tlshelper.init_responsefunc(fd, tls_ctx)
	local readfunc = socket.readfunc(fd)
	local writefunc = socket.writefunc(fd)
	return function()
		handshake_loop(readfunc, writefunc, tls_ctx)
		local rest = tls_ctx:write()   -- whatever the handshake left to send
		if rest ~= "" then
			writefunc(rest)
		end
	end
end

function tlshelper.closefunc(tls_ctx)
	return function()
		tls_ctx:close()
	end
end

function tlshelper.readfunc(fd, tls_ctx)
	local readfunc = socket.readfunc(fd)
	local buf = ""
	-- more plaintext: what OpenSSL holds, else the next bytes from the socket
	local function more()
		local s = tls_ctx:read()
		while s == "" do
			s = tls_ctx:read(readfunc())
		end
		return s
	end
	return socket.with_unread(function(sz)
		if not sz then
			if buf ~= "" then
				local s = buf
				buf = ""
				return s
			end
			return more()
		end
		while #buf < sz do
			buf = buf .. more()
		end
		local s = buf:sub(1, sz)
		buf = buf:sub(sz + 1)
		return s
	end)
end

function tlshelper.writefunc(fd, tls_ctx)
	local writefunc = socket.writefunc(fd)
	return function(s)
		return writefunc(tls_ctx:write(s))
	end
end

function tlshelper.readallfunc(fd, tls_ctx)
	return function()
		local held = tls_ctx:read()
		local ds = socket.readall(fd)
		return held .. tls_ctx:read(ds)
	end
end

function tlshelper.newctx()
	return c.newctx()
end

function tlshelper.newtls(method, ssl_ctx, hostname)
	return c.newtls(method, ssl_ctx, hostname)
end

return tlshelper
