/* sproto_schema.h: the in-memory form of a sproto schema (types, fields,
 * protocols) built from the binary bundle that sprotoparser produces, and the
 * little-endian helpers the codec shares. No Lua here. */
#ifndef SPROTO_SCHEMA_H
#define SPROTO_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

/* Built-in field types, numbered as the bundle's `buildin` field numbers them. */
enum sp_kind {
	SP_INTEGER = 0,
	SP_BOOLEAN = 1,
	SP_STRING = 2,
	SP_DOUBLE = 3,
	SP_STRUCT = 4,
};

struct sp_type;

struct sp_field {
	const char *name;
	int tag;
	int kind;               /* enum sp_kind */
	int array;              /* 1: *T */
	int binary;             /* string subtype: 1 = binary (no difference on the wire) */
	int64_t decimal;        /* integer(N): 10^N, else 0 */
	int key;                /* *T(key): tag of the main-key field of st, else -1 */
	int map;                /* *T(): a two-field struct decoded as { [key] = value } */
	const struct sp_field *keyfield;   /* for key >= 0 */
	const struct sp_field *valuefield; /* for map */
	struct sp_type *st;     /* SP_STRUCT */
};

struct sp_type {
	const char *name;
	int n;                  /* fields, ascending tags */
	int maxn;               /* bound on header words: n + tag gaps */
	int base;               /* first tag when tags are contiguous, else -1 */
	struct sp_field *f;
};

struct sp_proto {
	const char *name;
	int tag;
	struct sp_type *request;   /* NULL: no request body */
	struct sp_type *response;  /* NULL: no response body */
	int confirm;               /* `response nil`: a reply without a body */
};

struct sp_schema {
	int ntype;
	int nproto;
	struct sp_type *types;          /* bundle order (index = type id) */
	struct sp_type **byname;        /* sorted by name, for lookup */
	struct sp_proto *protos;        /* sorted by tag */
	char *strings;                  /* every name, one block */
};

/* Parses a bundle; NULL (and *err set) when it is malformed. */
struct sp_schema *sp_schema_new(const void *bundle, size_t sz, const char **err);
void sp_schema_free(struct sp_schema *s);

struct sp_type *sp_schema_type(const struct sp_schema *s, const char *name);
const struct sp_proto *sp_schema_proto_tag(const struct sp_schema *s, int tag);
const struct sp_proto *sp_schema_proto_name(const struct sp_schema *s, const char *name);
const struct sp_field *sp_type_field(const struct sp_type *t, int64_t tag);

static inline uint32_t sp_rd16(const uint8_t *p) {
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static inline uint32_t sp_rd32(const uint8_t *p) {
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void sp_wr16(uint8_t *p, uint32_t v) {
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
}

static inline void sp_wr32(uint8_t *p, uint32_t v) {
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = (v >> 24) & 0xff;
}

static inline void sp_wr64(uint8_t *p, uint64_t v) {
	sp_wr32(p, (uint32_t)v);
	sp_wr32(p + 4, (uint32_t)(v >> 32));
}

static inline uint64_t sp_rd64(const uint8_t *p) {
	return (uint64_t)sp_rd32(p) | (uint64_t)sp_rd32(p + 4) << 32;
}

/* 0-packing (sproto_pack.c). pack output needs sp_pack_bound(sz) bytes;
 * unpack returns the unpacked size (it writes at most cap bytes; call again
 * with a bigger buffer when the result is larger), or -1 for a bad stream. */
size_t sp_pack_bound(size_t sz);
size_t sp_pack(const uint8_t *src, size_t sz, uint8_t *out);
long sp_unpack(const uint8_t *src, size_t sz, uint8_t *out, size_t cap);

#endif
