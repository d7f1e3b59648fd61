-- abort: launching it stops the node (skynet.abort), as skynet's service of
-- that name: `skynet.newservice "abort"`, or `start abort` in the console.
local skynet = require "skynet"
require "skynet.manager"

skynet.abort()
