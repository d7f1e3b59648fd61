-- t_snax_util: a plain module that t_snax_gsvc uses in its main chunk.
return { base = 40 }
