-- test_snax_config: the `snax_interface_g` key (the globals callers load snax
-- files with) and `snax_loader` (how snaxd finds a snax file).
-- timeout: 30
-- config: snax = ${ROOT}/test/lua/?.lua
-- config: snax_interface_g = t_snax_g
-- config: snax_loader = ${ROOT}/test/lua/t_snax_loader.lua
local snax = require "skynet.snax"
local T = require "testlib"

T.case("a snax file whose main chunk requires a module, through snax_interface_g", function()
	local obj = snax.newservice("t_snax_gsvc")
	local v, loaded_by = obj.req.get(2)
	T.eq(v, 42, "the module's value, in the service")
	T.eq(loaded_by, "t_snax_loader", "snaxd used snax_loader")
	T.eq(snax.interface("t_snax_gsvc").response.get, 5, "caller side interface")
	snax.kill(obj)
end)

T.run()
