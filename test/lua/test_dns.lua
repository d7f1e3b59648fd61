-- skynet.dns against a local test resolver (test/net/dns_peer.py: UDP and
-- TCP on a free port): A, AAAA, CNAME chains, TTL cache, truncation and the
-- TCP retry, retries after a lost datagram, timeouts with a clear error,
-- forged answers ignored, /etc/hosts and IP literals.
-- timeout: 60
local skynet = require "skynet"
local T = require "testlib"
local peers = require "t_netpeer"
local dns = require "skynet.dns"

local peer, port

local function count(name)
	local ip = dns.resolve("count." .. name)
	dns.flush()
	return tonumber(ip:match("(%d+)$"))
end

T.case("server and IP literals", function()
	T.eq(dns.resolve("127.0.0.1"), "127.0.0.1", "ipv4 literal")
	T.eq(dns.resolve("::1", true), "::1", "ipv6 literal")
	local ip, err = dns.resolve("127.0.0.1", true)
	T.eq(ip, nil, "ipv4 literal for ipv6")
	T.eq(err, "illegal ip address", "reason")
	T.eq(select(2, dns.resolve("bad name!")), "illegal name", "illegal name")
	T.eq(select(2, dns.resolve(string.rep("x", 64) .. ".test")), "illegal name", "label over 63")
end)

T.case("dns.server() reads resolv.conf", function()
	local tmp = skynet.getenv "test_tmp"
	local f = assert(io.open(tmp .. "/resolv.test", "w"))
	f:write("# generated\nsearch example\nnameserver 127.0.0.9 # first\nnameserver 127.0.0.8\n")
	f:close()
	local saved = dns.DEFAULT_RESOLV_CONF
	dns.DEFAULT_RESOLV_CONF = tmp .. "/resolv.test"
	T.eq(dns.server(), "127.0.0.9", "first nameserver")
	dns.DEFAULT_RESOLV_CONF = tmp .. "/missing"
	T.raises("no nameserver", dns.server)
	dns.DEFAULT_RESOLV_CONF = saved
	T.eq(dns.server("127.0.0.1", port), "127.0.0.1", "explicit server returned")
end)

T.case("hosts file", function()
	local tmp = skynet.getenv "test_tmp"
	local path = tmp .. "/hosts.test"
	local f = assert(io.open(path, "w"))
	f:write("# comment\n10.5.5.5  Mine.Test other.test # trailing\n::5 mine.test\n")
	f:close()
	local saved = dns.DEFAULT_HOSTS
	dns.DEFAULT_HOSTS = path
	dns.flush()
	T.eq(dns.resolve("mine.test"), "10.5.5.5", "A from hosts, case folded")
	T.eq(dns.resolve("other.test"), "10.5.5.5", "second name")
	T.eq(dns.resolve("MINE.test", true), "::5", "AAAA from hosts")
	dns.DEFAULT_HOSTS = saved
	dns.flush()
end)

T.case("A records and the TTL cache", function()
	local ip, all = dns.resolve("a.test")
	T.eq(ip, "10.0.0.1", "first")
	T.eq(#all, 2, "both records")
	T.eq(all[2], "10.0.0.2", "second")
	-- cached: no second query while the TTL (1 s) runs
	dns.resolve("a.test")
	local before = tonumber(dns.resolve("count.a.test"):match("(%d+)$"))
	T.eq(before, 1, "one query for two resolves")
	skynet.sleep(120)
	dns.resolve("a.test")
	T.eq(count("a.test"), 2, "asked again after the TTL")
end)

T.case("AAAA and CNAME", function()
	T.eq(dns.resolve("v6.test", true), "2001:db8:0:0:0:0:0:1", "AAAA")
	T.eq(dns.resolve("alias.test"), "10.0.0.1", "A behind a CNAME")
end)

T.case("truncated answer retried over TCP", function()
	local ip, all = dns.resolve("big.test")
	T.eq(ip, "10.1.0.1", "first of the TCP answer")
	T.eq(#all, 40, "all 40 records")
end)

T.case("lost datagram retried", function()
	dns.timeout(30, 3)
	T.eq(dns.resolve("flaky.test"), "10.9.9.9", "answer on the second try")
	T.eq(count("flaky.test"), 2, "two queries")
end)

T.case("forged and broken answers ignored", function()
	T.expect_error("dns: dropping a malformed answer")
	T.eq(dns.resolve("spoof.test"), "10.2.2.2", "the answer with our id")
end)

T.case("timeout and NXDOMAIN are errors", function()
	dns.timeout(20, 2)
	local t0 = skynet.now()
	local err = T.raises("timeout or no answer: slow.test", dns.resolve, "slow.test")
	T.ok(err:find("2 tries", 1, true), "tries named: " .. err)
	T.ok(skynet.now() - t0 >= 35, "waited for both tries")
	T.raises("no such name", dns.resolve, "nx.test")
	T.raises("no AAAA record", dns.resolve, "a.test", true)
end)

T.case("concurrent queries", function()
	dns.flush()
	local n, got = 20, 0
	for _ = 1, n do
		skynet.fork(function()
			if dns.resolve("alias.test") == "10.0.0.1" then
				got = got + 1
			end
		end)
	end
	T.wait_until(function() return got == n end, 500, "20 answers")
end)

T.case("stop the resolver", function()
	peers.kill(peer)
end)

T.run(function()
	port = T.free_port()
	peer = peers.spawn("dns_peer.py", port, 50)
	peers.wait(peer, "ready")
	dns.server("127.0.0.1", port)
	dns.timeout(100, 2)
end)
