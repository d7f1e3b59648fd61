-- http.url: request targets and query strings (skynet's module).
--   url.parse("/a%20b?x=1") -> "/a b", "x=1"   (path decoded, query raw)
--   url.parse_query("x=1&y=a+b") -> { x = "1", y = "a b" }
-- %XX escapes and '+' (a space) are decoded; a malformed escape stays as is.
local url = {}

local function decode(s)
	s = s:gsub("+", " ")
	return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end
url.decode = decode

function url.parse(u)
	local path, query = u:match("^([^?]*)%??(.*)$")
	return decode(path), query
end

function url.parse_query(q)
	local r = {}
	for pair in q:gmatch("[^&]+") do
		local k, v = pair:match("^([^=]*)=(.*)$")
		if k then
			r[decode(k)] = decode(v)
		end
	end
	return r
end

return url
