-- sprotoparser: sproto schema text -> the binary schema bundle that
-- sproto.core reads (sproto.new / sprotoloader). parse(text [, name]) returns
-- the bundle or raises an error naming the file and line.
--
-- The text: `# comments`, types `.Name { field tag : type ... }` (nested types
-- allowed, named Outer.Inner), protocols `name tag { request T  response T }`
-- where T is a type name, an inline `{ ... }` struct, or (response) `nil`.
-- Field types: integer, integer(N) (fixed point, N decimals), boolean, string,
-- binary, double, a struct name; `*T` is an array, `*T(key)` a map by key,
-- `*T()` a map of a two-field struct (first field -> second field).
-- The bundle layout (types sorted by name, protocols by tag) is described in
-- lualib-src/sproto/sproto_schema.c.
local lpeg = require "lpeg"

local P, S, R, C, Ct, Cc, Cp, V = lpeg.P, lpeg.S, lpeg.R, lpeg.C, lpeg.Ct, lpeg.Cc, lpeg.Cp, lpeg.V

local buildin = { integer = 0, boolean = 1, string = 2, binary = 2, double = 3 }
local MAX_TAG = 32766 -- (tag + 1) * 2 must fit a 16-bit word

local function line_of(text, pos)
	local line = 1
	for _ in string.gmatch(string.sub(text, 1, pos - 1), "\n") do
		line = line + 1
	end
	return line
end

---------------------------------------------------------------- grammar

-- Every token records how far the parse got, so a syntax error names the
-- line of the first token that did not fit.
local function reach(_, pos, state)
	if pos > state.far then
		state.far = pos
	end
	return pos
end
local mark = lpeg.Cmt(lpeg.Carg(1), reach)

local comment = "#" * (1 - P "\n") ^ 0
local blank0 = (S " \t\r\n" + comment) ^ 0 * mark
local blanks = (S " \t\r\n" + comment) ^ 1 * mark
local word = (R("az", "AZ") + "_") * (R("az", "AZ", "09") + "_") ^ 0
local name = C(word) * mark
local typename = C(word * ("." * word) ^ 0) * mark
local tag = C(R "09" ^ 1) / tonumber * mark
local pos = Cp()

local function sym(s)
	return P(s) * mark
end

-- the part in parentheses after a field type: (digits), (name) or ()
local paren = sym "(" * blank0 * (C(R "09" ^ 1) / tonumber + name + Cc "") * blank0 * sym ")"

local grammar = P {
	"ALL",
	FIELD = Ct(Cc "field" * pos * name * blanks * tag * blank0 * sym ":" * blank0
		* (C "*" * mark + Cc(false)) * typename * blank0 * (paren + Cc(nil))),
	STRUCT = sym "{" * blank0 * Ct(((V "FIELD" + V "TYPE") * blank0) ^ 0) * sym "}",
	TYPE = Ct(Cc "type" * pos * sym "." * name * blank0 * V "STRUCT"),
	SUB = Ct(pos * C(P "request" + P "response") * mark * blanks * (typename + V "STRUCT")),
	PROTOCOL = Ct(Cc "protocol" * pos * name * blanks * tag * blank0 * sym "{" * blank0
		* Ct((V "SUB" * blank0) ^ 0) * sym "}"),
	ALL = blank0 * Ct(((V "TYPE" + V "PROTOCOL") * blank0) ^ 0) * -1,
}

---------------------------------------------------------------- checking

local function errorat(ctx, p, fmt, ...)
	error(string.format(fmt, ...) .. string.format(" at [%s] line (%d)", ctx.file, line_of(ctx.text, p)), 0)
end

local convert_type

