-- t_snax_loader: a `snax_loader` for test_snax_config: finds the file like
-- the default loader and marks the service's globals, so the test can tell
-- that snaxd used it.
return function(path, name, G)
	for pat in string.gmatch(path, "[^;]+") do
		local f = loadfile((string.gsub(pat, "?", name)), "bt", G)
		if f then
			G.LOADED_BY = "t_snax_loader"
			return f, pat
		end
	end
	error("t_snax_loader: no " .. name)
end
