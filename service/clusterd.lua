-- clusterd: the cluster table of this node (skynet's cluster mode). It owns
-- the node name -> "host:port" table (the `cluster` config file, or reload),
-- one clustersender per remote node, the listener and one clusteragent per
-- accepted link, the names given to cluster.register, and the clusterproxy
-- services. Lua requests (from skynet.cluster):
--   sender(node) -> the node's clustersender (waits for an absent node to be
--     added unless __nowaiting; raises "cluster node [X] is down." / "absent.")
--   listen(host|name, port, maxclient) -> bound host, port
--   reload(config|nil), register(name, addr), unregister(name), proxy(node, addr)
--   names() -> the register table (for agents), nodes() -> the address table
-- With cluster_etcd it starts clusteretcd, which registers this node (name
-- from cluster.open(name) or cluster_nodename) and reloads the table.
local skynet = require "skynet"
require "skynet.manager"
local socket = require "skynet.socket"
local c = require "skynet.core"

local config_name = skynet.getenv "cluster"
local node_address = {}  -- name -> "host:port" | false (down)
local node_sender = {}   -- name -> clustersender handle
local node_waiting = {}  -- name -> { co, ... } waiting for the node to appear
local config = {}        -- __key options: nowaiting
local register_name = {} -- "@name" -> addr, addr -> name
local proxies = {}       -- "node\0addr" -> proxy handle
local agents = {}        -- fd -> agent handle
local nodename = skynet.getenv "cluster_nodename" or string.format("%08x", skynet.self())
local listen_ids = {}
local opened = false     -- nodename comes from the first cluster.open(name)
local etcd               -- clusteretcd, with cluster_etcd set

local command = {}

-- A value of an INI cluster file: true/false/numbers become Lua values.
local function ini_value(v)
	v = v:match("^%s*(.-)%s*$")
	local q = v:match('^"(.*)"$') or v:match("^'(.*)'$")
	if q then
		return q
	end
	if v == "true" then
		return true
	elseif v == "false" then
		return false
	end
	return tonumber(v) or v
end

-- skynet's Lua format (name = "host:port") first, then INI (name = host:port).
local function read_config(path)
	local f = assert(io.open(path, "r"), "cluster: can't open config file " .. path)
	local source = f:read "a"
	f:close()
	local tmp = {}
	local chunk = load(source, "@" .. path, "t", tmp)
	if chunk and pcall(chunk) then
		return tmp
	end
	tmp = {}
	local n = 0
	for line in (source .. "\n"):gmatch("(.-)\r?\n") do
		n = n + 1
		line = line:gsub("^%s+", "")
		if line ~= "" and not line:find("^[#;]") and not line:find("^%[") then
			local k, v = line:match("^([%w_%.%-]+)%s*=%s*(.*)$")
			if not k then
				error(string.format("cluster: %s:%d: name = host:port expected", path, n))
			end
			v = v:gsub("%s+[;#].*$", "")
			tmp[k] = ini_value(v)
		end
	end
	return tmp
end

local function wake_waiting(name)
	local q = node_waiting[name]
	if q then
		node_waiting[name] = nil
		for _, co in ipairs(q) do
			skynet.wakeup(co)
		end
	end
end

local function load_config(tbl)
	if tbl == nil then
		if not config_name then
			return
		end
		tbl = read_config(config_name)
	end
	for name, address in pairs(tbl) do
		if type(name) == "string" and name:sub(1, 2) == "__" then
			config[name:sub(3)] = address
		else
			assert(address == false or type(address) == "string",
				string.format("cluster: node %s: address must be \"host:port\" or false", tostring(name)))
			if node_address[name] ~= address then
				node_address[name] = address
				local s = node_sender[name]
				if s then
					local host, port
					if address then
						host, port = address:match("^(.+):(%d+)$")
					end
					skynet.send(s, "lua", "changenode", host or false, tonumber(port))
				end
			end
			wake_waiting(name)
		end
	end
	-- a node a reload no longer lists stays as it was (as skynet)
	if config.nowaiting then
		for name in pairs(node_waiting) do
			wake_waiting(name)
		end
	end
end

local function node_error(name)
	local a = node_address[name]
	return string.format("cluster node [%s] is %s.", tostring(name), a == false and "down" or "absent")
end

