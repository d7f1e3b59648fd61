-- test_mqueue: skynet.mqueue handles queue messages strictly in order, one at
-- a time even when the handler suspends; calls get results or raise.
-- expect_error: send a message to .* (throw an error|return something)
local skynet = require "skynet"
local mqueue = require "skynet.mqueue"
local T = require "testlib"

local svc

T.case("messages are handled in order, one at a time", function()
	svc = skynet.newservice("t_mqueue")
	mqueue.send(svc, "slow", "a")
	mqueue.send(svc, "fast", "b")
	mqueue.send(svc, "slow", "c")
	T.eq(mqueue.call(svc, "log"), "a,b,c")
end)

T.case("a call returns the handler's results or raises its error", function()
	T.eq(mqueue.call(svc, "answer", 42), 42)
	T.raises("failed on purpose", mqueue.call, svc, "fail")
	T.eq(mqueue.call(svc, "answer", "still serving"), "still serving")
end)

T.case("a send whose handler fails or returns is logged, the queue goes on", function()
	mqueue.send(svc, "fail")
	mqueue.send(svc, "answer", 1)
	T.eq(mqueue.call(svc, "answer", 2), 2)
end)

T.run()
