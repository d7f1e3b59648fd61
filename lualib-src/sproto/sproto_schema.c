/* sproto_schema.c: reads a schema bundle (the binary sprotoparser emits) into
 * struct sp_schema, checking every length and index, and answers lookups.
 *
 * The bundle is itself a sproto message of this schema:
 *   .field { name 0:string  buildin 1:integer  type 2:integer  tag 3:integer
 *            array 4:boolean  key 5:integer  map 6:boolean }
 *   .type { name 0:string  fields 1:*field }
 *   .protocol { name 0:string  tag 1:integer  request 2:integer
 *               response 3:integer  confirm 4:boolean }
 *   .group { type 0:*type  protocol 1:*protocol }
 * `type` is the struct's type index, or the decimal digits of an integer, or
 * 1 for a binary string. A bad bundle gives NULL with a reason, never a crash. */
#include "sproto_schema.h"

#include <stdlib.h>
#include <string.h>

#define RAW_TAGS 8

/* One field of a bundle struct: an inline value or a data chunk. */
struct raw {
	int present;
	int isdata;
	uint32_t value;
	const uint8_t *data;
	uint32_t len;
};

struct reader {
	struct sp_schema *s;
	char *strtop;           /* next free byte of s->strings */
	const char *err;
};

/* Reads one struct (header + data part) of sz bytes into v[0..RAW_TAGS-1];
 * tags past that are skipped. Returns 0, or -1 when a length is off. */
static int raw_struct(const uint8_t *p, size_t sz, struct raw v[RAW_TAGS]) {
	memset(v, 0, sizeof(struct raw) * RAW_TAGS);
	if (sz < 2)
		return -1;
	uint32_t fn = sp_rd16(p);
	size_t hdr = 2 + (size_t)fn * 2;
	if (sz < hdr)
		return -1;
	const uint8_t *data = p + hdr;
	size_t left = sz - hdr;
	int64_t tag = 0;
	for (uint32_t i = 0; i < fn; i++) {
		uint32_t w = sp_rd16(p + 2 + i * 2);
		if (w & 1) {
			tag += (w + 1) / 2;
			continue;
		}
		int64_t t = tag++;
		struct raw r = { 1, w == 0, w / 2 - 1, NULL, 0 };
		if (w == 0) {
			if (left < 4)
				return -1;
			uint32_t len = sp_rd32(data);
			if (left - 4 < len)
				return -1;
			r.data = data + 4;
			r.len = len;
			r.value = 0;
			data += 4 + len;
			left -= 4 + len;
		}
		if (t < RAW_TAGS)
			v[t] = r;
	}
	return 0;
}

/* Counts the elements of a struct array chunk; -1 when malformed. */
static long raw_count(const uint8_t *p, uint32_t len) {
	long n = 0;
	while (len > 0) {
		if (len < 4)
			return -1;
		uint32_t esz = sp_rd32(p);
		if (len - 4 < esz)
			return -1;
		p += 4 + esz;
		len -= 4 + esz;
		n++;
	}
	return n;
}

static const char *raw_string(struct reader *r, const struct raw *v) {
	if (!v->present || !v->isdata)
		return NULL;
	char *s = r->strtop;
	memcpy(s, v->data, v->len);
	s[v->len] = '\0';
	r->strtop += v->len + 1;
	return s;
}

static int raw_int(const struct raw *v, uint32_t *out) {
	if (!v->present)
		return 0;
	if (v->isdata)
		return -1;
	*out = v->value;
	return 1;
}

static int fail(struct reader *r, const char *why) {
	r->err = why;
	return -1;
}

static int import_field(struct reader *r, struct sp_field *f, const uint8_t *p, uint32_t sz) {
	struct raw v[RAW_TAGS];
	uint32_t buildin = 0, type = 0, tag = 0, array = 0, key = 0, map = 0;
	if (raw_struct(p, sz, v) < 0)
		return fail(r, "bad field record");
	f->name = raw_string(r, &v[0]);
	int hasbuildin = raw_int(&v[1], &buildin);
	int hastype = raw_int(&v[2], &type);
	int hastag = raw_int(&v[3], &tag);
	int hasarray = raw_int(&v[4], &array);
	int haskey = raw_int(&v[5], &key);
	int hasmap = raw_int(&v[6], &map);
	if (f->name == NULL || hastag != 1 || hasbuildin < 0 || hastype < 0 || hasarray < 0 || haskey < 0
			|| hasmap < 0)
		return fail(r, "field without name or tag");
	f->tag = (int)tag;
	f->array = hasarray && array;
	f->key = -1;
	if (hasbuildin) {
		if (buildin >= SP_STRUCT)
			return fail(r, "unknown builtin type");
		f->kind = (int)buildin;
		if (hastype && f->kind == SP_INTEGER) {
			if (type > 18)
				return fail(r, "decimal precision too large");
			int64_t d = 1;
			for (uint32_t i = 0; i < type; i++)
				d *= 10;
			f->decimal = type ? d : 0;
		} else if (hastype && f->kind == SP_STRING) {
			f->binary = type == 1;
		}
	} else {
		if (!hastype || type >= (uint32_t)r->s->ntype)
			return fail(r, "bad struct type index");
		f->kind = SP_STRUCT;
		f->st = &r->s->types[type];
	}
	if (haskey) {
		if (!f->array || f->kind != SP_STRUCT)
			return fail(r, "main key on a field that is not a struct array");
		f->key = (int)key;
		f->map = hasmap && map;
	}
	return 0;
}

