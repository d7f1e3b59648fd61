-- sprotoloader: a schema parsed once per process and shared by index.
-- register(filename, index) / save(bin, index) put a schema in one of
-- sproto.core's 16 process-wide slots; load(index) gives any service a
-- sproto object over that same C schema (no copy, no parse). The slot owns
-- the schema; the objects load returns never free it.
local parser = require "sprotoparser"
local core = require "sproto.core"
local sproto = require "sproto"

local loader = {}

function loader.register(filename, index)
	local f = assert(io.open(filename), "Can't open sproto file")
	local data = f:read "a"
	f:close()
	local sp = assert(core.newproto(parser.parse(data, filename)))
	core.saveproto(sp, index)
end

function loader.save(bin, index)
	local sp = assert(core.newproto(bin))
	core.saveproto(sp, index)
end

function loader.load(index)
	return sproto.sharenew(core.loadproto(index))
end

return loader
