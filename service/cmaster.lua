-- cmaster: the harbor master (started on the node whose config sets
-- `standalone`, the address it listens on). It keeps the table of slaves
-- (harbor id -> address) and of global names (name -> handle), and tells
-- every slave who joined, who left and which names exist.
--
-- Wire (skynet's): each package is one length byte, then skynet.packstring of
-- a type letter and its arguments.
--   slave -> master: 'H' id address   handshake
--                    'R' name handle  a global name registered there
--                    'Q' name         who has this name? (answered once known)
--   master -> slave: 'W' n            wait for n slaves to connect to you
--                    'C' id address   connect to this new slave
--                    'N' name handle  a global name
--                    'D' id           this slave is gone
-- With `harbor_secret` set, 'H' carries the slave's nonce, the master answers
-- 'A' nonce, the slave proves itself with 'P' proof, and 'W' carries the
-- master's proof (HMAC-SHA1 over both nonces; see skynet.harborauth). Beyond skynet: a slave
-- that went down may join again with the same id, and the latest 'R' of a
-- name wins (a restarted node registers its names again).
local skynet = require "skynet"
local socket = require "skynet.socket"
local auth = require "skynet.harborauth"

local slave_node = {}  -- id -> { fd = fd|false, addr = address }
local global_name = {}

local function read_package(fd)
	local sz = socket.read(fd, 1)
	assert(sz, "closed")
	local content = assert(socket.read(fd, string.byte(sz)), "closed")
	return skynet.unpack(content)
end

local function pack_package(...)
	local message = skynet.packstring(...)
	assert(#message <= 255, "harbor master package too long")
	return string.char(#message) .. message
end

local function broadcast(message, except)
	for id, v in pairs(slave_node) do
		if v.fd and id ~= except then
			socket.write(v.fd, message)
		end
	end
end

-- With a secret: the slave proves itself first (so a wrong secret is seen
-- and logged here); the master's own proof rides on 'W'.
local function prove(fd, slave_id, nonce)
	local secret = auth.secret()
	if secret == nil then
		return
	end
	if type(nonce) ~= "string" or #nonce ~= auth.NONCE then
		error(string.format("harbor %d cannot prove harbor_secret (no nonce), refused", slave_id))
	end
	local mine = auth.nonce()
	socket.write(fd, pack_package("A", mine))
	local t, proof = read_package(fd)
	if t ~= "P" or not auth.equal(proof, auth.proof(secret, "s", mine, nonce)) then
		error(string.format("harbor %d cannot prove harbor_secret, refused", slave_id))
	end
	return auth.proof(secret, "m", nonce, mine)
end

local function handshake(fd)
	local t, slave_id, slave_addr, nonce = read_package(fd)
	assert(t == "H", "Invalid handshake type " .. tostring(t))
	assert(math.type(slave_id) == "integer" and slave_id > 0 and slave_id < 256,
		"Invalid slave id " .. tostring(slave_id))
	local old = slave_node[slave_id]
	if old and old.fd then
		error(string.format("Slave %d already register on %s", slave_id, old.addr))
	end
	local proof = prove(fd, slave_id, nonce)
	local n = 0
	local message = pack_package("C", slave_id, slave_addr)
	for _, v in pairs(slave_node) do
		if v.fd then
			socket.write(v.fd, message)
			n = n + 1
		end
	end
	socket.write(fd, pack_package("W", n, proof))
	slave_node[slave_id] = { fd = fd, addr = slave_addr }
	return slave_id, slave_addr
end

local function dispatch_slave(fd)
	local t, name, address = read_package(fd)
	if t == "R" then
		assert(type(name) == "string" and math.type(address) == "integer", "Invalid request")
		global_name[name] = address
		broadcast(pack_package("N", name, address))
	elseif t == "Q" then
		address = global_name[name]
		if address then
			socket.write(fd, pack_package("N", name, address))
		end
	else
		skynet.error("Invalid slave message type " .. tostring(t))
	end
end

local function monitor_slave(slave_id, slave_address)
	local node = slave_node[slave_id]
	local fd = node.fd
	skynet.error(string.format("Harbor %d (fd=%d) report %s", slave_id, fd, slave_address))
	while pcall(dispatch_slave, fd) do end
	skynet.error("slave " .. slave_id .. " is down")
	node.fd = false
	broadcast(pack_package("D", slave_id))
	socket.close(fd)
end

skynet.start(function()
	local master_addr = skynet.getenv "standalone"
	skynet.error("master listen socket " .. tostring(master_addr))
	local fd = socket.listen(master_addr)
	socket.start(fd, function(id, addr)
		skynet.error("connect from " .. addr .. " " .. id)
		socket.start(id)
		socket.keepalive(id)
		local ok, slave, slave_addr = pcall(handshake, id)
		if ok then
			skynet.fork(monitor_slave, slave, slave_addr)
		else
			skynet.error(string.format("disconnect fd = %d, error = %s", id, slave))
			socket.close(id)
		end
	end)
end)
