-- compat10/mysql: the pre-1.0 module name old skynet code requires; the module is skynet.db.mysql.
return require "skynet.db.mysql"
