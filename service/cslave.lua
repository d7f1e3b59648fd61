-- cslave: the harbor slave, on every node of a multi-node (master/slave)
-- setup. It connects to the master (`master`), listens on `address` for the
-- harbors that join before it, launches the harbor C service (which owns the
-- links and the messages on them) and answers the skynet.harbor API:
-- REGISTER, QUERYNAME, LINK, CONNECT, LINKMASTER, CONNECTMASTER.
--
-- The master protocol is in cmaster.lua. A link between two slaves starts
-- with the dialler's id byte, read here on the accepting side; the rest of
-- the link's handshake (and, with `harbor_secret`, its proof) is the harbor
-- service's (service_harbor.c). A slave that went down may come back with
-- the same id: the master announces it again and the old link is replaced.
local skynet = require "skynet"
local socket = require "skynet.socket"
local socketdriver = require "skynet.socketdriver"
local auth = require "skynet.harborauth"
require "skynet.manager"

local slaves = {}        -- harbor id -> fd (link being set up or up), false once down
local connect_queue = {} -- id -> address, until the start-up handshake is done
local globalname = {}
local queryname = {}
local harbor = {}
local harbor_service
local monitor = {}       -- id -> responses waiting for a change of that link
local monitor_master_set = {}
local connectmaster_set = {}
local master_up = false

local WAIT_LIMIT = 1000  -- centiseconds to wait for the slaves the master announced

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

local function monitor_clear(id)
	local v = monitor[id]
	if v then
		monitor[id] = nil
		for _, resp in ipairs(v) do
			resp(true)
		end
	end
end

local function connect_slave(slave_id, address)
	local ok, err = pcall(function()
		if slaves[slave_id] then
			-- The master announces it again: it restarted before we saw it go.
			skynet.send(harbor_service, "harbor", "K " .. slave_id)
		end
		local fd = assert(socket.open(address), "Can't connect to " .. address)
		socketdriver.nodelay(fd)
		skynet.error(string.format("Connect to harbor %d (fd=%d), %s", slave_id, fd, address))
		slaves[slave_id] = fd
		monitor_clear(slave_id)
		socket.abandon(fd)
		skynet.send(harbor_service, "harbor", string.format("S %d %d", fd, slave_id))
	end)
	if not ok then
		skynet.error(err)
	end
end

local function ready()
	local queue = connect_queue
	connect_queue = nil
	for k, v in pairs(queue) do
		connect_slave(k, v)
	end
	for name, address in pairs(globalname) do
		skynet.redirect(harbor_service, address, "harbor", 0, "N " .. name)
	end
end

local function response_name(name)
	local address = globalname[name]
	local list = queryname[name]
	if list then
		queryname[name] = nil
		for _, resp in ipairs(list) do
			resp(true, address)
		end
	end
end

local function slave_down(id)
	if slaves[id] then
		monitor_clear(id)
	end
	slaves[id] = false
end

local function monitor_master(master_fd)
	while true do
		local ok, t, id_name, address = pcall(read_package, master_fd)
		if not ok then
			break
		end
		if t == "C" then
			if connect_queue then
				connect_queue[id_name] = address
			else
				connect_slave(id_name, address)
			end
		elseif t == "N" then
			globalname[id_name] = address
			response_name(id_name)
			if connect_queue == nil then
				skynet.redirect(harbor_service, address, "harbor", 0, "N " .. id_name)
			end
		elseif t == "D" then
			-- Even a harbor never linked: what waits for it fails now.
			skynet.send(harbor_service, "harbor", "K " .. id_name)
			slave_down(id_name)
		end
	end
	skynet.error("Master disconnect")
	master_up = false
	local set = monitor_master_set
	monitor_master_set = {}
	for _, resp in ipairs(set) do
		resp(true)
	end
	socket.close(master_fd)
end

local function accept_slave(fd)
	socket.start(fd)
	local id = socket.read(fd, 1)
	if not id then
		skynet.error(string.format("Connection (fd =%d) closed", fd))
		socket.close(fd)
		return
	end
	id = string.byte(id)
	if slaves[id] then
		skynet.error(string.format("Slave %d exist (fd =%d)", id, fd))
		socket.close(fd)
		return
	end
	slaves[id] = fd
	monitor_clear(id)
	socket.abandon(fd)
	skynet.error(string.format("Harbor %d connected (fd = %d)", id, fd))
	skynet.send(harbor_service, "harbor", string.format("A %d %d", fd, id))
	return true
end

skynet.register_protocol {
	name = "harbor",
	id = skynet.PTYPE_HARBOR,
	pack = function(...) return ... end,
	unpack = skynet.tostring,
}

skynet.register_protocol {
	name = "text",
	id = skynet.PTYPE_TEXT,
	pack = function(...) return ... end,
	unpack = skynet.tostring,
}

-- Reports of the harbor service: Q name (resolve it), D id (link down).
local function monitor_harbor(master_fd)
	return function(_, _, command)
		local t = string.sub(command, 1, 1)
		local arg = string.sub(command, 3)
		if t == "Q" then
			if globalname[arg] then
				skynet.redirect(harbor_service, globalname[arg], "harbor", 0, "N " .. arg)
			elseif master_up then
				socket.write(master_fd, pack_package("Q", arg))
			end
		elseif t == "D" then
			slave_down(tonumber(arg))
		else
			skynet.error("Unknown command ", command)
		end
	end
