-- clustersender: the link to one remote cluster node (started by clusterd
-- with node name, this node's name, host and port). It owns the TCP link:
-- requests go out framed by skynet.cluster.core, replies come back in any
-- order by session and multi-part replies are reassembled (at most
-- cluster_message_limit bytes). Frames queued while more requests wait in
-- this service's queue go out in one write (the flush is a message to self,
-- behind them). The link connects on the next request after a loss, failed
-- connects backing off from 0.1 s to 1 s; when it drops every waiting call
-- fails. A failed call is answered with an error naming the node.
-- Lua requests: req(addr, msg, sz), push(addr, msg, sz),
-- changenode(host|false, port), exit; flush (from itself).
local skynet = require "skynet"
local socket = require "skynet.socket"
local batch = require "skynet.cluster.batch"
local cluster = require "skynet.cluster.core"
local crypt = require "skynet.crypt"
local c = require "skynet.core"

local node, nodename, host, port = ...
port = tonumber(port)
local session = 1
local down = false -- set by changenode(false): the node left the table
local limit = tonumber(skynet.getenv "cluster_message_limit") or 64 * 1024 * 1024
local secret = skynet.getenv "cluster_secret"
if secret == "" then
	secret = nil
end

local BACKOFF_MIN, BACKOFF_MAX = 10, 100 -- centiseconds

local link = nil       -- { fd, pending = { session -> co }, large = { session -> parts } }
local connecting = nil -- coroutines waiting for the connect in progress
local backoff, next_try, last_error = 0, 0, nil
local results = {}     -- co -> { ok, data } or { err = why }
local out_link = nil  -- the link the batched frames are for

local command = {}

----------------------------------------------------------------------------
-- Output: frames of one link, written together

-- (skynet.cluster.batch; frames for a link that has gone are dropped)
local push, flush = batch.new(function(list)
	if out_link and link == out_link then
		socket.write(out_link.fd, list)
	end
end)

local function push_frame(l, frame)
	if l ~= out_link then
		flush()
		out_link = l
	end
	push(frame)
end

----------------------------------------------------------------------------
-- The link

local function wake(co, r)
	results[co] = r
	skynet.wakeup(co)
end

local function drop(l, why)
	if l.dead then
		return
	end
	l.dead = true
	if link == l then
		link = nil
	end
	last_error = why
	socket.close(l.fd)
	local err = string.format("cluster node [%s] link failed%s", node, why and (" (" .. why .. ")") or "")
	for s, co in pairs(l.pending) do
		l.pending[s] = nil
		wake(co, { err = err })
	end
end

local function read_frame(fd)
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

