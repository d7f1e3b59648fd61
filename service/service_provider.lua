-- service_provider: the unique service behind skynet.service. It remembers,
-- per name, the service_cell running that name's code: `test` (address, or
-- nil + true while booting, or nil), `launch` (start it once; callers that
-- come during the boot wait for it) and `query` (wait until it is up). A
-- failed launch is remembered and raised to every later caller.
local skynet = require "skynet"

local provider = {}

local svr = setmetatable({}, {
	__index = function(t, name)
		local s = { queue = {} }
		t[name] = s
		return s
	end,
})

function provider.query(name)
	local s = svr[name]
	if s.queue then
		s.queue[#s.queue + 1] = skynet.response()
	elseif s.address then
		skynet.retpack(s.address)
	else
		error(s.error)
	end
end

local function provider_boot(addr, name, code, ...)
	local s = svr[name]
	skynet.call(addr, "lua", "init", code, ...)
	local n = select("#", ...)
	if n > 0 then
		local args = table.pack(...)
		for i = 1, n do
			args[i] = tostring(args[i])
		end
		s.init = table.concat(args, ",", 1, n)
	end
	s.time = skynet.time()
end

local function provider_finish(s, ok, addr)
	local waiting = s.queue
	s.queue = nil
	for _, resp in ipairs(waiting) do
		if ok then
			resp(true, addr)
		else
			resp(false)
		end
	end
end

function provider.launch(name, code, ...)
	local s = svr[name]
	if s.address then
		return skynet.retpack(s.address)
	end
	if s.booting then
		s.queue[#s.queue + 1] = skynet.response()
		return
	end
	if s.error then
		error(s.error)
	end
	s.booting = true
	local ok, addr = pcall(skynet.newservice, "service_cell", name)
	local err
	if ok then
		ok, err = xpcall(provider_boot, debug.traceback, addr, name, code, ...)
	else
		err, addr = addr, nil
	end
	s.booting = nil
	if ok then
		s.address = addr
		provider_finish(s, true, addr)
		return skynet.retpack(addr)
	end
	if addr then
		skynet.send(addr, "debug", "EXIT")
	end
	s.error = err
	provider_finish(s, false)
	error(err)
end

function provider.test(name)
	local s = svr[name]
	if s.booting then
		skynet.retpack(nil, true)
	elseif s.address then
		skynet.retpack(s.address)
	elseif s.error then
		error(s.error)
	else
		skynet.ret()
	end
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		local f = provider[cmd]
		if f == nil then
			error("service_provider: unknown command " .. tostring(cmd))
		end
		f(...)
	end)
	skynet.info_func(function()
		local info = {}
		for name, s in pairs(svr) do
			local status
			if s.booting then
				status = "booting"
			elseif s.queue then
				status = "waiting(" .. #s.queue .. ")"
			end
			info[s.address and skynet.address(s.address) or name] = {
				init = s.init,
				name = name,
				time = s.time and os.date("%Y %b %d %T %z", math.floor(s.time)),
				status = status,
			}
		end
		return info
	end)
end)
