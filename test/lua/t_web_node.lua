-- t_web_node: the start service of test/net/console_dashboard.sh: a few
-- peers, a steady trickle of calls (a message rate to plot) and a victim for
-- the dashboard's kill button, whose address it logs ("victim :0100000a").
local skynet = require "skynet"

skynet.start(function()
	local peers = {}
	for i = 1, 3 do
		peers[i] = skynet.newservice("t_peer")
	end
	local victim = skynet.newservice("t_peer")
	skynet.error("victim " .. skynet.address(victim))
	skynet.fork(function()
		local i = 0
		while true do
			i = i + 1
			skynet.call(peers[i % #peers + 1], "lua", "echo", i)
			skynet.sleep(2)
		end
	end)
end)
