-- bootstrap: the first Lua service (config key `bootstrap`). Starts the
-- launcher, the harbor side (cdummy on a single node, which owns the global
-- names; cmaster on the `standalone` node and cslave on every node in harbor
-- mode), the datacenter (global name DATACENTER, on the standalone node) and
-- the unique-service manager, then the user's `start` service, and exits.
local skynet = require "skynet"
require "skynet.manager"

local function must(what, ok, result)
	if not ok then
		skynet.error("bootstrap: can't start " .. what .. ": " .. tostring(result))
		require("skynet.core").command("ABORT", "bootstrap failed")
		error(result)
	end
	return result
end

skynet.start(function()
	local launcher = assert(skynet.launch("snlua", "launcher"), "can't launch the launcher")
	skynet.name(".launcher", launcher)

	local master = skynet.getenv "master"
	local standalone = skynet.getenv "standalone"
	local harbor_id = tonumber(skynet.getenv "harbor" or 0)
	if harbor_id == 0 or master == nil then
		-- A single node: global names stay local, no harbor links. As in
		-- skynet, a node without a master is its own standalone node.
		if standalone == nil then
			standalone = "true"
			skynet.setenv("standalone", standalone)
		end
		local slave = must("cdummy", pcall(skynet.newservice, "cdummy"))
		skynet.name(".cslave", slave)
	else
		-- Harbor mode: the `standalone` node runs the master; every node a
		-- slave (which launches the harbor C service).
		if standalone then
			must("cmaster", pcall(skynet.newservice, "cmaster"))
		end
		local slave = must("cslave", pcall(skynet.newservice, "cslave"))
		skynet.name(".cslave", slave)
	end

	if standalone then
		local datacenter = must("datacenterd", pcall(skynet.newservice, "datacenterd"))
		skynet.name("DATACENTER", datacenter)
	end
	must("service_mgr", pcall(skynet.newservice, "service_mgr"))
	local console = skynet.getenv "debug_console" -- "[address:]port"
	if console then
		must("debug_console", pcall(skynet.newservice, "debug_console", console))
	end

	-- A node whose start service failed has no game in it: stop, with an
	-- error status, rather than run empty.
	local start = skynet.getenv "start" or "main"
	must("the start service '" .. start .. "'", pcall(skynet.newservice, start))
	skynet.exit()
end)
