-- clustersender: the link to one remote cluster node (started by clusterd
-- with node name, this node's name, host and port). It owns a socketchannel
-- in session mode: requests go out framed by skynet.cluster.core, replies
-- come back in any order by session, multi-part replies are reassembled (at
-- most cluster_message_limit bytes). The channel reconnects on the next
-- request with back-off. A failed call is answered with an error naming the
-- node. Lua requests: req(addr, msg, sz), push(addr, msg, sz),
-- changenode(host|false, port), exit.
local skynet = require "skynet"
local sc = require "skynet.socketchannel"
local cluster = require "skynet.cluster.core"
local crypt = require "skynet.crypt"
local c = require "skynet.core"

local node, nodename, init_host, init_port = ...
local channel
local session = 1
local down = false -- set by changenode(false): the node left the table
local limit = tonumber(skynet.getenv "cluster_message_limit") or 64 * 1024 * 1024
local secret = skynet.getenv "cluster_secret"
if secret == "" then
	secret = nil
end

local command = {}

-- Bytes announced by multi-part replies in flight, by session.
local large = {}

local function read_response(sock)
	local sz = cluster.header(sock:read(2))
	local body = sock:read(sz)
	if sz >= 5 and body:byte(5) == 0xA1 and body:sub(1, 4) == "\0\0\0\0" then
		return 0, true, body:sub(6)  -- the cluster_secret answer
	end
	local s, ok, data, padding = cluster.unpackresponse(body)
	if s == nil then
		error(string.format("cluster node [%s]: malformed response frame", node))
	end
	if padding then
		local l = large[s]
		if l == nil then
			if type(data) ~= "number" or data > limit then
				error(string.format("cluster node [%s]: multi-part reply of %s bytes refused", node, tostring(data)))
			end
			large[s] = { size = data, got = 0 }
		else
			l.got = l.got + #data
			if l.got > l.size then
				error(string.format("cluster node [%s]: multi-part reply longer than announced", node))
			end
		end
	elseif large[s] then
		local l = large[s]
		large[s] = nil
		if l.got + #data ~= l.size then
			error(string.format("cluster node [%s]: multi-part reply of wrong size", node))
		end
	end
	return s, ok, data, padding
end

-- cluster_secret (beyond skynet): prove we know it and check the peer does.
local function auth(ch)
	local nonce = crypt.randomkey() .. crypt.randomkey()
	local answer = ch:request(string.pack(">s2", "\5" .. nonce), 0)
	local snonce, sproof = answer:sub(1, 16), answer:sub(17)
	if #snonce ~= 16 or sproof ~= crypt.hmac_sha1(secret, "skynet-cluster-S" .. nonce .. snonce) then
		error(string.format("cluster node [%s] cannot prove cluster_secret", node))
	end
	ch:request(string.pack(">s2", "\6" .. crypt.hmac_sha1(secret, "skynet-cluster-C" .. snonce .. nonce)))
end

local function new_channel(host, port)
	return sc.channel {
		host = host,
		port = tonumber(port),
		response = read_response,
		nodelay = true,
		auth = secret and auth or nil,
	}
end

local function concat(data)
	if type(data) ~= "table" then
		return data
	end
	-- data[1] is the announced size (checked by read_response)
	return table.concat(data, "", 2)
end

local function fail(why)
	local s, source = skynet.context()
	skynet.ignoreret()
	if s and s ~= 0 then
		c.send(source, skynet.PTYPE_ERROR, s, why)
	end
end

local function send_request(addr, msg, sz)
	local current = session
	local request, new_session, padding = cluster.packrequest(addr, session, msg, sz)
	session = new_session
	local tag = skynet.tracetag()
	if tag then
		if tag:sub(1, 1) ~= "(" then
			local newtag = string.format("(%s-%s-%d)%s", nodename, node, current, tag)
			skynet.tracelog(tag, "session " .. newtag)
			tag = newtag
		end
		skynet.tracelog(tag, "cluster " .. node)
		channel:request(cluster.packtrace(tag))
	end
	return channel:request(request, current, padding)
end

local function why_failed(err)
	if err == sc.error then
		local last = channel:last_error()
		return string.format("cluster node [%s] link failed%s", node, last and (" (" .. tostring(last) .. ")") or "")
	end
	return string.format("cluster node [%s]: %s", node, tostring(err))
end

function command.req(addr, msg, sz)
	if down then
		skynet.trash(msg, sz)
		return fail(string.format("cluster node [%s] is down.", node))
	end
	local ok, data = pcall(send_request, addr, msg, sz)
	if ok then
		return skynet.ret(concat(data))
	end
	local why = why_failed(data)
	skynet.error(why)
	fail(why)
end

function command.push(addr, msg, sz)
	if down then
		skynet.trash(msg, sz)
		return
	end
	local request, new_session, padding = cluster.packpush(addr, session, msg, sz)
	if padding then
		session = new_session
	end
	local ok, err = pcall(channel.request, channel, request, nil, padding)
	if not ok then
		skynet.error(string.format("cluster node [%s]: push dropped (%s)", node, why_failed(err)))
	end
end

function command.changenode(host, port)
	if not host then
		skynet.error(string.format("cluster node [%s] is down.", node))
		down = true
		channel:close()
		return
	end
	down = false
	channel:close()
	channel = new_channel(host, port)
end

function command.exit()
	channel:close()
	skynet.exit()
end

skynet.start(function()
	channel = new_channel(init_host, init_port)
	skynet.dispatch("lua", function(_, _, cmd, ...)
		local f = assert(command[cmd], cmd)
		f(...)
	end)
end)
