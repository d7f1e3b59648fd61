-- skynet/console_web.lua: the debug console's web side (ours, beyond skynet),
-- loaded by service/debug_console.lua on the first request for one of its
-- paths. Unlike the console's GET /cmd answers (plain text with no status
-- line, as skynet's), these are proper HTTP/1.1 responses:
--   GET  /            the dashboard (skynet/console_page.html, found on lua_path)
--   GET  /metrics     Prometheus text format 0.0.4 (?top=N per-service series,
--                     default 20)
--   GET  /api/stat    the snapshot of skynet/console_metrics.lua as JSON
--   POST /api/cmd     body: one console command line; answer: its output
--                     (status 200 with <CMD OK>, 400 with <CMD Error>). Needs
--                     the header X-Skynet-Console: a page of another origin
--                     can't send it without a CORS preflight, which we never
--                     grant, so a foreign web page can't kill services.
local socket = require "skynet.socket"

local web = {}

local STAT_TIMEOUT = 50 -- centiseconds a Lua service may take to tell its heap
local TOP_DEFAULT, TOP_MAX = 20, 10000

local REASON = { [200] = "OK", [400] = "Bad Request", [403] = "Forbidden", [404] = "Not Found",
	[405] = "Method Not Allowed", [500] = "Internal Server Error" }

local function respond(fd, code, ctype, body)
	socket.write(fd, string.format(
		"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
		code, REASON[code] or "", ctype, #body) .. body)
end

local page_cache
local function page()
	if page_cache then
		return page_cache
	end
	local path = package.searchpath("skynet.console_page", (package.path:gsub("%.lua", ".html")))
	if path == nil then
		return nil, "skynet/console_page.html not found on lua_path"
	end
	local f = assert(io.open(path, "rb"))
	page_cache = f:read "a"
	f:close()
	return page_cache
end

local function query_arg(query, name)
	for k, v in string.gmatch(query or "", "([^&=]+)=([^&]*)") do
		if k == name then
			return v
		end
	end
end

local function top_arg(query)
	local top = math.tointeger(tonumber(query_arg(query, "top") or ""))
	if top == nil or top < 0 then
		return TOP_DEFAULT
	end
	return math.min(top, TOP_MAX)
end

local function json_stat()
	local cjson = require "cjson"
	local snap = require("skynet.console_metrics").snapshot(STAT_TIMEOUT)
	return cjson.encode(snap)
end

local handlers = {}

handlers["/"] = function(fd, method)
	if method ~= "GET" then
		return respond(fd, 405, "text/plain; charset=utf-8", "GET only\n")
	end
	local html, err = page()
	if html == nil then
		return respond(fd, 500, "text/plain; charset=utf-8", err .. "\n")
	end
	respond(fd, 200, "text/html; charset=utf-8", html)
end
handlers["/index.html"] = handlers["/"]

handlers["/metrics"] = function(fd, method, query)
	if method ~= "GET" then
		return respond(fd, 405, "text/plain; charset=utf-8", "GET only\n")
	end
	local cm = require "skynet.console_metrics"
	local text = cm.prometheus(cm.snapshot(STAT_TIMEOUT), top_arg(query))
	respond(fd, 200, "text/plain; version=0.0.4; charset=utf-8", text)
end

handlers["/api/stat"] = function(fd, method)
	if method ~= "GET" then
		return respond(fd, 405, "text/plain; charset=utf-8", "GET only\n")
	end
	respond(fd, 200, "application/json", json_stat())
end

handlers["/api/cmd"] = function(fd, method, _, head, body, run)
	if method ~= "POST" then
		return respond(fd, 405, "text/plain; charset=utf-8", "POST only\n")
	end
	if head["x-skynet-console"] == nil then
		return respond(fd, 403, "text/plain; charset=utf-8", "X-Skynet-Console header required\n")
	end
	local lines = {}
	run(body or "", function(...)
		local parts = table.pack(...)
		for i = 1, parts.n do
			parts[i] = tostring(parts[i])
		end
		lines[#lines + 1] = table.concat(parts, "\t", 1, parts.n)
	end)
	local text = table.concat(lines, "\n") .. "\n"
	respond(fd, lines[#lines] == "<CMD OK>" and 200 or 400, "text/plain; charset=utf-8", text)
end

-- run(line, print): the console's command runner
function web.serve(fd, method, path, query, head, body, run)
	local handler = handlers[path]
	if handler == nil then
		return respond(fd, 404, "text/plain; charset=utf-8", "no such page: " .. path .. "\n")
	end
	local ok, err = pcall(handler, fd, method, query, head, body, run)
	if not ok then
		respond(fd, 500, "text/plain; charset=utf-8", tostring(err) .. "\n")
		error(err)
	end
end

return web
