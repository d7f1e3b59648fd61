-- t_stmreader: a skynet.stm reader for test_stm. "init" hands it a copy
-- pointer; "read" runs one read with skynet.unpack and returns its results;
-- "readraw" decodes with skynet.tostring.
local skynet = require "skynet"
local stm = require "skynet.stm"

local reader
local CMD = {}

function CMD.init(ptr)
	reader = stm.newcopy(ptr)
end

function CMD.read()
	return reader(skynet.unpack)
end

function CMD.readraw()
	return reader(function(msg, sz, ud)
		return ud .. skynet.tostring(msg, sz)
	end, "got:")
end

function CMD.drop()
	reader = nil
	collectgarbage()
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		skynet.retpack(CMD[cmd](...))
	end)
end)
