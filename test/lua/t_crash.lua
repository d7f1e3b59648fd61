-- t_crash: start service of the crash-report boot tests (test/boot/crash.sh).
-- Launches the test C service crashme and sends it the text message named by
-- config key crash_mode (segv, abrt, fpe, stack): it logs a burst of lines and
-- crashes the node.
local skynet = require "skynet"
require "skynet.manager"

skynet.register_protocol {
	name = "text",
	id = skynet.PTYPE_TEXT,
	pack = function(text) return text end,
	unpack = skynet.tostring,
}

skynet.start(function()
	local h = skynet.launch("crashme")
	skynet.error(string.format("CRASH target %s from %s", skynet.address(h), skynet.address(skynet.self())))
	skynet.sleep(10)
	skynet.send(h, "text", skynet.getenv "crash_mode")
end)
