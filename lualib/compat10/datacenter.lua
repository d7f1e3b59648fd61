-- compat10/datacenter: the pre-1.0 module name old skynet code requires; the module is skynet.datacenter.
return require "skynet.datacenter"