end

function harbor.REGISTER(fd, name, handle)
	assert(globalname[name] == nil, "global name already registered: " .. tostring(name))
	globalname[name] = handle
	response_name(name)
	if master_up then
		socket.write(fd, pack_package("R", name, handle))
	end
	skynet.redirect(harbor_service, handle, "harbor", 0, "N " .. name)
end

function harbor.LINK(_, id)
	if slaves[id] then
		monitor[id] = monitor[id] or {}
		table.insert(monitor[id], skynet.response())
	else
		skynet.ret()
	end
end

function harbor.LINKMASTER()
	if master_up then
		table.insert(monitor_master_set, skynet.response())
	else
		skynet.ret()
	end
end

function harbor.CONNECTMASTER()
	if master_up then
		skynet.ret()
	else
		table.insert(connectmaster_set, skynet.response())
	end
end

function harbor.CONNECT(_, id)
	if not slaves[id] then
		monitor[id] = monitor[id] or {}
		table.insert(monitor[id], skynet.response())
	else
		skynet.ret()
	end
end

function harbor.QUERYNAME(fd, name)
	if name:byte() == 46 then -- ".", a local name
		skynet.ret(skynet.pack(skynet.localname(name)))
		return
	end
	local result = globalname[name]
	if result then
		skynet.ret(skynet.pack(result))
		return
	end
	local queue = queryname[name]
	if queue == nil then
		if master_up then
			socket.write(fd, pack_package("Q", name))
		end
		queryname[name] = { skynet.response() }
	else
		table.insert(queue, skynet.response())
	end
end

-- The handshake with the master; with a secret both sides prove it.
-- The handshake with the master; with a secret both sides prove it (the
-- slave first, see cmaster.lua).
local function master_handshake(master_fd, harbor_id, slave_address)
	local secret = auth.secret()
	local nonce = secret and auth.nonce()
	socket.write(master_fd, pack_package("H", harbor_id, slave_address, nonce))
	local t, n, proof = read_package(master_fd)
	if secret then
		if t ~= "A" or type(n) ~= "string" then
			error("the master does not ask for harbor_secret, refused")
		end
		socket.write(master_fd, pack_package("P", auth.proof(secret, "s", n, nonce)))
		local challenge = n
		t, n, proof = read_package(master_fd)
		if t == "W" and not auth.equal(proof, auth.proof(secret, "m", nonce, challenge)) then
			error("the master cannot prove harbor_secret, refused")
		end
	end
	assert(t == "W" and type(n) == "number", "slave shakehand failed")
	return n
end

local function count_slaves()
	local s = 0
	for _, fd in pairs(slaves) do
		if fd then
			s = s + 1
		end
	end
	return s
end

-- Accepts the n harbors the master announced (they dial us), for a while.
local function wait_slaves(slave_fd, n)
	local co = coroutine.running()
	local done = false
	socket.start(slave_fd, function(fd, addr)
		skynet.error(string.format("New connection (fd = %d, %s)", fd, addr))
		socketdriver.nodelay(fd)
		local ok, accepted = pcall(accept_slave, fd)
		if ok and accepted and not done and count_slaves() >= n then
			done = true
			skynet.wakeup(co)
		end
	end)
	skynet.timeout(WAIT_LIMIT, function()
		if not done then
			done = true
			skynet.error(string.format("Only %d of %d harbors connected, going on", count_slaves(), n))
			skynet.wakeup(co)
		end
	end)
	skynet.wait(co)
	socket.close(slave_fd)
end

local function listen(address)
	local host, port = string.match(address, "^(.*):(%d+)$")
	assert(host, "harbor address host:port expected, got " .. address)
	local fd, _, bound = socket.listen(host, tonumber(port))
	if tonumber(port) == 0 and bound then
		address = host .. ":" .. bound
	end
	return fd, address
end

skynet.start(function()
	local master_addr = skynet.getenv "master"
	local harbor_id = tonumber(skynet.getenv "harbor")
	local slave_address = assert(skynet.getenv "address", "harbor mode needs `address`")
	assert(harbor_id and harbor_id > 0 and harbor_id < 256, "harbor id must be 1..255")
	local slave_fd
	slave_fd, slave_address = listen(slave_address)
	skynet.error("slave connect to master " .. tostring(master_addr))
	local master_fd = assert(socket.open(master_addr), "Can't connect to master " .. tostring(master_addr))
	socket.keepalive(master_fd)

	skynet.dispatch("lua", function(_, _, command, ...)
		local f = assert(harbor[command], "cslave: unknown command")
		f(master_fd, ...)
	end)
	skynet.dispatch("text", monitor_harbor(master_fd))

	harbor_service = assert(skynet.launch("harbor", harbor_id, skynet.self()))

	local n = master_handshake(master_fd, harbor_id, slave_address)
	master_up = true
	skynet.error(string.format("Waiting for %d harbors", n))
	skynet.fork(monitor_master, master_fd)
	if n > 0 then
		wait_slaves(slave_fd, n)
	else
		-- slave_fd was never started: close the fd itself.
		socket.close_fd(slave_fd)
	end
	skynet.error("Shakehand ready")
	skynet.fork(ready)
end)
