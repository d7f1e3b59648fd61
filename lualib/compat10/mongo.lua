-- compat10/mongo: the pre-1.0 module name old skynet code requires; the module is skynet.db.mongo.
return require "skynet.db.mongo"
