-- compat10/dns: the pre-1.0 module name old skynet code requires; the module is skynet.dns.
return require "skynet.dns"