-- One reply frame; raises on a protocol error.
local function on_reply(l, body)
	local s, ok, data, padding = cluster.unpackresponse(body)
	if s == nil then
		error("malformed response frame")
	end
	local parts = l.large[s]
	if padding then
		if parts == nil then
			if type(data) ~= "number" or data > limit then
				error(string.format("multi-part reply of %s bytes refused", tostring(data)))
			end
			l.large[s] = { size = data, got = 0 }
		else
			parts.got = parts.got + #data
			if parts.got > parts.size then
				error("multi-part reply longer than announced")
			end
			parts[#parts + 1] = data
		end
		return
	end
	if parts then
		l.large[s] = nil
		parts[#parts + 1] = data
		if parts.got + #data ~= parts.size then
			error("multi-part reply of wrong size")
		end
		data = table.concat(parts)
	end
	local co = l.pending[s]
	if co == nil then
		skynet.error(string.format("cluster node [%s]: reply for unknown session %d", node, s))
		return
	end
	l.pending[s] = nil
	wake(co, { ok = ok, data = data })
end

local function reader(l)
	while not l.dead do
		local body = read_frame(l.fd)
		if body == nil then
			return drop(l, "closed by peer")
		end
		local ok, err = pcall(on_reply, l, body)
		if not ok then
			skynet.error(string.format("cluster node [%s]: %s, link closed", node, tostring(err)))
			return drop(l, tostring(err))
		end
	end
end

-- cluster_secret (beyond skynet): prove we know it and check the peer does.
local function auth(fd)
	local nonce = crypt.randomkey() .. crypt.randomkey()
	socket.write(fd, string.pack(">s2", "\5" .. nonce))
	local body = read_frame(fd)
	if not body then
		return false, "refused by the node (cluster_secret)"
	end
	if #body ~= 41 or body:sub(1, 5) ~= "\0\0\0\0\xA1" then
		return false, "the node does not answer the cluster_secret challenge"
	end
	local snonce, sproof = body:sub(6, 21), body:sub(22)
	if sproof ~= crypt.hmac_sha1(secret, "skynet-cluster-S" .. nonce .. snonce) then
		return false, "the node cannot prove cluster_secret"
	end
	socket.write(fd, string.pack(">s2", "\6" .. crypt.hmac_sha1(secret, "skynet-cluster-C" .. snonce .. nonce)))
	return true
end

local function connect()
	local wait = next_try - skynet.now()
	if wait > 0 then
		skynet.sleep(wait)
	end
	local h, p = host, port
	local fd, err = socket.open(h, p)
	if fd and secret then
		local ok, why = auth(fd)
		if not ok then
			socket.close(fd)
			fd, err = nil, why
			skynet.error(string.format("cluster node [%s]: %s", node, why))
		end
	end
	if fd and (h ~= host or p ~= port or down) then
		socket.close(fd) -- the node moved meanwhile
		fd, err = nil, "node changed"
	end
	if not fd then
		backoff = backoff == 0 and BACKOFF_MIN or math.min(backoff * 2, BACKOFF_MAX)
		next_try = skynet.now() + backoff
		last_error = tostring(err)
		return nil
	end
	backoff, next_try = 0, 0
	socket.nodelay(fd)
	socket.keepalive(fd)
	local l = { fd = fd, pending = {}, large = {} }
	link = l
	skynet.fork(reader, l)
	return l
end

-- The live link, connecting first if needed; nil when that fails.
local function get_link()
	if link then
		return link
	end
	if connecting then
		local co = coroutine.running()
		connecting[#connecting + 1] = co
		skynet.wait(co)
		return link
	end
	connecting = {}
	local l = connect()
	local waiting = connecting
	connecting = nil
	for _, co in ipairs(waiting) do
		skynet.wakeup(co)
	end
	return l
end

local function link_error()
	return string.format("cluster node [%s] link failed%s", node, last_error and (" (" .. last_error .. ")") or "")
end

----------------------------------------------------------------------------
-- Requests

local function fail(why)
	local s, source = skynet.context()
	skynet.ignoreret()
	if s and s ~= 0 then
		c.send(source, skynet.PTYPE_ERROR, s, why)
	end
end

local function send_trace(l, current)
	local tag = skynet.tracetag()
	if tag then
		if tag:sub(1, 1) ~= "(" then
			local newtag = string.format("(%s-%s-%d)%s", nodename, node, current, tag)
			skynet.tracelog(tag, "session " .. newtag)
			tag = newtag
		end
		skynet.tracelog(tag, "cluster " .. node)
		push_frame(l, cluster.packtrace(tag))
	end
end

function command.req(addr, msg, sz)
	if down then
		skynet.trash(msg, sz)
		return fail(string.format("cluster node [%s] is down.", node))
	end
	local l = get_link()
	if not l then
		skynet.trash(msg, sz)
		local why = link_error()
		skynet.error(why)
		return fail(why)
	end
	local current = session
	local request, new_session, parts = cluster.packrequest(addr, session, msg, sz)
	session = new_session
	send_trace(l, current)
	push_frame(l, request)
	if parts then
		for _, p in ipairs(parts) do
			push_frame(l, p)
		end
	end
	local co = coroutine.running()
	l.pending[current] = co
	skynet.wait(co)
	local r = results[co]
	results[co] = nil
	if r.err then
		skynet.error(r.err)
		return fail(r.err)
	end
	if not r.ok then
		return fail(string.format("cluster node [%s]: %s", node, r.data))
	end
	skynet.ret(r.data)
end

function command.push(addr, msg, sz)
	if down then
		skynet.trash(msg, sz)
		return
	end
	local l = get_link()
	if not l then
		skynet.trash(msg, sz)
		skynet.error(string.format("cluster node [%s]: push dropped (%s)", node, link_error()))
		return
	end
	local request, new_session, parts = cluster.packpush(addr, session, msg, sz)
	if parts then
		session = new_session
	end
	push_frame(l, request)
	if parts then
		for _, p in ipairs(parts) do
			push_frame(l, p)
		end
	end
end

function command.flush()
	flush()
end

function command.changenode(h, p)
	if not h then
		skynet.error(string.format("cluster node [%s] is down.", node))
		down = true
	else
		down = false
		host, port = h, tonumber(p)
	end
	backoff, next_try = 0, 0
	if link then
		drop(link, h and "node changed" or "node down")
	end
end

function command.exit()
	if link then
		drop(link, "exit")
	end
	skynet.exit()
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		local f = assert(command[cmd], cmd)
		f(...)
	end)
end)