local function get_sender(name)
	local s = node_sender[name]
	if s then
		if node_address[name] == false then
			error(node_error(name), 0)
		end
		return s
	end
	local address = node_address[name]
	while address == nil and not config.nowaiting do
		local q = node_waiting[name] or {}
		node_waiting[name] = q
		local co = coroutine.running()
		q[#q + 1] = co
		skynet.wait(co)
		address = node_address[name]
		s = node_sender[name]
		if s then
			return get_sender(name)
		end
	end
	if not address then
		error(node_error(name), 0)
	end
	local host, port = address:match("^(.+):(%d+)$")
	if not host then
		error(string.format("cluster node [%s]: invalid address %s", name, address), 0)
	end
	s = node_sender[name]
	if not s then
		s = skynet.newservice("clustersender", name, nodename, host, port)
		if node_sender[name] then
			-- another request created one while this one waited
			skynet.send(s, "lua", "exit")
			s = node_sender[name]
		end
		node_sender[name] = s
	end
	return s
end

-- Answers the caller with an error without raising here (no traceback in
-- this node's log for a caller's mistake).
local function fail(why)
	local session, source = skynet.context()
	skynet.ignoreret()
	if session and session ~= 0 then
		c.send(source, skynet.PTYPE_ERROR, session, why)
	end
end

function command.sender(name)
	local ok, s = pcall(get_sender, name)
	if ok then
		return skynet.ret(skynet.pack(s))
	end
	fail(tostring(s))
end

function command.nodes()
	skynet.ret(skynet.pack(node_address))
end

function command.reload(tbl)
	load_config(tbl)
	skynet.ret(skynet.pack(nil))
end

local function accept(fd, addr)
	local ok, agent = pcall(skynet.newservice, "clusteragent", skynet.self(), fd, addr)
	if not ok then
		skynet.error(string.format("cluster: can't start an agent for %s: %s", addr, agent))
		socket.close_fd(fd)
		return
	end
	agents[fd] = agent
end

function command.listen(host, port, maxclient)
	if port == nil then
		local address = assert(node_address[host], tostring(host) .. " is down")
		if not opened then
			nodename = host
		end
		host, port = address:match("^(.+):(%d+)$")
		assert(host, "cluster: invalid address " .. address)
		port = tonumber(port)
	end
	-- every cluster.open adds a listener (skynet's examples open two)
	config.maxclient = maxclient
	local id, ip, bound = socket.listen(host, port)
	listen_ids[#listen_ids + 1] = id
	socket.start(id, accept)
	opened = true
	ip, bound = ip or host, bound or port
	skynet.error(string.format("cluster listen %s:%d", ip, bound))
	if etcd then
		-- advertise where the others reach us (a wildcard listen: loopback
		-- unless cluster_advertise names the host)
		local adv = skynet.getenv "cluster_advertise" or ((ip == "0.0.0.0" or ip == "::") and "127.0.0.1" or ip)
		local address = adv .. ":" .. bound
		node_address[nodename] = address
		skynet.call(etcd, "lua", "register", nodename, address)
	end
	skynet.ret(skynet.pack(ip, bound))
end

local function push_names()
	for _, agent in pairs(agents) do
		skynet.send(agent, "lua", "namechange")
	end
end

function command.register(name, addr)
	assert(type(name) == "string" and name ~= "", "cluster.register: a name expected")
	addr = addr or skynet.self()
	local old = register_name["@" .. name]
	if old then
		register_name[old] = nil
	end
	register_name["@" .. name] = addr
	register_name[addr] = name
	push_names()
	skynet.ret(skynet.pack(nil))
	skynet.error(string.format("Register cluster name %s as %s", name, skynet.address(addr)))
end

function command.unregister(name)
	local addr = register_name["@" .. name]
	if addr then
		register_name[addr] = nil
		register_name["@" .. name] = nil
		push_names()
	end
	skynet.ret(skynet.pack(nil))
end

function command.names()
	skynet.ret(skynet.pack(register_name))
end

function command.agentexit(fd)
	agents[fd] = nil
	skynet.ret(skynet.pack(nil))
end

function command.proxy(node, name)
	if name == nil then
		node, name = node:match("^([^@%.]+)([@%.].+)$")
		if node == nil then
			error("cluster.proxy: invalid name " .. tostring(name))
		end
	end
	local key = node .. "\0" .. tostring(name)
	local p = proxies[key]
	if p == nil then
		p = skynet.newservice("clusterproxy", node, name, skynet.self())
		if proxies[key] then
			skynet.kill(p)
			p = proxies[key]
		end
		proxies[key] = p
	end
	skynet.ret(skynet.pack(p))
end

skynet.start(function()
	load_config()
	if (skynet.getenv "cluster_etcd" or "") ~= "" then
		etcd = skynet.newservice("clusteretcd", skynet.self())
	end
	skynet.dispatch("lua", function(_, _, cmd, ...)
		local f = command[cmd]
		if not f then
			error("clusterd: unknown command " .. tostring(cmd))
		end
		f(...)
	end)
end)
