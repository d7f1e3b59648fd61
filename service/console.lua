-- console: the stdin console, as skynet's. Each line read from the node's
-- standard input launches a service: "name arg..." starts the Lua service
-- `name` with those arguments; "snax name arg..." starts a snax service.
-- A launch that fails is logged by the launcher and the failing service;
-- the console goes on reading. End of input ends the console service.
local skynet = require "skynet"
local socket = require "skynet.socket"

local function launch(line)
	local words = {}
	for w in line:gmatch("%S+") do
		words[#words + 1] = w
	end
	if words[1] == nil then
		return
	end
	if words[1] == "snax" then
		local found, snax = pcall(require, "skynet.snax")
		if not found then
			skynet.error("console: snax not available")
			return
		end
		pcall(snax.newservice, table.unpack(words, 2))
		return
	end
	pcall(skynet.newservice, table.unpack(words))
end

local function main_loop()
	local stdin = socket.stdin()
	while true do
		local line = socket.readline(stdin, "\n")
		if not line then
			break
		end
		launch(line)
	end
	skynet.exit()
end

skynet.start(function()
	skynet.fork(main_loop)
end)