static int import_type(struct reader *r, struct sp_type *t, const uint8_t *p, uint32_t sz) {
	struct raw v[RAW_TAGS];
	if (raw_struct(p, sz, v) < 0)
		return fail(r, "bad type record");
	t->name = raw_string(r, &v[0]);
	t->base = -1;
	if (t->name == NULL)
		return fail(r, "type without name");
	if (!v[1].present)
		return 0;
	if (!v[1].isdata)
		return fail(r, "bad field list");
	long n = raw_count(v[1].data, v[1].len);
	if (n < 0 || n > 65535)
		return fail(r, "bad field list");
	if (n == 0)
		return 0;
	t->f = calloc((size_t)n, sizeof(struct sp_field));
	if (t->f == NULL)
		return fail(r, "out of memory");
	t->n = (int)n;
	const uint8_t *e = v[1].data;
	int last = -1, maxn = (int)n;
	for (long i = 0; i < n; i++) {
		uint32_t esz = sp_rd32(e);
		if (import_field(r, &t->f[i], e + 4, esz) < 0)
			return -1;
		int tag = t->f[i].tag;
		if (tag <= last)
			return fail(r, "field tags not ascending");
		if (tag > last + 1)
			maxn++;
		last = tag;
		e += 4 + esz;
	}
	t->maxn = maxn;
	if (t->f[n - 1].tag - t->f[0].tag + 1 == n)
		t->base = t->f[0].tag;
	return 0;
}

/* Main keys and maps point into other types: resolved once all are read. */
static int resolve_keys(struct reader *r) {
	for (int i = 0; i < r->s->ntype; i++) {
		struct sp_type *t = &r->s->types[i];
		for (int j = 0; j < t->n; j++) {
			struct sp_field *f = &t->f[j];
			if (f->key < 0)
				continue;
			const struct sp_field *k = sp_type_field(f->st, f->key);
			if (k == NULL || k->kind == SP_STRUCT || k->array)
				return fail(r, "main key is not a builtin field of the element type");
			f->keyfield = k;
			if (f->map) {
				if (f->st->n != 2)
					return fail(r, "map element type must have two fields");
				f->valuefield = &f->st->f[0] == k ? &f->st->f[1] : &f->st->f[0];
			}
		}
	}
	return 0;
}

static int import_proto(struct reader *r, struct sp_proto *pr, const uint8_t *p, uint32_t sz) {
	struct raw v[RAW_TAGS];
	uint32_t tag = 0, req = 0, resp = 0, confirm = 0;
	if (raw_struct(p, sz, v) < 0)
		return fail(r, "bad protocol record");
	pr->name = raw_string(r, &v[0]);
	int hastag = raw_int(&v[1], &tag);
	int hasreq = raw_int(&v[2], &req);
	int hasresp = raw_int(&v[3], &resp);
	int hasconfirm = raw_int(&v[4], &confirm);
	if (pr->name == NULL || hastag != 1 || hasreq < 0 || hasresp < 0 || hasconfirm < 0)
		return fail(r, "protocol without name or tag");
	pr->tag = (int)tag;
	uint32_t nt = (uint32_t)r->s->ntype;
	if ((hasreq && req >= nt) || (hasresp && resp >= nt))
		return fail(r, "bad protocol type index");
	pr->request = hasreq ? &r->s->types[req] : NULL;
	pr->response = hasresp ? &r->s->types[resp] : NULL;
	pr->confirm = hasconfirm && confirm;
	return 0;
}

static int cmp_type_name(const void *a, const void *b) {
	const struct sp_type *x = *(const struct sp_type *const *)a;
	const struct sp_type *y = *(const struct sp_type *const *)b;
	return strcmp(x->name, y->name);
}

static int cmp_proto_tag(const void *a, const void *b) {
	const struct sp_proto *x = a, *y = b;
	return (x->tag > y->tag) - (x->tag < y->tag);
}

