-- skynet.sharedata.corelib: read-only proxies over a shared tree (a box of
-- skynet.sharedata.core). A proxy is an empty table whose metatable reads
-- through the C tree: t.k, t[i], #t, pairs, ipairs work; writes raise. The
-- proxy of a sub-table remembers its path from the root, so when the root
-- moves to a new version (core.refresh, or corelib.rebind) each sub-proxy
-- finds its node again on its next access, and keeps its identity.
-- Used by skynet.sharedata, skynet.sharetable and skynet.datasheet.
local core = require "skynet.sharedata.core"

local index, nextkey, len, root_of, refresh = core.index, core.next, core.len, core.root, core.refresh
local share, adopt = core.share, core.adopt
local STALE = core.STALE
local setmetatable, error, tostring, type = setmetatable, error, tostring, type

local corelib = {}

-- proxy -> state; a state is { root = rootstate, parent = parent proxy (nil
-- for the root), key = key in the parent, node = node id, ver = root version
-- the node is valid for, kids = key -> child proxy }. A root state also has
-- box and version.
local S = setmetatable({}, { __mode = "k" })

local function path_of(st)
	local keys = {}
	while st.parent do
		table.insert(keys, 1, tostring(st.key))
		st = S[st.parent]
	end
	return table.concat(keys, ".")
end

-- Makes st.node valid for the root's current version.
local function resolve(st)
	local r = st.root
	if st.ver == r.version then
		return
	end
	if st.parent == nil then
		st.node = root_of(r.box)
	else
		local pst = S[st.parent]
		resolve(pst)
		local v, istable = index(r.box, pst.node, st.key, true)
		if not istable then
			error("The key [" .. path_of(st) .. "] doesn't exist after update", 3)
		end
		st.node = v
	end
	st.ver = r.version
end

-- Sub-table proxies are cached as raw fields of their parent proxy (a read
-- of t.sub then costs no metamethod); a new version drops those fields.
local function uncache(p, st)
	local kids = st.kids
	if kids then
		for k, c in next, kids do
			rawset(p, k, nil)
			uncache(c, S[c])
		end
	end
end

local function moved(r)
	r.version = r.version + 1
	uncache(r.proxy, r)
end

local function follow(r)
	if refresh(r.box) then
		moved(r)
	end
end

local meta = {}

local function child(p, st, key, node, ver)
	local kids = st.kids
	if kids == nil then
		kids = {}
		st.kids = kids
	end
	local c = kids[key]
	if c == nil then
		c = setmetatable({}, meta)
		S[c] = { root = st.root, parent = p, key = key, node = node, ver = ver }
		kids[key] = c
	elseif ver == st.root.version then
		local cst = S[c]
		cst.node, cst.ver = node, ver
	end
	if ver == st.root.version then
		rawset(p, key, c)
	end
	return c
end

function meta.__index(p, key)
	local st = S[p]
	local r = st.root
	if st.ver ~= r.version then
		resolve(st)
	end
	local v, istable = index(r.box, st.node, key)
	while v == STALE do
		follow(r)
		resolve(st)
		v, istable = index(r.box, st.node, key)
	end
	if istable then
		return child(p, st, key, v, r.version)
	end
	return v
end

function meta.__newindex(p, key)
	error("attempt to modify a read-only shared table (key " .. tostring(key) .. ")", 2)
end

function meta.__len(p)
	local st = S[p]
	follow(st.root)
	resolve(st)
	return len(st.root.box, st.node)
end

-- pairs walks the version current when it starts, through a box of its own
-- (the root's box may move to a newer version during the walk).
function meta.__pairs(p)
	local st = S[p]
	local r = st.root
	follow(r)
	resolve(st)
	local box, node, ver = adopt(share(r.box), false), st.node, r.version
	return function(_, k)
		local nk, v, istable = nextkey(box, node, k)
		if istable then
			v = child(p, st, nk, v, ver)
		end
		return nk, v
	end, p, nil
end

-- No __tostring: skynet's proxies print as plain tables ("table: 0x...").

-- A root proxy over box (a box of skynet.sharedata.core).
function corelib.box(box)
	local p = setmetatable({}, meta)
	local r = { box = box, version = 0, proxy = p }
	r.root = r
	r.node = root_of(box)
	r.ver = 0
	S[p] = r
	return p
end

function corelib.is_proxy(v)
	return type(v) == "table" and S[v] ~= nil
end

-- The box of the proxy's root, and the proxy's node in it (current version).
function corelib.locate(p)
	local st = S[p]
	local r = st.root
	follow(r)
	resolve(st)
	return r.box, st.node
end

-- Moves a root proxy (and all its sub-proxies) to another box.
function corelib.rebind(p, box)
	local r = S[p].root
	if r.box ~= box then
		core.release(r.box)
		r.box = box
		moved(r)
	end
end

-- Follows the root to its newest version; returns false if it was deleted.
function corelib.flush(p)
	local r = S[p].root
	local changed, alive = refresh(r.box)
	if changed then
		moved(r)
	end
	return alive
end

-- A plain deep copy of the proxy's table.
function corelib.copy(p)
	local box, node = corelib.locate(p)
	return core.copy(box, node)
end

return corelib
