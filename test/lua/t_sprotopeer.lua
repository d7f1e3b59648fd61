-- t_sprotopeer: the other side of test_sproto's sprotoloader and RPC cases.
-- It only ever sees schemas through sprotoloader.load (the slots the test
-- service filled), and answers sproto RPC messages handed over by skynet.call.
local skynet = require "skynet"
local loader = require "sprotoloader"

local CMD = {}
local host, push_request
local store = {}

function CMD.encode(slot, typename, tbl)
	return loader.load(slot):encode(typename, tbl)
end

function CMD.exist(slot, typename)
	return loader.load(slot):exist_type(typename)
end

function CMD.serve(slot)
	local sp = loader.load(slot)
	host = sp:host "package"
	push_request = host:attach(sp)
	return true
end

local handler = {}

function handler.get(args)
	return { value = store[args.key] or ("value of " .. args.key), pos = { x = #args.key * 2, y = 0 } }
end

function handler.set(args)
	store[args.key] = args.value
end

function handler.ping()
	return {}
end

-- A packed request in, the packed response out ("" when none is due).
function CMD.rpc(msg)
	local kind, name, args, respond, ud = host:dispatch(msg)
	assert(kind == "REQUEST", kind)
	local result = handler[name](args)
	if respond then
		return respond(result, ud and ("echo " .. ud))
	end
	return ""
end

function CMD.push(text)
	return push_request("push", { text = text })
end

function CMD.exit()
	skynet.ret(skynet.pack(true))
	skynet.exit()
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		local f = assert(CMD[cmd], cmd)
		if cmd == "exit" then
			return f(...)
		end
		skynet.ret(skynet.pack(f(...)))
	end)
end)
