-- compat10/netpack: the pre-1.0 module name old skynet code requires; the module is skynet.netpack.
return require "skynet.netpack"
