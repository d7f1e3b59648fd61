-- clusteretcd: cluster membership through etcd (beyond skynet; started by
-- clusterd when the config sets cluster_etcd = host:port). It owns the lease
-- of this node's key (cluster_etcd_prefix .. name -> "host:port", kept alive
-- every third of cluster_etcd_ttl seconds), a watch on the prefix, and the
-- table of nodes learned from etcd: every join, move or loss (a key put or
-- deleted, a lease expired) becomes a cluster.reload on clusterd (a lost
-- node is set to false: calls to it fail "is down."). While etcd cannot be
-- reached the last table stays in use; the outage is logged once, the
-- recovery too, and the node registers and resynchronises then.
-- Speaks etcd's v3 JSON gateway over plain HTTP/1.1 (cjson, base64 keys).
-- Lua request: register(name, address).
local skynet = require "skynet"
local socket = require "skynet.socket"
local cjson = require "cjson"
local crypt = require "skynet.crypt"

local clusterd = tonumber((...))
local etcd = skynet.getenv "cluster_etcd"
local host, port = etcd:match("^(.+):(%d+)$")
port = tonumber(port)
local prefix = skynet.getenv "cluster_etcd_prefix" or "/skynet/cluster/"
local ttl = math.max(2, tonumber(skynet.getenv "cluster_etcd_ttl") or 5)
local TIMEOUT = 300 -- centiseconds for one unary request

