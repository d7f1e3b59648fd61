-- compat10/socket: the pre-1.0 module name old skynet code requires; the module is skynet.socket.
return require "skynet.socket"
