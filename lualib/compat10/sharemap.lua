-- compat10/sharemap: the pre-1.0 module name old skynet code requires; the module is skynet.sharemap.
return require "skynet.sharemap"
