-- compat10/profile: the pre-1.0 module name old skynet code requires; the module is skynet.profile.
return require "skynet.profile"
