-- compat10/socketdriver: the pre-1.0 module name old skynet code requires; the module is skynet.socketdriver.
return require "skynet.socketdriver"
