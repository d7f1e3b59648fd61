-- compat10/memory: the pre-1.0 module name old skynet code requires; the module is skynet.memory.
return require "skynet.memory"
