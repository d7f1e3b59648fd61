-- clusteragent: one accepted cluster link (started by clusterd with clusterd,
-- fd and the peer address). It owns the socket: it reads frames, reassembles
-- multi-part requests, calls or sends to the target ("@name" through the
-- cluster.register table, another string as a local name, a number as a
-- handle; address 0 answers cluster.query) and writes the replies. A
-- malformed, truncated or oversized frame closes the link with a log line;
-- pending multi-part requests are bounded by cluster_message_limit bytes.
-- With cluster_secret the peer must prove it first (see clustersender).
local skynet = require "skynet"
local socket = require "skynet.socket"
local batch = require "skynet.cluster.batch"
local cluster = require "skynet.cluster.core"
local crypt = require "skynet.crypt"

local clusterd, fd, peer = ...
clusterd = tonumber(clusterd)
fd = tonumber(fd)

local limit = tonumber(skynet.getenv "cluster_message_limit") or 64 * 1024 * 1024
local secret = skynet.getenv "cluster_secret"
if secret == "" then
	secret = nil
end

local register_name = {}
local large = {}        -- session -> { addr, is_push, size, got, tag, parts }
local large_bytes = 0   -- announced bytes of all pending multi-part requests
local closed = false
-- calls of this link still waiting for their target: a peer may not stack
-- up more (each holds a coroutine and its message)
local MAX_INFLIGHT = tonumber(skynet.getenv "cluster_max_inflight") or 65536
local inflight = 0

-- Replies queued while more messages wait in this service's queue go out in
-- one write (skynet.cluster.batch).
local push, flush = batch.new(function(list)
	if not closed then
		socket.write(fd, list)
	end
end)

local function write(frames)
	if not closed then
		push(frames)
	end
end

local function resolve(addr)
	if cluster.isname(addr) then
		return register_name[addr]
	end
	return addr
end

local function answer_query(session, msg)
	local ok, name = pcall(skynet.unpack, msg)
	local addr = ok and register_name["@" .. tostring(name)]
	if addr then
		write(cluster.packresponse(session, true, skynet.packstring(addr)))
	else
		write(cluster.packresponse(session, false, "name not found"))
	end
end

local function call(addr, session, msg, tag)
	local target = resolve(addr)
	if target == nil then
		inflight = inflight - 1
		return write(cluster.packresponse(session, false, "Invalid name"))
	end
	local ok, rmsg, rsz
	if tag then
		ok, rmsg, rsz = pcall(skynet.tracecall, tag, target, "lua", msg)
	else
		ok, rmsg, rsz = pcall(skynet.rawcall, target, "lua", msg)
	end
	inflight = inflight - 1
	if ok then
		write(cluster.packresponse(session, true, rmsg, rsz))
	else
		write(cluster.packresponse(session, false, tostring(rmsg)))
	end
end

local function dispatch(addr, session, msg, is_push, tag)
	if addr == 0 then
		return answer_query(session, msg)
	end
	if is_push then
		local target = resolve(addr)
		if target then
			skynet.rawsend(target, "lua", msg)
		end
		return
	end
	if inflight >= MAX_INFLIGHT then
		error(string.format("more than %d calls waiting (cluster_max_inflight)", MAX_INFLIGHT))
	end
	inflight = inflight + 1
	skynet.fork(call, addr, session, msg, tag)
end

local function close(why)
	if closed then
		return
	end
	closed = true
	if why then
		skynet.error(string.format("cluster link %s closed: %s", peer, why))
	end
	socket.close(fd)
end

local tracetag

-- One frame body; raises on a protocol error.
local function frame(body)
	local addr, session, msg, padding, is_push = cluster.unpackrequest(body)
	if session == nil then
		tracetag = addr
		return
	end
	if addr == false then
		-- a part of a multi-part request
		local req = large[session]
		if req == nil then
			error("multi-part message for unknown session " .. tostring(session))
		end
		req.got = req.got + #msg
		if req.got > req.size then
			error("multi-part message longer than announced")
		end
		req.parts[#req.parts + 1] = msg
		if msg == "" and padding then
			error("empty multi-part piece")
		end
		if not padding then
			large[session] = nil
			large_bytes = large_bytes - req.size
			if req.got ~= req.size then
				error("multi-part message shorter than announced")
			end
			dispatch(req.addr, session, table.concat(req.parts), req.is_push, req.tag)
		end
		return
	end
	local tag = tracetag
	tracetag = nil
	if padding then
		if large[session] then
			error("multi-part session " .. session .. " already open")
		end
		if msg > limit or large_bytes + msg > limit then
			error(string.format("multi-part message of %d bytes over cluster_message_limit", msg))
		end
		large_bytes = large_bytes + msg
		large[session] = { addr = addr, is_push = is_push, size = msg, got = 0, tag = tag, parts = {} }
		return
	end
	dispatch(addr, session, msg, is_push, tag)
end

local function read_frame()
	local h = socket.read(fd, 2)
	if not h then
		return nil
	end
	local n = cluster.header(h)
	if n == 0 then
		return ""
	end
	return socket.read(fd, n)
end

-- cluster_secret (beyond skynet): the first frame must be the peer's nonce.
local function authenticate()
	local hello = read_frame()
	if hello == nil then
		return false
	end
	if hello:byte(1) ~= 5 or #hello ~= 17 then
		skynet.error(string.format("cluster: %s cannot prove cluster_secret, refused", peer))
		return false
	end
	local cnonce = hello:sub(2)
	local snonce = crypt.randomkey() .. crypt.randomkey()
	local proof = crypt.hmac_sha1(secret, "skynet-cluster-S" .. cnonce .. snonce)
	socket.write(fd, string.pack(">s2", "\0\0\0\0\xA1" .. snonce .. proof))
	local answer = read_frame()
	local want = "\6" .. crypt.hmac_sha1(secret, "skynet-cluster-C" .. snonce .. cnonce)
	if answer ~= want then
		skynet.error(string.format("cluster: %s cannot prove cluster_secret, refused", peer))
		return false
	end
	return true
end

local function loop()
	if secret and not authenticate() then
		return close()
	end
	while true do
		local body = read_frame()
		if body == nil then
			return close()
		end
		if body == "" then
			return close("empty frame")
		end
		local ok, err = pcall(frame, body)
		if not ok then
			return close(tostring(err))
		end
	end
end

local function refresh_names()
	register_name = skynet.call(clusterd, "lua", "names")
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd)
		if cmd == "flush" then
			flush()
		elseif cmd == "namechange" then
			refresh_names()
		end
	end)
	refresh_names()
	local id = socket.start(fd)
	if not id then
		skynet.call(clusterd, "lua", "agentexit", fd)
		return skynet.exit()
	end
	socket.nodelay(fd)
	socket.keepalive(fd)
	skynet.fork(function()
		loop()
		skynet.call(clusterd, "lua", "agentexit", fd)
		skynet.exit()
	end)
end)
