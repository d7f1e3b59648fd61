-- compat10/sharedata: the pre-1.0 module name old skynet code requires; the module is skynet.sharedata.
return require "skynet.sharedata"
