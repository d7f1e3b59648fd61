-- compat10/mqueue: the pre-1.0 module name old skynet code requires; the module is skynet.mqueue.
return require "skynet.mqueue"
