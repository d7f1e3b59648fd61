-- cdummy: the harbor service of a single node (skynet's dummy harbor). It owns
-- the global names (no leading '.'): skynet.register "NAME", skynet.name and
-- harbor.globalname land here (REGISTER), and the core hands it every message
-- sent to a global name (and to a handle of another harbor id), which it
-- passes on to the named service. A message to a name nobody registered yet
-- waits here, in order, until the name appears; QUERYNAME waits the same way.
-- There is no other node: messages to other harbor ids are refused.
local skynet = require "skynet"
local core = require "skynet.core"
local harbor_core = require "skynet.harbor.core"

local PTYPE_ERROR = skynet.PTYPE_ERROR

local names = {}    -- global name -> handle
local querying = {} -- global name -> response closures of QUERYNAME
local pending = {}  -- global name -> messages waiting for it, in arrival order

-- Messages still waiting when the service goes (node shutdown) are freed
-- with the Lua state: nobody else owns them. (pending lives as long as the
-- state: the system protocol's dispatch holds it.)
setmetatable(pending, { __gc = function(t)
	for _, queue in pairs(t) do
		for _, m in ipairs(queue) do
			if m[4] then
				skynet.trash(m[4], m[5])
			end
		end
	end
end })

local function forward(handle, source, ptype, session, msg, sz)
	if core.redirect(handle, source, ptype, session, msg, sz) == nil and session ~= 0 then
		-- The named service is gone: its caller must not wait forever.
		core.send(source, PTYPE_ERROR, session, "")
	end
end

local command = {}

function command.REGISTER(name, handle)
	assert(names[name] == nil, "global name already registered: " .. tostring(name))
	names[name] = handle
	local list = querying[name]
	if list then
		querying[name] = nil
		for _, response in ipairs(list) do
			response(true, handle)
		end
	end
	local queue = pending[name]
	if queue then
		pending[name] = nil
		for _, m in ipairs(queue) do
			forward(handle, m[1], m[2], m[3], m[4], m[5])
		end
	end
end

function command.QUERYNAME(name)
	if string.byte(name) == 46 then -- ".": a local name
		return skynet.retpack(skynet.localname(name))
	end
	local handle = names[name]
	if handle then
		return skynet.retpack(handle)
	end
	local list = querying[name] or {}
	querying[name] = list
	list[#list + 1] = skynet.response()
end

function command.LINK()
	-- No other node to lose: answered at once, as skynet's dummy does.
	skynet.ret()
end

function command.CONNECT()
	skynet.error("Can't connect to other harbor in single node mode")
	skynet.ignoreret()
end

local function remote_message(session, source, name, handle, ptype, msg, sz)
	skynet.ignoreret() -- forwarded, never answered here
	if name == nil then
		if msg then
			skynet.trash(msg, sz)
		end
		skynet.error(string.format("no harbor link to %s (single node mode)", skynet.address(handle)))
		if session ~= 0 then
			core.send(source, PTYPE_ERROR, session, "")
		end
		return
	end
	local dest = names[name]
	if dest then
		return forward(dest, source, ptype, session, msg, sz)
	end
	local queue = pending[name] or {}
	pending[name] = queue
	queue[#queue + 1] = { source, ptype, session, msg, sz }
end

skynet.register_protocol {
	name = "system",
	id = skynet.PTYPE_SYSTEM,
	unpack = harbor_core.unpack,
	dispatch = remote_message,
}

skynet.start(function()
	skynet.dispatch("lua", function(session, _, cmd, ...)
		local f = command[cmd]
		if f == nil then
			error("cdummy: unknown command " .. tostring(cmd))
		end
		f(...)
		if session ~= 0 and cmd == "REGISTER" then
			skynet.ret()
		end
	end)
	harbor_core.start()
end)
