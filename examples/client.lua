-- client.lua: a command-line client for the example game server, run with
-- Debian's plain lua5.4:
--   lua5.4 examples/client.lua [host [port [name]]]
-- It logs in, sends a few echo requests and a time request, logs out, prints
-- every reply, and exits with status 1 at the first failed or unexpected reply.
-- Needs luaclib/client.so (built by `make`); CLIENT_SO_DIR overrides where.
local dir = (arg[0]:match("^(.*)/[^/]*$") or ".")
package.cpath = (os.getenv("CLIENT_SO_DIR") or (dir .. "/../luaclib")) .. "/?.so;" .. package.cpath
local client = require "client"
local cjson = require "cjson"

local host = arg[1] or "127.0.0.1"
local port = tonumber(arg[2] or "8888")
local name = arg[3] or "player1"

local function fail(fmt, ...)
	io.stderr:write("client: ", string.format(fmt, ...), "\n")
	os.exit(1)
end

local conn, err = client.connect(host, port)
if not conn then
	fail("cannot connect to %s:%d: %s", host, port, err)
end
print(string.format("connected to %s:%d", host, port))

local next_id = 0
local function request(req)
	next_id = next_id + 1
	req.id = next_id
	local ok, why = conn:send(cjson.encode(req))
	if not ok then
		fail("send failed: %s", why)
	end
	local text, rerr = conn:recv(5000)
	if not text then
		fail("no reply to %s: %s", req.cmd, rerr)
	end
	local reply = cjson.decode(text)
	print(string.format("%-7s -> %s", req.cmd, text))
	if reply.id ~= req.id then
		fail("reply id %s for request %d", tostring(reply.id), req.id)
	end
	if not reply.ok then
		fail("%s failed: %s", req.cmd, tostring(reply.error))
	end
	return reply
end

local r = request { cmd = "login", name = name }
if r.msg ~= "welcome " .. name then
	fail("unexpected welcome %q", tostring(r.msg))
end
for i = 1, 3 do
	local text = string.format("hello %d from %s", i, name)
	r = request { cmd = "echo", text = text }
	if r.echo ~= text then
		fail("echo mismatch: %q", tostring(r.echo))
	end
end
r = request { cmd = "time" }
if math.abs(r.time - os.time()) > 60 then
	fail("server time %s is far from ours", tostring(r.time))
end
r = request { cmd = "logout" }
if r.msg ~= "bye " .. name then
	fail("unexpected goodbye %q", tostring(r.msg))
end
local rest, why = conn:recv(2000)
if rest ~= nil or why ~= "closed" then
	fail("expected the server to close the link, got %s", tostring(rest or why))
end
print("logged out, connection closed by the server")
conn:close()
