-- skynet.multicast: publish/subscribe channels served by multicastd.
-- A message is packed once (skynet.multicast.core) and every subscriber gets
-- the same refcounted package; the channel id's low byte is the harbor id of
-- the node that created it.
--   local mc = multicast.new { channel = id?, dispatch = function(channel, source, ...) end,
--                              pack = skynet.pack?, unpack = skynet.unpack? }
--   mc:publish(...)  mc:subscribe()  mc:unsubscribe()  mc:delete()   mc.channel
local skynet = require "skynet"
local mc = require "skynet.multicast.core"

local multicastd
local multicast = {}
local subscribed = setmetatable({}, { __mode = "kv" }) -- channel id -> channel object

local chan = {}
local chan_meta = {
	__index = chan,
	__gc = function(self)
		self:unsubscribe()
	end,
	__tostring = function(self)
		return string.format("[Multicast:%x]", self.channel)
	end,
}

function multicast.new(conf)
	assert(multicastd, "Init first")
	local self = {}
	conf = conf or self
	self.channel = conf.channel
	if self.channel == nil then
		self.channel = skynet.call(multicastd, "lua", "NEW")
	end
	self.__pack = conf.pack or skynet.pack
	self.__unpack = conf.unpack or skynet.unpack
	self.__dispatch = conf.dispatch
	return setmetatable(self, chan_meta)
end

function chan:delete()
	local c = assert(self.channel)
	skynet.send(multicastd, "lua", "DEL", c)
	self.channel = nil
	self.__subscribe = nil
end

function chan:publish(...)
	local c = assert(self.channel)
	skynet.call(multicastd, "lua", "PUB", c, mc.pack(self.__pack(...)))
end

function chan:subscribe()
	local c = assert(self.channel)
	if self.__subscribe then
		return
	end
	skynet.call(multicastd, "lua", "SUB", c)
	self.__subscribe = true
	subscribed[c] = self
end

function chan:unsubscribe()
	if not self.__subscribe then
		return
	end
	local c = assert(self.channel)
	skynet.send(multicastd, "lua", "USUB", c)
	self.__subscribe = nil
end

-- The session of a multicast message is its channel; nobody waits for a reply.
local function dispatch_subscribe(channel, source, pkg, msg, sz)
	skynet.ignoreret()
	local self = subscribed[channel]
	if not (self and self.__subscribe) then
		-- unsubscribed while the message was on its way
		mc.close(pkg)
		if not self then
			error("Unknown channel " .. channel)
		end
		return
	end
	local ok, err = pcall(self.__dispatch, self, source, self.__unpack(msg, sz))
	mc.close(pkg)
	if not ok then
		error(err, 0)
	end
end

skynet.init(function()
	multicastd = skynet.uniqueservice "multicastd"
	skynet.register_protocol {
		name = "multicast",
		id = skynet.PTYPE_MULTICAST,
		unpack = mc.unpack,
		dispatch = dispatch_subscribe,
	}
end, "multicast")

return multicast
