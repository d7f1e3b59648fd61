-- t_snax_badinit: a snax service whose init raises (test_snax).
function init(why)
	error("bad init: " .. tostring(why))
end

function response.never()
	return true
end
