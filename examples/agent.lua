-- agent: one per client. The protocol is one JSON object per packet:
--   {"cmd":"login","name":N}        -> {"ok":true,"msg":"welcome N"}
--   {"cmd":"echo","text":T}         -> {"ok":true,"echo":T}
--   {"cmd":"time"}                  -> {"ok":true,"time":<unix seconds>}
--   {"cmd":"logout"}                -> {"ok":true,"msg":"bye N"}, then the link closes
-- Every reply carries the request's "id" back. A request other than login
-- before logging in, bad JSON, an unknown cmd, a failing handler or a reply
-- over 65,535 bytes get {"ok":false,"error":...}.
local skynet = require "skynet"
local driver = require "skynet.socketdriver"
local cjson = require "cjson"

local client_fd, watchdog
local name
local REQUEST = {}

local PACKET_MAX = 65535   -- a packet is a 2-byte length plus the body

local function send_packet(tbl)
	local ok, text = pcall(cjson.encode, tbl)
	if not ok then
		text = cjson.encode { ok = false, id = tbl.id, error = "reply could not be encoded" }
	elseif #text > PACKET_MAX then
		-- too big for one packet: say so rather than leave the client waiting
		text = cjson.encode { ok = false, id = tbl.id,
			error = string.format("reply too large (%d bytes, at most %d)", #text, PACKET_MAX) }
	end
	driver.send(client_fd, string.pack(">s2", text))
end

function REQUEST.login(req)
	if type(req.name) ~= "string" or req.name == "" or #req.name > 64 then
		return { ok = false, error = "login needs a name (1 to 64 bytes)" }
	end
	name = req.name
	skynet.error(string.format("client %d logged in as %s", client_fd, name))
	return { ok = true, msg = "welcome " .. name }
end

function REQUEST.echo(req)
	return { ok = true, echo = req.text }
end

function REQUEST.time()
	return { ok = true, time = math.floor(skynet.time()) }
end

function REQUEST.logout()
	local who = name
	name = nil
	-- close once the reply is out (the gate flushes before closing)
	skynet.fork(function()
		skynet.call(watchdog, "lua", "close", client_fd)
	end)
	return { ok = true, msg = "bye " .. tostring(who) }
end

local function handle(text)
	local ok, req = pcall(cjson.decode, text)
	if not ok or type(req) ~= "table" then
		return { ok = false, error = "bad request: JSON object expected" }
	end
	local f = REQUEST[req.cmd]
	local reply
	if not f then
		reply = { ok = false, error = "unknown cmd " .. tostring(req.cmd) }
	elseif req.cmd ~= "login" and not name then
		reply = { ok = false, error = "login first" }
	else
		reply = f(req)
	end
	reply.id = req.id
	return reply
end

skynet.register_protocol {
	name = "client",
	id = skynet.PTYPE_CLIENT,
	unpack = skynet.tostring,
	dispatch = function(fd, _, text)
		-- session is the client fd, not a request to answer
		skynet.ignoreret()
		if fd ~= client_fd then
			return
		end
		-- a failing handler answers with an error; the client is never left waiting
		local ok, reply = pcall(handle, text)
		if not ok then
			skynet.error(string.format("client %d: request failed: %s", client_fd, tostring(reply)))
			reply = { ok = false, error = "internal error" }
		end
		send_packet(reply)
	end,
}

local CMD = {}

function CMD.start(conf)
	client_fd = conf.client
	watchdog = conf.watchdog
	skynet.call(conf.gate, "lua", "forward", client_fd)
	return true
end

function CMD.disconnect()
	skynet.exit()
end

skynet.start(function()
	skynet.dispatch("lua", function(session, _, cmd, ...)
		local f = assert(CMD[cmd], "agent: unknown command " .. tostring(cmd))
		local r = f(...)
		if session ~= 0 then
			skynet.ret(skynet.pack(r))
		end
	end)
end)
