-- t_snax_g: the `snax_interface_g` module of test_snax_config: the globals a
-- caller loads snax files with (here: a working require).
return { require = require }
