-- http.sockethelper: skynet.socket wrapped as the read/write functions the
-- HTTP and websocket code takes (skynet's module). A read or write on a closed
-- socket raises sockethelper.socket_error (a unique value that prints as
-- "[Socket Error]"), so protocol code can treat the peer going away as one
-- error and a caller can tell it from a protocol error.
--
-- Beyond skynet: sockethelper.unread(readfunc, bytes) gives bytes read too
-- far back to a read function made here or by with_unread (httpd keeps
-- pipelined requests of a keep-alive connection that way); for other read
-- functions it returns false.
local skynet = require "skynet"
local socket = require "skynet.socket"

local readbytes = socket.read
local writebytes = socket.write

local sockethelper = {}
local socket_error = setmetatable({}, { __tostring = function() return "[Socket Error]" end })
sockethelper.socket_error = socket_error

-- read function -> its pushback state { pre = bytes given back }
local pushback = setmetatable({}, { __mode = "k" })

-- with_unread(read) -> a read function like read(sz) that also takes bytes
-- back through sockethelper.unread (tlshelper wraps its reader this way).
function sockethelper.with_unread(read)
	local st = {}
	local function f(sz)
		local p = st.pre
		if not p then
			return read(sz)
		end
		if not sz or #p == sz then
			st.pre = nil
			return p
		elseif #p > sz then
			st.pre = p:sub(sz + 1)
			return p:sub(1, sz)
		end
		st.pre = nil
		return p .. read(sz - #p)
	end
	pushback[f] = st
	return f
end

function sockethelper.unread(read, bytes)
	local st = pushback[read]
	if not st then
		return false
	end
	if bytes ~= "" then
		st.pre = bytes .. (st.pre or "")
	end
	return true
end

-- readfunc(fd [, pre]) -> function([sz]): sz bytes, or (sz nil) whatever is
-- there; pre is data already read from fd, returned first.
function sockethelper.readfunc(fd, pre)
	local f = sockethelper.with_unread(function(sz)
		local ret = readbytes(fd, sz)
		if ret then
			return ret
		end
		error(socket_error)
	end)
	if pre then
		sockethelper.unread(f, pre)
	end
	return f
end

sockethelper.readall = socket.readall

function sockethelper.writefunc(fd)
	return function(content)
		if not writebytes(fd, content) then
			error(socket_error)
		end
	end
end

-- connect(host, port [, timeout_cs]) -> fd; raises socket_error when the
-- connection fails or is not made within timeout (a late one is closed).
function sockethelper.connect(host, port, timeout)
	local fd
	if timeout then
		local co = coroutine.running()
		local state = "waiting"
		skynet.fork(function()
			local id = socket.open(host, port)
			if state == "gave up" then
				if id then
					socket.close(id)
				end
				return
			end
			fd = id
			state = "done"
			skynet.wakeup(co)
		end)
		skynet.sleep(timeout)
		if state ~= "done" then
			state = "gave up"
		end
	else
		fd = socket.open(host, port)
	end
	if fd then
		return fd
	end
	error(socket_error)
end

function sockethelper.close(fd)
	socket.close(fd)
end

function sockethelper.shutdown(fd)
	socket.shutdown(fd)
end

return sockethelper
