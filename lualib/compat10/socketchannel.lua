-- compat10/socketchannel: the pre-1.0 module name old skynet code requires; the module is skynet.socketchannel.
return require "skynet.socketchannel"
