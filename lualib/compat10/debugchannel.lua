-- compat10/debugchannel: the pre-1.0 module name old skynet code requires; the module is skynet.debugchannel.
return require "skynet.debugchannel"
