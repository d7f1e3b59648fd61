-- t_snax_gsvc: a snax service whose main chunk uses a required module, so
-- callers can only load its interface with a `snax_interface_g` that has
-- require (test_snax_config).
local util = require "t_snax_util"
local base = util.base

function response.get(n)
	return base + n, LOADED_BY
end
