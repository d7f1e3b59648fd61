-- compat10/multicast: the pre-1.0 module name old skynet code requires; the module is skynet.multicast.
return require "skynet.multicast"
