-- examples/clustername.lua: the cluster table of the two-node example
-- (skynet's format: node name = "host:port"; __nowaiting: a call to a node
-- not listed fails at once instead of waiting for a reload to add it).
db = "127.0.0.1:2528"
game = "127.0.0.1:2529"
__nowaiting = true
