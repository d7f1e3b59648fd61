-- compat10/stm: the pre-1.0 module name old skynet code requires; the module is skynet.stm.
return require "skynet.stm"
