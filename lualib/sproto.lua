-- sproto: the Lua face of sproto.core, as skynet's sproto.lua.
--   sproto.new(bin) / sproto.parse(text) / sproto.sharenew(cobj)
--   sp:encode/decode/pencode/pdecode(typename, ...), sp:default(name [, "REQUEST"|"RESPONSE"])
--   sp:exist_type(name), sp:exist_proto(name), sp:request_encode/decode, sp:response_encode/decode
--   sp:host([packagename]) -> host; host:dispatch(msg [, sz]); host:attach(sp) -> request packer
--   sproto.pack / sproto.unpack (0-packing)
-- An RPC message is pack(header .. body): the header is the `package` type
-- (type = protocol tag for a request, session, ud), the body the request or
-- response type of the protocol.
local core = require "sproto.core"

local sproto = {}
local host = {}

local weak_mt = { __mode = "kv" }
local sproto_mt = { __index = sproto }
local sproto_nogc = { __index = sproto }
local host_mt = { __index = host }

function sproto_mt:__gc()
	core.deleteproto(self.__cobj)
end

local function wrap(cobj, mt)
	local self = {
		__cobj = cobj,
		__tcache = setmetatable({}, weak_mt),
		__pcache = setmetatable({}, weak_mt),
	}
	return setmetatable(self, mt)
end

function sproto.new(bin, sz)
	local cobj = assert(core.newproto(bin, sz))
	return wrap(cobj, sproto_mt)
end

-- A schema owned elsewhere (a sprotoloader slot): never freed from here.
function sproto.sharenew(cobj)
	return wrap(cobj, sproto_nogc)
end

function sproto.parse(text, name)
	local parser = require "sprotoparser"
	return sproto.new(parser.parse(text, name))
end

local function querytype(self, typename)
	local v = self.__tcache[typename]
	if not v then
		v = core.querytype(self.__cobj, typename)
		if not v then
			error("type " .. tostring(typename) .. " not found", 3)
		end
		self.__tcache[typename] = v
	end
	return v
end

function sproto:exist_type(typename)
	return self.__tcache[typename] ~= nil or core.querytype(self.__cobj, typename) ~= nil
end

function sproto:encode(typename, tbl)
	return core.encode(querytype(self, typename), tbl)
end

function sproto:decode(typename, ...)
	return core.decode(querytype(self, typename), ...)
end

function sproto:pencode(typename, tbl)
	return core.pack(core.encode(querytype(self, typename), tbl))
end

function sproto:pdecode(typename, ...)
	return core.decode(querytype(self, typename), core.unpack(...))
end

-- Protocols are looked up by name or by tag; both keys share one record.
local function queryproto(self, pname)
	local v = self.__pcache[pname]
	if not v then
		local tag, req, resp = core.protocol(self.__cobj, pname)
		if not tag then
			error(tostring(pname) .. " not found", 3)
		end
		local name = pname
		if type(pname) == "number" then
			name, tag = tag, pname
		end
		v = { request = req, response = resp, name = name, tag = tag }
		self.__pcache[name] = v
		self.__pcache[tag] = v
	end
	return v
end

function sproto:exist_proto(pname)
	return self.__pcache[pname] ~= nil or core.protocol(self.__cobj, pname) ~= nil
end

function sproto:request_encode(protoname, tbl)
	local p = queryproto(self, protoname)
	if p.request then
		return core.encode(p.request, tbl or {}), p.tag
	end
	return "", p.tag
end

function sproto:response_encode(protoname, tbl)
	local p = queryproto(self, protoname)
	if p.response then
		return core.encode(p.response, tbl or {})
	end
	return ""
end

function sproto:request_decode(protoname, ...)
	local p = queryproto(self, protoname)
	if p.request then
		return core.decode(p.request, ...), p.name
	end
	return nil, p.name
end

function sproto:response_decode(protoname, ...)
	local p = queryproto(self, protoname)
	if p.response then
		return core.decode(p.response, ...)
	end
end

sproto.pack = core.pack
sproto.unpack = core.unpack

function sproto:default(typename, what)
	if what == nil then
		return core.default(querytype(self, typename))
	end
	local p = queryproto(self, typename)
	if what == "REQUEST" then
		if p.request then
			return core.default(p.request)
		end
	elseif what == "RESPONSE" then
		if p.response then
			return core.default(p.response)
		end
	else
		error "Invalid type"
	end
end

---------------------------------------------------------------- RPC host

function sproto:host(packagename)
	packagename = packagename or "package"
	local package = core.querytype(self.__cobj, packagename)
	if not package then
		error("type " .. packagename .. " not found", 2)
	end
	local obj = {
		__proto = self,
		__package = package,
		__session = {},
	}
	return setmetatable(obj, host_mt)
end

local header_tmp = {}

local function encode_header(self, tag, session, ud)
	header_tmp.type = tag
	header_tmp.session = session
	header_tmp.ud = ud
	return core.encode(self.__package, header_tmp)
end

local function gen_response(self, response, session)
	return function(args, ud)
		local header = encode_header(self, nil, session, ud)
		if response then
			return core.pack(header .. core.encode(response, args or {}))
		end
		return core.pack(header)
	end
end

-- Returns "REQUEST", name, args, responder (nil without a session), ud
-- or "RESPONSE", session, args, ud.
function host:dispatch(...)
	local bin = core.unpack(...)
	header_tmp.type = nil
	header_tmp.session = nil
	header_tmp.ud = nil
	local header, size = core.decode(self.__package, bin, header_tmp)
	local content = bin:sub(size + 1)
	if header.type then
		local proto = queryproto(self.__proto, header.type)
		local result
		if proto.request then
			result = core.decode(proto.request, content)
		end
		if header_tmp.session then
			return "REQUEST", proto.name, result, gen_response(self, proto.response, header_tmp.session), header.ud
		end
		return "REQUEST", proto.name, result, nil, header.ud
	end
	local session = assert(header_tmp.session, "session not found")
	local response = assert(self.__session[session], "Unknown session")
	self.__session[session] = nil
	if response == true then
		return "RESPONSE", session, nil, header.ud
	end
	return "RESPONSE", session, core.decode(response, content), header.ud
end

-- attach(sp) -> function(name, args, session, ud): a packed request of sp's
-- protocol `name`; with a session, the reply is expected by dispatch.
function host:attach(sp)
	return function(name, args, session, ud)
		local proto = queryproto(sp, name)
		local header = encode_header(self, proto.tag, session, ud)
		if session then
			self.__session[session] = proto.response or true
		end
		if proto.request then
			return core.pack(header .. core.encode(proto.request, args or {}))
		end
		return core.pack(header)
	end
end

return sproto