local me                 -- { name =, address = } once cluster.open ran
local lease              -- the lease id (a string, as etcd's JSON has it)
local known = {}         -- name -> address, as etcd last told
local healthy            -- nil before the first contact, then true/false
local registering = false

local b64, unb64 = crypt.base64encode, crypt.base64decode

-- The first key after every key of the prefix (etcd's range_end).
local function prefix_end(p)
	local last = p:byte(-1)
	return p:sub(1, -2) .. string.char(last + 1)
end

----------------------------------------------------------------------------
-- A minimal HTTP/1.1 client (POST with a JSON body, Connection: close).

local function read_head(fd)
	local status = socket.readline(fd, "\r\n")
	if not status then
		error("connection closed")
	end
	local code = tonumber(status:match("^HTTP/%d%.%d (%d+)"))
	local headers = {}
	while true do
		local line = socket.readline(fd, "\r\n")
		if not line then
			error("connection closed in the headers")
		end
		if line == "" then
			break
		end
		local k, v = line:match("^([^:]+):%s*(.*)$")
		if k then
			headers[k:lower()] = v
		end
	end
	return code, headers
end

-- The next chunk of a chunked body; nil at its end.
local function read_chunk(fd)
	local line = socket.readline(fd, "\r\n")
	local n = line and tonumber(line:match("^%x+"), 16)
	if not n then
		error("bad chunk")
	end
	if n == 0 then
		socket.readline(fd, "\r\n")
		return nil
	end
	local data = socket.read(fd, n)
	if not data or not socket.read(fd, 2) then
		error("connection closed in a chunk")
	end
	return data
end

local function post(fd, path, body)
	local payload = cjson.encode(body)
	socket.write(fd, string.format("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n" ..
		"Content-Length: %d\r\nConnection: close\r\n\r\n%s", path, etcd, #payload, payload))
	local code, headers = read_head(fd)
	if code ~= 200 then
		error("HTTP status " .. tostring(code))
	end
	return headers
end

local function call_once(path, body)
	local fd, err = socket.open(host, port)
	if not fd then
		error(tostring(err))
	end
	local done = false
	skynet.timeout(TIMEOUT, function()
		if not done then
			socket.close(fd)
		end
	end)
	local ok, result = pcall(function()
		local headers = post(fd, path, body)
		local text
		if headers["content-length"] then
			text = socket.read(fd, tonumber(headers["content-length"]))
		elseif (headers["transfer-encoding"] or ""):find("chunked") then
			local parts = {}
			for chunk in read_chunk, fd do
				parts[#parts + 1] = chunk
			end
			text = table.concat(parts)
		else
			text = socket.readall(fd)
		end
		if not text then
			error("connection closed in the body")
		end
		return cjson.decode(text)
	end)
	done = true
	socket.close(fd)
	if not ok then
		error(tostring(result), 0)
	end
	return result
end

----------------------------------------------------------------------------
-- Health

local function outage(err)
	if healthy ~= false then
		skynet.error(string.format("cluster etcd %s unreachable (%s); the last cluster table stays in use",
			etcd, tostring(err)))
	end
	healthy = false
	lease = nil
end

local function recovered()
	if healthy == false then
		skynet.error(string.format("cluster etcd %s reachable again", etcd))
	end
	healthy = true
end

----------------------------------------------------------------------------
-- The table

local function apply(changes)
	if next(changes) == nil then
		return
	end
	for name, address in pairs(changes) do
		local old = known[name]
		known[name] = address or nil
		if not address then
			skynet.error(string.format("cluster etcd: node %s left", name))
		elseif old then
			skynet.error(string.format("cluster etcd: node %s moved to %s", name, address))
		else
			skynet.error(string.format("cluster etcd: node %s joined at %s", name, address))
		end
	end
	skynet.call(clusterd, "lua", "reload", changes)
end

local function sync()
	local r = call_once("/v3/kv/range", { key = b64(prefix), range_end = b64(prefix_end(prefix)) })
	local now = {}
	for _, kv in ipairs(r.kvs or {}) do
		now[unb64(kv.key):sub(#prefix + 1)] = unb64(kv.value or "")
	end
	local changes = {}
	for name, address in pairs(now) do
		if known[name] ~= address then
			changes[name] = address
		end
	end
	for name in pairs(known) do
		if now[name] == nil then
			changes[name] = false
		end
	end
	apply(changes)
	return tonumber(r.header.revision)
end

local function on_events(events)
	local changes = {}
	for _, ev in ipairs(events) do
		local name = unb64(ev.kv.key):sub(#prefix + 1)
		if ev.type == "DELETE" then
			if known[name] then
				changes[name] = false
			end
		else
			local address = unb64(ev.kv.value or "")
			if known[name] ~= address then
				changes[name] = address
			end
		end
	end
	apply(changes)
end

-- Streams the watch from revision rev on until the link ends (raises).
local function watch(rev)
	local fd, err = socket.open(host, port)
	if not fd then
		error(tostring(err))
	end
	local ok, werr = pcall(function()
		post(fd, "/v3/watch", { create_request = {
			key = b64(prefix), range_end = b64(prefix_end(prefix)), start_revision = rev + 1 } })
		local buffer = ""
		while true do
			local chunk = read_chunk(fd)
			if not chunk then
				error("watch ended")
			end
			buffer = buffer .. chunk
			while true do
				local line, rest = buffer:match("^(.-)\n(.*)$")
				if not line then
					break
				end
				buffer = rest
				local msg = cjson.decode(line)
				if msg.error then
					error("watch: " .. tostring(msg.error.message))
				end
				local result = msg.result or {}
				if result.canceled then
					error("watch canceled")
				end
				if result.events then
					on_events(result.events)
				end
			end
		end
	end)
	socket.close(fd)
	error(ok and "watch ended" or werr, 0)
end

----------------------------------------------------------------------------
-- This node's key

local function register()
	if me == nil or lease or registering then
		return
	end
	registering = true
	local ok, err = pcall(function()
		local g = call_once("/v3/lease/grant", { TTL = ttl })
		call_once("/v3/kv/put", { key = b64(prefix .. me.name), value = b64(me.address), lease = g.ID })
		lease = g.ID
	end)
	registering = false
	if not ok then
		error(err, 0)
	end
end

local function keepalive_loop()
	while true do
		skynet.sleep(ttl * 100 // 3)
		if lease then
			local ok, r = pcall(call_once, "/v3/lease/keepalive", { ID = lease })
			if not ok then
				outage(r)
			elseif not (r.result and tonumber(r.result.TTL or 0) > 0) then
				-- the lease expired (etcd was away too long): register again
				lease = nil
				pcall(register)
			end
		end
	end
end

local function watch_loop()
	while true do
		local ok, err = pcall(function()
			register()
			local rev = sync()
			recovered()
			watch(rev)
		end)
		outage(ok and "watch ended" or err)
		skynet.sleep(100)
	end
end

local command = {}

function command.register(name, address)
	me = { name = name, address = address }
	lease = nil
	local ok, err = pcall(register)
	if ok then
		recovered()
	else
		outage(err)
	end
	skynet.ret(skynet.pack(ok))
end

skynet.start(function()
	assert(host and port, "cluster_etcd: host:port expected, got " .. tostring(etcd))
	skynet.dispatch("lua", function(_, _, cmd, ...)
		local f = assert(command[cmd], cmd)
		f(...)
	end)
	skynet.fork(watch_loop)
	skynet.fork(keepalive_loop)
end)