-- a struct body: { {"field", pos, name, tag, star, typename, paren}, {"type", ...} }
local function convert_struct(ctx, fullname, p, body)
	if ctx.types[fullname] then
		errorat(ctx, p, "redefined %s", fullname)
	end
	local fields, names, tags = {}, {}, {}
	local t = { name = fullname, fields = fields, pos = p }
	ctx.types[fullname] = t
	for _, item in ipairs(body) do
		if item[1] == "type" then
			convert_type(ctx, fullname .. ".", item)
		else
			local _, fp, fname, ftag, star, ftype, extra = table.unpack(item, 1, 7)
			if names[fname] then
				errorat(ctx, fp, "redefine %s in type %s", fname, fullname)
			end
			if tags[ftag] then
				errorat(ctx, fp, "redefine tag %d in type %s", ftag, fullname)
			end
			if ftag > MAX_TAG then
				errorat(ctx, fp, "tag %d too large in type %s", ftag, fullname)
			end
			names[fname], tags[ftag] = true, true
			fields[#fields + 1] = { name = fname, tag = ftag, array = star and true or false,
				typename = ftype, extra = extra, pos = fp }
		end
	end
	table.sort(fields, function(a, b) return a.tag < b.tag end)
	return t
end

function convert_type(ctx, prefix, item)
	local _, p, tname, body = table.unpack(item, 1, 4)
	convert_struct(ctx, prefix .. tname, p, body)
end

local function convert_protocol(ctx, item)
	local _, p, pname, ptag, subs = table.unpack(item, 1, 5)
	if ctx.protocols[pname] then
		errorat(ctx, p, "redefined %s", pname)
	end
	if ptag > MAX_TAG then
		errorat(ctx, p, "tag %d too large in protocol %s", ptag, pname)
	end
	local proto = { name = pname, tag = ptag, pos = p }
	for _, sub in ipairs(subs) do
		local sp, what, def = sub[1], sub[2], sub[3]
		if proto[what] ~= nil or (what == "response" and proto.confirm) then
			errorat(ctx, sp, "redefined %s in protocol %s", what, pname)
		end
		if type(def) == "table" then
			local tname = pname .. "." .. what
			convert_struct(ctx, tname, sp, def)
			proto[what] = tname
		elseif what == "response" and def == "nil" then
			proto.confirm = true
		else
			proto[what] = def
		end
	end
	ctx.protocols[pname] = proto
end

-- A field's type name, looked up from the innermost enclosing type outwards.
local function resolve(types, scope, tname)
	while scope do
		local full = scope .. "." .. tname
		if types[full] then
			return full
		end
		scope = string.match(scope, "^(.+)%.[^.]+$")
	end
	if types[tname] then
		return tname
	end
end

local function check_field(ctx, t, f)
	local b = buildin[f.typename]
	if b then
		f.buildin = b
		if f.typename == "binary" then
			f.extra_value = 1
		end
		if f.extra ~= nil then
			if f.typename ~= "integer" or type(f.extra) ~= "number" then
				errorat(ctx, f.pos, "Invalid decimal or key (%s) for %s in type %s", f.extra, f.name, t.name)
			end
			if f.extra > 18 then
				errorat(ctx, f.pos, "Invalid decimal %d for %s in type %s", f.extra, f.name, t.name)
			end
			f.extra_value = f.extra
		end
		return
	end
	local full = resolve(ctx.types, t.name, f.typename)
	if not full then
		errorat(ctx, f.pos, "Undefined type %s in type %s", f.typename, t.name)
	end
	f.typename = full
	if f.extra == nil then
		return
	end
	if not f.array or type(f.extra) ~= "string" then
		errorat(ctx, f.pos, "Invalid map index (%s) for %s in type %s", f.extra, f.name, t.name)
	end
	local sub = ctx.types[full]
	local key
	if f.extra == "" then
		if #sub.fields ~= 2 then
			errorat(ctx, f.pos, "Invalid map definition: %s, must only have two fields", f.name)
		end
		key = sub.fields[1] -- sorted by tag: the first is the key
		f.map = true
	else
		for _, sf in ipairs(sub.fields) do
			if sf.name == f.extra then
				key = sf
			end
		end
	end
	if not key or not buildin[key.typename] or key.array then
		errorat(ctx, f.pos, "Invalid map index :%s", f.extra == "" and f.name or f.extra)
	end
	f.key = key.tag
end

local function check(ctx)
	for _, t in pairs(ctx.types) do
		for _, f in ipairs(t.fields) do
			check_field(ctx, t, f)
		end
	end
	local bytag = {}
	for pname, p in pairs(ctx.protocols) do
		local other = bytag[p.tag]
		if other then
			local later = other.pos > p.pos and other or p
			errorat(ctx, later.pos, "redefined protocol tag %d at %s", p.tag, later.name)
		end
		bytag[p.tag] = p
		for _, what in ipairs { "request", "response" } do
			local tname = p[what]
			if tname and not ctx.types[tname] then
				errorat(ctx, p.pos, "Undefined %s type %s in protocol %s", what, tname, pname)
			end
		end
	end
