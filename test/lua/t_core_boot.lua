-- t_core_boot: start service of the core boot tests (test/boot/core.sh); config
-- key core_mode picks the scenario, "CORE ready" in the log says it is set up.
--   oom    a service allocates until memory runs out (run under ulimit -v) and
--          holds it 6 s (the monitor logs meanwhile)
--   pcall  a service loops in `while true do pcall(f) end`
--   cloop  a service loops inside one C call (no hook can break it)
--   flood  the same line logged 20,000 times in a burst
local skynet = require "skynet"

local mode = skynet.getenv "core_mode"

skynet.start(function()
	local p = skynet.newservice("t_core")
	if mode == "oom" then
		local ok, err = pcall(skynet.call, p, "lua", "hog", 6)
		skynet.error("CORE hog answered", ok, err)
		skynet.error("CORE after", skynet.call(p, "lua", "echo", "alive"))
	elseif mode == "pcall" then
		skynet.send(p, "lua", "pcall_loop")
	elseif mode == "cloop" then
		skynet.send(p, "lua", "c_loop")
	elseif mode == "flood" then
		for _ = 1, 20000 do
			skynet.error("CORE flood line")
		end
		skynet.error("CORE flood end")
	end
	skynet.sleep(20)
	skynet.error("CORE ready")
end)
