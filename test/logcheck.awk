# test/logcheck.awk: turns the log of a Lua test node into one result per case.
#
# A log entry starts with "dd/mm/yy hh:mm:ss.cc [:handle] " (skynet's file
# format; "[:handle] " alone on stdout); lines that do not are the
# rest of the previous entry (a traceback). testlib writes:
#   TEST begin - NAME              a case starts (it owns what is logged next)
#   TEST ok - NAME | TEST not ok - NAME: WHY | TEST skip - NAME: WHY
#   TEST expect_error - PATTERN    errors matching PATTERN (ERE) are expected
#   TEST done                      the run finished
# An error entry (a Lua traceback, a failed lua call, a failed launch) that no
# expected pattern matches fails the case that owned the log at the time, even
# when the case itself reported ok: an assertion in a fork, a socket callback
# or another service of the node is a failure too. Errors logged before the
# first case belong to "setup".
#
# Variables: allowed (patterns from the file header, separated by "\001").
# Output, one line per case: "ok NAME", "notok NAME<TAB>WHY", "skip NAME<TAB>WHY",
# then "done 1" if the run finished, and "cases N".

function flush_entry(   text, msg, i, name, why) {
	if (entry == "")
		return
	text = entry
	entry = ""
	msg = entry_first_line
	sub(/^([0-9][0-9]\/[0-9][0-9]\/[0-9][0-9] [0-9:.]+ )?\[:[0-9a-f]+\] /, "", msg)
	if (msg ~ /^TEST /) {
		marker(msg)
		return
	}
	if (is_error(text) && !expected(text))
		add_error(current, msg)
}

# marker(MSG): a line of testlib's.
function marker(msg,   kind, name, why, i) {
	if (msg == "TEST done") {
		done = 1
		return
	}
	if (sub(/^TEST begin - /, "", msg)) {
		current = msg
		return
	}
	if (sub(/^TEST expect_error - /, "", msg)) {
		npat++
		pat[npat] = msg
		return
	}
	if (sub(/^TEST ok - /, "", msg))
		kind = "ok"
	else if (sub(/^TEST not ok - /, "", msg))
		kind = "notok"
	else if (sub(/^TEST skip - /, "", msg))
		kind = "skip"
	else
		return
	name = msg
	why = ""
	i = index(msg, ": ")
	if (kind != "ok" && i > 0) {
		name = substr(msg, 1, i - 1)
		why = substr(msg, i + 2)
	}
	result(name, kind, why)
}

function is_error(text) {
	return text ~ /stack traceback:/ || text ~ /\] lua call \[/ || text ~ /\] error: launch service/ \
		|| text ~ /\] init service failed/
}

function expected(text,   i) {
	for (i = 1; i <= npat; i++)
		if (text ~ pat[i])
			return 1
	return 0
}

function add_error(name, first) {
	order_add(name)
	if (length(first) > 300)
		first = substr(first, 1, 300) "..."
	nerr[name]++
	if (nerr[name] == 1)
		errs[name] = first
}

function order_add(name) {
	if (!(name in seen)) {
		seen[name] = 1
		norder++
		order[norder] = name
	}
}

function result(name, status, why) {
	order_add(name)
	state[name] = status
	reason[name] = why
	ncases++
}

BEGIN {
	current = "setup"
	n = split(allowed, hdr, "\001")
	for (i = 1; i <= n; i++)
		if (hdr[i] != "") {
			npat++
			pat[npat] = hdr[i]
		}
}

/^([0-9][0-9]\/[0-9][0-9]\/[0-9][0-9] [0-9:.]+ )?\[:[0-9a-f]+\] / {
	flush_entry()
	entry = $0
	entry_first_line = $0
	next
}

{
	entry = entry "\n" $0
}

END {
	flush_entry()
	for (i = 1; i <= norder; i++) {
		name = order[i]
		st = (name in state) ? state[name] : "notok"
		why = reason[name]
		if (nerr[name] > 0) {
			extra = "unexpected error logged" (nerr[name] > 1 ? " (" nerr[name] " in all)" : "") ": " errs[name]
			if (st == "notok" && why != "")
				why = why " | " extra
			else
				why = extra
			st = "notok"
		}
		if (st == "ok")
			print "ok " name
		else
			print st " " name "\t" why
	}
	if (done)
		print "done 1"
	print "cases " ncases
}