static int import_list(struct reader *r, const struct raw *v, int protos) {
	if (!v->present)
		return 0;
	if (!v->isdata)
		return fail(r, "bad group record");
	long n = raw_count(v->data, v->len);
	if (n < 0 || n > 65535)
		return fail(r, "bad group record");
	if (n == 0)
		return 0;
	struct sp_schema *s = r->s;
	if (protos) {
		s->protos = calloc((size_t)n, sizeof(struct sp_proto));
		if (s->protos == NULL)
			return fail(r, "out of memory");
		s->nproto = (int)n;
	}
	const uint8_t *e = v->data;
	for (long i = 0; i < n; i++) {
		uint32_t esz = sp_rd32(e);
		int rc = protos ? import_proto(r, &s->protos[i], e + 4, esz) : import_type(r, &s->types[i], e + 4, esz);
		if (rc < 0)
			return -1;
		e += 4 + esz;
	}
	return 0;
}

static int import_bundle(struct reader *r, const uint8_t *p, size_t sz) {
	struct raw v[RAW_TAGS];
	struct sp_schema *s = r->s;
	if (raw_struct(p, sz, v) < 0)
		return fail(r, "bad bundle header");
	if (v[0].present) {
		long n = v[0].isdata ? raw_count(v[0].data, v[0].len) : -1;
		if (n < 0 || n > 65535)
			return fail(r, "bad type list");
		s->types = calloc(n ? (size_t)n : 1, sizeof(struct sp_type));
		s->byname = calloc(n ? (size_t)n : 1, sizeof(struct sp_type *));
		if (s->types == NULL || s->byname == NULL)
			return fail(r, "out of memory");
		s->ntype = (int)n;
	}
	if (import_list(r, &v[0], 0) < 0 || import_list(r, &v[1], 1) < 0 || resolve_keys(r) < 0)
		return -1;
	for (int i = 0; i < s->ntype; i++)
		s->byname[i] = &s->types[i];
	if (s->ntype > 1)
		qsort(s->byname, (size_t)s->ntype, sizeof(struct sp_type *), cmp_type_name);
	if (s->nproto > 1)
		qsort(s->protos, (size_t)s->nproto, sizeof(struct sp_proto), cmp_proto_tag);
	for (int i = 1; i < s->nproto; i++) {
		if (s->protos[i].tag == s->protos[i - 1].tag)
			return fail(r, "duplicate protocol tag");
	}
	return 0;
}

struct sp_schema *sp_schema_new(const void *bundle, size_t sz, const char **err) {
	struct reader r = { NULL, NULL, NULL };
	r.s = calloc(1, sizeof(struct sp_schema));
	/* every name is a length-prefixed chunk of the bundle: sz bytes hold them all */
	char *strings = r.s ? malloc(sz + 1) : NULL;
	if (strings == NULL) {
		free(r.s);
		*err = "out of memory";
		return NULL;
	}
	r.s->strings = strings;
	r.strtop = strings;
	if (import_bundle(&r, bundle, sz) < 0) {
		sp_schema_free(r.s);
		*err = r.err;
		return NULL;
	}
	return r.s;
}

void sp_schema_free(struct sp_schema *s) {
	if (s == NULL)
		return;
	for (int i = 0; i < s->ntype; i++)
		free(s->types[i].f);
	free(s->types);
	free(s->byname);
	free(s->protos);
	free(s->strings);
	free(s);
}

struct sp_type *sp_schema_type(const struct sp_schema *s, const char *name) {
	int lo = 0, hi = s->ntype;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		int c = strcmp(name, s->byname[mid]->name);
		if (c == 0)
			return s->byname[mid];
		if (c > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct sp_proto *sp_schema_proto_tag(const struct sp_schema *s, int tag) {
	int lo = 0, hi = s->nproto;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		int t = s->protos[mid].tag;
		if (t == tag)
			return &s->protos[mid];
		if (tag > t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct sp_proto *sp_schema_proto_name(const struct sp_schema *s, const char *name) {
	for (int i = 0; i < s->nproto; i++) {
		if (strcmp(name, s->protos[i].name) == 0)
			return &s->protos[i];
	}
	return NULL;
}

const struct sp_field *sp_type_field(const struct sp_type *t, int64_t tag) {
	if (t->base >= 0) {
		int64_t i = tag - t->base;
		return (i >= 0 && i < t->n) ? &t->f[i] : NULL;
	}
	int lo = 0, hi = t->n;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		int ft = t->f[mid].tag;
		if (ft == tag)
			return &t->f[mid];
		if (tag > ft)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
