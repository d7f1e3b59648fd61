-- t_boot_logger: a Lua log service (`logservice = snlua`, `logger = t_boot_logger`):
-- writes every text message to the file named by config `boot_log_file`.
local skynet = require "skynet"
require "skynet.manager"

local file = assert(io.open(skynet.getenv "boot_log_file", "a"))
file:setvbuf "line"

skynet.register_protocol {
	name = "text",
	id = skynet.PTYPE_TEXT,
	unpack = skynet.tostring,
	dispatch = function(_, address, msg)
		file:write(string.format("lua-logger [:%08x] %s\n", address, msg))
	end,
}

skynet.start(function()
end)