end

---------------------------------------------------------------- bundle

local function packbytes(s)
	return string.pack("<s4", s)
end

local function packvalue(v)
	return string.pack("<I2", (v + 1) * 2)
end

local SKIP = "\1\0" -- an odd word: the next tag is one further on

local function record(words, data)
	return packbytes(string.pack("<I2", #words) .. table.concat(words) .. table.concat(data))
end

local function pack_field(f, ids)
	local words = { "\0\0" } -- name (data part)
	if f.buildin then
		words[2] = packvalue(f.buildin)
		words[3] = f.extra_value and packvalue(f.extra_value) or SKIP
	else
		words[2] = SKIP
		words[3] = packvalue(ids[f.typename])
	end
	words[4] = packvalue(f.tag)
	if f.array then
		words[5] = packvalue(1)
		if f.key then
			words[6] = packvalue(f.key)
			if f.map then
				words[7] = packvalue(1)
			end
		end
	end
	return record(words, { packbytes(f.name) })
end

local function pack_type(t, ids)
	if #t.fields == 0 then
		return record({ "\0\0" }, { packbytes(t.name) })
	end
	local fields = {}
	for i, f in ipairs(t.fields) do
		fields[i] = pack_field(f, ids)
	end
	return record({ "\0\0", "\0\0" }, { packbytes(t.name), packbytes(table.concat(fields)) })
end

local function pack_protocol(p, ids)
	local words = { "\0\0", packvalue(p.tag) }
	if p.request or p.response or p.confirm then
		words[3] = p.request and packvalue(ids[p.request]) or SKIP
		if p.response then
			words[4] = packvalue(ids[p.response])
		elseif p.confirm then
			words[4] = SKIP
			words[5] = packvalue(1)
		end
	end
	return record(words, { packbytes(p.name) })
end

local function encode(ctx)
	local names = {}
	for tname in pairs(ctx.types) do
		names[#names + 1] = tname
	end
	table.sort(names)
	local ids, types = {}, {}
	for i, tname in ipairs(names) do
		ids[tname] = i - 1
	end
	for i, tname in ipairs(names) do
		types[i] = pack_type(ctx.types[tname], ids)
	end
	local protos = {}
	for _, p in pairs(ctx.protocols) do
		protos[#protos + 1] = p
	end
	table.sort(protos, function(a, b) return a.tag < b.tag end)
	for i, p in ipairs(protos) do
		protos[i] = pack_protocol(p, ids)
	end
	if #types == 0 and #protos == 0 then
		return "\0\0"
	end
	if #protos == 0 then
		return "\1\0\0\0" .. packbytes(table.concat(types))
	end
	return "\2\0\0\0\0\0" .. packbytes(table.concat(types)) .. packbytes(table.concat(protos))
end

---------------------------------------------------------------- API

local sparser = {}

function sparser.parse(text, name)
	assert(type(text) == "string", "sprotoparser.parse: schema text must be a string")
	local ctx = { text = text, file = name or "=text", types = {}, protocols = {} }
	local state = { far = 1 }
	local ast = lpeg.match(grammar, text, 1, state)
	if not ast then
		error(string.format("syntax error at [%s] line (%d)", ctx.file, line_of(text, state.far)), 0)
	end
	for _, item in ipairs(ast) do
		if item[1] == "type" then
			convert_type(ctx, "", item)
		else
			convert_protocol(ctx, item)
		end
	end
	check(ctx)
	return encode(ctx)
end

-- Prints a bundle (or any string) in hex, 16 bytes a line.
function sparser.dump(str)
	local line = {}
	for i = 1, #str do
		line[#line + 1] = string.format("%02X", string.byte(str, i))
		if i % 16 == 0 then
			print(table.concat(line, " "))
			line = {}
		elseif i % 8 == 0 then
			line[#line + 1] = "-"
		end
	end
	if #line > 0 then
		print(table.concat(line, " "))
	end
end

return sparser
