-- skynet.harborauth: the secret proof of the harbor master link (beyond
-- skynet; used by cslave and cmaster). With `harbor_secret` set, each side
-- sends a fresh nonce and proves it knows the secret by an HMAC-SHA1 over
-- both nonces; the secret itself never goes on the wire. The harbor links
-- between slaves do the same in C (service-src/harbor_frame.c).
local skynet = require "skynet"
local crypt = require "skynet.crypt"

local auth = { NONCE = 16 }

function auth.secret()
	local s = skynet.getenv "harbor_secret"
	if s == nil or s == "" then
		return nil
	end
	return s
end

function auth.nonce()
	return crypt.randomkey() .. crypt.randomkey()
end

-- role: "m" (the master proves) or "s" (the slave proves); challenge is the
-- other side's nonce.
function auth.proof(secret, role, challenge, response)
	return crypt.hmac_sha1(secret, "skynet-harbor-master" .. role .. challenge .. response)
end

-- Compares without stopping at the first difference.
function auth.equal(a, b)
	if type(a) ~= "string" or type(b) ~= "string" or #a ~= #b then
		return false
	end
	local d = 0
	for i = 1, #a do
		d = d | (a:byte(i) ~ b:byte(i))
	end
	return d == 0
end

return auth
