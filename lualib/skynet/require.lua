-- skynet.require: `require` that records which module is loading, so that
-- skynet.init functions registered by a module run in require order (a module's
-- dependencies first) when the service starts.
local M = {}

local loading = {}
local plain_require = require

function M.require(name)
	local m = package.loaded[name]
	if m ~= nil then
		return m
	end
	if loading[name] then
		error("circular require of module '" .. name .. "'")
	end
	loading[name] = true
	local ok, result = pcall(plain_require, name)
	loading[name] = nil
	if not ok then
		error(result, 2)
	end
	return result
end

return M
