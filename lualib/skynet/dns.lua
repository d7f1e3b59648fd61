-- skynet.dns: an asynchronous DNS resolver for Lua services (skynet's API).
--
--   dns.server([ip [, port]])   sets the name server and returns its address
--                               (no ip: the first `nameserver` of
--                               /etc/resolv.conf; port 53 by default)
--   dns.resolve(name [, ipv6])  -> ip, { ip, ... }   (A, or AAAA if ipv6)
--                               nil, reason for an illegal name; raises
--                               "timeout or no answer (...)" when no server
--                               answers after every try
--   dns.flush()                 empties the answer cache
--   dns.timeout([cs [, tries]]) per-try timeout (centiseconds) and tries;
--                               returns the settings (beyond skynet)
--
-- Names in /etc/hosts (dns.DEFAULT_HOSTS) answer first; an IP literal is
-- returned as is. Queries go over one UDP socket per service (opened on first
-- use, closed after a minute without queries); a truncated answer (TC bit) is
-- asked again over TCP. Answers are cached for the smallest TTL of their
-- records. Each waiting query is a coroutine keyed by its 16-bit transaction
-- id; answers with an unknown id, another question or a broken layout are
-- dropped, so a stray or forged datagram cannot wake the wrong caller.
local skynet = require "skynet"
local socket = require "skynet.socket"

local spack, sunpack, sformat = string.pack, string.unpack, string.format

local QTYPE_A, QTYPE_AAAA, QCLASS_IN = 1, 28, 1
local FLAG_TC = 0x0200
local MAX_NAME = 253
local MAX_LABEL = 63
local RETIRE = 60 * 100       -- close the UDP socket after a minute idle

local dns = {}
dns.DEFAULT_HOSTS = "/etc/hosts"
dns.DEFAULT_RESOLV_CONF = "/etc/resolv.conf"

local try_timeout = 200       -- centiseconds per try
local max_tries = 3

local server = { address = nil, port = 53, fd = nil, used = 0 }
local pending = {}            -- tid -> { co, name, qtype, answers, err, tc }
local cache = {}              -- qtype -> name -> { answers, expire }
local hosts                   -- name -> { ipv4 = {..}, ipv6 = {..} }

local function name_type(name)
	if name:match("^[%d%.]+$") then
		return "ipv4"
	end
	if name:find(":", 1, true) then
		return "ipv6"
	end
	return "hostname"
end

local function read_hosts()
	local t = {}
	local f = dns.DEFAULT_HOSTS and io.open(dns.DEFAULT_HOSTS)
	if not f then
		return t
	end
	for line in f:lines() do
		local ip, names = line:match("^%s*([%x%.:]+)%s+([^#]*)")
		local family = ip and name_type(ip)
		if family and family ~= "hostname" then
			for host in names:gmatch("%S+") do
				host = host:lower()
				local r = t[host] or {}
				t[host] = r
				r[family] = r[family] or {}
				table.insert(r[family], ip)
			end
		end
	end
	f:close()
	return t
end

local function read_resolv_conf()
	local f = dns.DEFAULT_RESOLV_CONF and io.open(dns.DEFAULT_RESOLV_CONF)
	if not f then
		return nil
	end
	local found
	for line in f:lines() do
		found = line:match("^%s*nameserver%s+([^#;%s]+)")
		if found then
			break
		end
	end
	f:close()
	return found
end

local function valid_name(name)
	if #name == 0 or #name > MAX_NAME or not name:match("^[_%w%-%.]+$") then
		return false
	end
	for label in name:gmatch("[^%.]+") do
		if #label > MAX_LABEL then
			return false
		end
	end
	return not name:find("..", 1, true)
end

local function new_tid()
	for _ = 1, 100 do
		local tid = math.random(1, 0xffff)
		if not pending[tid] then
			return tid
		end
	end
	error("dns: too many queries in flight")
end

local function pack_query(tid, name, qtype)
	local parts = { spack(">I2I2I2I2I2I2", tid, 0x0100, 1, 0, 0, 0) }   -- RD set
	for label in name:gmatch("[^%.]+") do
		parts[#parts + 1] = spack("s1", label)
	end
	parts[#parts + 1] = spack(">BI2I2", 0, qtype, QCLASS_IN)
	return table.concat(parts)
end

-- A (possibly compressed) name at pos -> name, position after it.
local function unpack_name(msg, pos)
	local labels, after, jumps = {}, nil, 0
	while true do
		local len = sunpack("B", msg, pos)
		if len & 0xc0 == 0xc0 then
			local ptr = sunpack(">I2", msg, pos) & 0x3fff
			after = after or pos + 2
			jumps = jumps + 1
			if jumps > 32 then
				error("compression loop")
			end
			pos = ptr + 1
		elseif len == 0 then
			pos = pos + 1
			break
		else
			labels[#labels + 1] = sunpack("s1", msg, pos)
			pos = pos + 1 + len
		end
	end
	return table.concat(labels, "."):lower(), after or pos
end

local function rdata_text(atype, rdata)
	if atype == QTYPE_A and #rdata == 4 then
		return sformat("%d.%d.%d.%d", sunpack("BBBB", rdata))
	elseif atype == QTYPE_AAAA and #rdata == 16 then
		return sformat("%x:%x:%x:%x:%x:%x:%x:%x", sunpack(">I2I2I2I2I2I2I2I2", rdata))
	end
end

-- Parses an answer -> { tid, flags, name, qtype, answers = {..}, ttl }.
local function parse_answer(msg)
	local tid, flags, qd, an = sunpack(">I2I2I2I2", msg)
	if qd ~= 1 then
		error("question count " .. qd)
	end
	local r = { tid = tid, flags = flags, answers = {} }
	local pos
	r.name, pos = unpack_name(msg, 13)
	r.qtype, pos = sunpack(">I2", msg, pos)
	pos = pos + 2
	for _ = 1, an do
		local atype, ttl, rdata
		_, pos = unpack_name(msg, pos)
		atype, _, ttl, rdata, pos = sunpack(">I2I2I4s2", msg, pos)
		if atype == r.qtype then
			local ip = rdata_text(atype, rdata)
			if ip then
				r.answers[#r.answers + 1] = ip
				r.ttl = r.ttl and math.min(r.ttl, ttl) or ttl
			end
		end
	end
	return r
end

local function remember(r)
	if #r.answers > 0 then
		cache[r.qtype][r.name] = { answers = r.answers, expire = skynet.now() + r.ttl * 100 }
	end
end

-- Matches an answer to its waiting query; returns the query or nil.
local function deliver(msg)
	local ok, r = pcall(parse_answer, msg)
	if not ok then
		skynet.error("dns: dropping a malformed answer: " .. tostring(r):gsub("^.-:%d+: ", ""))
		return
	end
	local q = pending[r.tid]
	if not q or q.name ~= r.name or q.qtype ~= r.qtype then
		return   -- late (timed out) or not ours
	end
	if r.flags & FLAG_TC ~= 0 then
		q.tc = true
	else
		remember(r)
		q.answers = r.answers
		q.rcode = r.flags & 0xf
	end
	pending[r.tid] = nil
	skynet.wakeup(q.co)
	return q
end

local function retire_check()
	local fd = server.fd
	if not fd then
		return
	end
	if skynet.now() - server.used >= RETIRE and next(pending) == nil then
		server.fd = nil
		socket.close(fd)
	else
		skynet.timeout(RETIRE, retire_check)
	end
end

local function server_address()
	if not server.address then
		server.address = read_resolv_conf()
		if not server.address then
			error("dns: no name server (call dns.server, or add one to " .. tostring(dns.DEFAULT_RESOLV_CONF) .. ")")
		end
	end
	return server.address, server.port
end

local function udp_fd()
	server.used = skynet.now()
	if server.fd then
		return server.fd
	end
	local addr, port = server_address()
	server.fd = socket.udp_dial(addr, port, deliver)
	skynet.timeout(RETIRE, retire_check)
	return server.fd
end

-- The same question over TCP (answers too large for a datagram).
local function query_tcp(name, qtype)
	local addr, port = server_address()
	local fd, err = socket.open(addr, port)
	if not fd then
		return nil, "tcp connect failed: " .. tostring(err)
	end
	local tid = new_tid()
	local done = false
	skynet.timeout(try_timeout * max_tries, function()
		if not done then
			socket.close_fd(fd)
		end
	end)
	socket.write(fd, spack(">s2", pack_query(tid, name, qtype)))
	local head = socket.read(fd, 2)
	local body = head and socket.read(fd, sunpack(">I2", head))
	done = true
	socket.close(fd)
	if not body then
		return nil, "tcp answer cut short"
	end
	local ok, r = pcall(parse_answer, body)
	if not ok or r.tid ~= tid or r.name ~= name then
		return nil, "bad tcp answer"
	end
	remember(r)
	return r.answers, r.flags & 0xf
end

local function ask(name, qtype)
	local msg
	local tries = 0
	while tries < max_tries do
		tries = tries + 1
		local tid = new_tid()
		local q = { co = coroutine.running(), name = name, qtype = qtype }
		pending[tid] = q
		msg = msg or pack_query(0, name, qtype)
		socket.write(udp_fd(), spack(">I2", tid) .. msg:sub(3))
		skynet.timeout(try_timeout, function()
			if pending[tid] == q then
				pending[tid] = nil
				skynet.wakeup(q.co)
			end
		end)
		skynet.wait(q.co)
		if q.tc then
			local answers, rcode = query_tcp(name, qtype)
			if answers then
				return answers, rcode
			end
		elseif q.answers then
			return q.answers, q.rcode
		end
	end
	return nil, sformat("%d tries of %d.%02d s", tries, try_timeout // 100, try_timeout % 100)
end

local function lookup_hosts(name, ipv6)
	hosts = hosts or read_hosts()
	local r = hosts[name]
	local list = r and r[ipv6 and "ipv6" or "ipv4"]
	if list then
		return list[1], list
	end
end

-- dns.server([ip [, port]]) -> the server's address: with no ip, the first
-- nameserver of dns.DEFAULT_RESOLV_CONF (raises if there is none).
function dns.server(ip, port)
	if not ip then
		ip = read_resolv_conf()
		if not ip then
			error("dns: no nameserver in " .. tostring(dns.DEFAULT_RESOLV_CONF))
		end
	end
	server.address = ip
	server.port = port or 53
	if server.fd then
		local fd = server.fd
		server.fd = nil
		socket.close(fd)
	end
	return ip
end

function dns.flush()
	cache[QTYPE_A] = {}
	cache[QTYPE_AAAA] = {}
	hosts = nil
end

function dns.timeout(cs, tries)
	if cs then
		assert(math.type(cs) == "integer" and cs > 0, "dns.timeout: centiseconds > 0 expected")
		try_timeout = cs
	end
	if tries then
		assert(math.type(tries) == "integer" and tries > 0, "dns.timeout: tries > 0 expected")
		max_tries = tries
	end
	return try_timeout, max_tries
end

function dns.resolve(name, ipv6)
	assert(type(name) == "string", "dns.resolve: name must be a string")
	name = name:lower()
	local kind = name_type(name)
	if kind ~= "hostname" then
		if (ipv6 and kind == "ipv4") or (not ipv6 and kind == "ipv6") then
			return nil, "illegal ip address"
		end
		return name, { name }
	end
	if name:sub(-1) == "." then
		name = name:sub(1, -2)
	end
	if not valid_name(name) then
		return nil, "illegal name"
	end
	local ip, list = lookup_hosts(name, ipv6)
	if ip then
		return ip, list
	end
	local qtype = ipv6 and QTYPE_AAAA or QTYPE_A
	local hit = cache[qtype][name]
	if hit and hit.expire > skynet.now() then
		return hit.answers[1], hit.answers
	end
	local answers, detail = ask(name, qtype)
	if answers and #answers > 0 then
		return answers[1], answers
	end
	if answers then
		detail = detail == 3 and "no such name" or sformat("no %s record (rcode %d)", ipv6 and "AAAA" or "A", detail)
	end
	error(sformat("timeout or no answer: %s from %s:%s (%s)", name, server.address, server.port, detail))
end

dns.flush()

return dns
