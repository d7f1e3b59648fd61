-- compat10/crypt: the pre-1.0 module name old skynet code requires; the module is skynet.crypt.
return require "skynet.crypt"
