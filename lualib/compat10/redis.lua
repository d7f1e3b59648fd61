-- compat10/redis: the pre-1.0 module name old skynet code requires; the module is skynet.db.redis.
return require "skynet.db.redis"
