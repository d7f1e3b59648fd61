-- compat10/snax: the pre-1.0 module name old skynet code requires; the module is skynet.snax.
return require "skynet.snax"
