-- compat10/cluster: the pre-1.0 module name old skynet code requires; the module is skynet.cluster.
return require "skynet.cluster"
