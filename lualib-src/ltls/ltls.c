/*
 * ltls: TLS for Lua services over OpenSSL memory BIOs (skynet's ltls module).
 * The socket stays with skynet.socket; this module only turns bytes into
 * bytes: what the peer sent goes into the TLS object, what must be sent to
 * the peer comes out as a string.
 *
 *   require "ltls.init.c"  constructor() / destructor(): library set-up
 *   require "ltls.c"       newctx() -> ctx, newtls("client"|"server", ctx
 *                          [, hostname for SNI]) -> tls
 *   ctx:set_cert(certfile, keyfile), ctx:set_ciphers(list)
 *   tls:handshake([peer bytes]) -> bytes to send (or nothing)
 *   tls:finished() -> boolean, tls:read(peer bytes) -> plaintext (maybe "")
 *   tls:write(plaintext) -> bytes to send, tls:close()
 *
 * As in skynet, "ltls.c" refuses to load until TLS is enabled: either
 * ltls.init.c's constructor ran, or the node's config says enablessl = true
 * (read here from the node environment, so no bootstrap service is needed).
 * Errors raise with OpenSSL's own reason text. A client does not verify the
 * server's certificate (as skynet).
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

#include <lua.h>
#include <lauxlib.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "skynet_env.h"

#define LTLS_CTX_MT "ltls.ctx"
#define LTLS_TLS_MT "ltls.tls"
#define LTLS_BUF 16384

static atomic_bool ltls_ready = false;

struct ltls_ctx {
	SSL_CTX *ctx;
};

struct ltls_tls {
	SSL *ssl;
	BIO *in;   /* peer -> us, owned by ssl */
	BIO *out;  /* us -> peer, owned by ssl */
};

static int ltls_error(lua_State *L, const char *what) {
	unsigned long e = ERR_get_error();
	char buf[256];
	if (e) {
		ERR_error_string_n(e, buf, sizeof(buf));
	} else {
		strcpy(buf, "no detail");
	}
	ERR_clear_error();
	return luaL_error(L, "%s: %s", what, buf);
}

static struct ltls_tls *ltls_check(lua_State *L) {
	struct ltls_tls *t = luaL_checkudata(L, 1, LTLS_TLS_MT);
	if (t->ssl == NULL) {
		luaL_error(L, "tls context is closed");
	}
	return t;
}

/* Feeds the peer's bytes (argument idx, may be absent) into the in BIO. */
static void ltls_feed(lua_State *L, struct ltls_tls *t, int idx) {
	size_t len = 0;
	const char *s = lua_isnoneornil(L, idx) ? NULL : luaL_checklstring(L, idx, &len);
	while (len > 0) {
		int n = BIO_write(t->in, s, len > INT32_MAX ? INT32_MAX : (int)len);
		if (n <= 0) {
			ltls_error(L, "BIO_write");
		}
		s += n;
		len -= (size_t)n;
	}
}

/* Pushes everything waiting in the out BIO; returns its size. */
static size_t ltls_drain(lua_State *L, struct ltls_tls *t) {
	luaL_Buffer b;
	char tmp[LTLS_BUF];
	size_t total = 0;
	luaL_buffinit(L, &b);
	while (BIO_ctrl_pending(t->out) > 0) {
		int n = BIO_read(t->out, tmp, sizeof(tmp));
		if (n <= 0) {
			break;
		}
		luaL_addlstring(&b, tmp, (size_t)n);
		total += (size_t)n;
	}
	luaL_pushresult(&b);
	return total;
}

static int ltls_handshake(lua_State *L) {
	struct ltls_tls *t = ltls_check(L);
	if (SSL_is_init_finished(t->ssl)) {
		return luaL_error(L, "handshake is finished");
	}
	ltls_feed(L, t, 2);
	int ret = SSL_do_handshake(t->ssl);
	if (ret != 1) {
		int err = SSL_get_error(t->ssl, ret);
		if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
			return ltls_error(L, "SSL_do_handshake");
		}
	}
	if (ltls_drain(L, t) > 0) {
		return 1;
	}
	return 0;
}

static int ltls_finished(lua_State *L) {
	struct ltls_tls *t = ltls_check(L);
	lua_pushboolean(L, SSL_is_init_finished(t->ssl));
	return 1;
}

static int ltls_read(lua_State *L) {
	struct ltls_tls *t = ltls_check(L);
	ltls_feed(L, t, 2);
	luaL_Buffer b;
	char tmp[LTLS_BUF];
	luaL_buffinit(L, &b);
	for (;;) {
		int n = SSL_read(t->ssl, tmp, sizeof(tmp));
		if (n > 0) {
			luaL_addlstring(&b, tmp, (size_t)n);
			continue;
		}
		int err = SSL_get_error(t->ssl, n);
		if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_ZERO_RETURN) {
			ERR_clear_error();
			break;
		}
		return ltls_error(L, "SSL_read");
	}
	luaL_pushresult(&b);
	return 1;
}

static int ltls_write(lua_State *L) {
	struct ltls_tls *t = ltls_check(L);
	size_t len = 0;
	const char *s = luaL_optlstring(L, 2, "", &len);
	while (len > 0) {
		int n = SSL_write(t->ssl, s, len > INT32_MAX ? INT32_MAX : (int)len);
		if (n <= 0) {
			return ltls_error(L, "SSL_write");
		}
		s += n;
		len -= (size_t)n;
	}
	ltls_drain(L, t);
	return 1;
}

static int ltls_close(lua_State *L) {
	struct ltls_tls *t = luaL_checkudata(L, 1, LTLS_TLS_MT);
	if (t->ssl) {
		SSL_free(t->ssl);   /* frees both BIOs */
		t->ssl = NULL;
		t->in = t->out = NULL;
	}
	return 0;
}

static int ltls_ctx_gc(lua_State *L) {
	struct ltls_ctx *c = luaL_checkudata(L, 1, LTLS_CTX_MT);
	if (c->ctx) {
		SSL_CTX_free(c->ctx);
		c->ctx = NULL;
	}
	return 0;
}

static int ltls_ctx_cert(lua_State *L) {
	struct ltls_ctx *c = luaL_checkudata(L, 1, LTLS_CTX_MT);
	const char *cert = luaL_checkstring(L, 2);
	const char *key = luaL_checkstring(L, 3);
	if (SSL_CTX_use_certificate_chain_file(c->ctx, cert) != 1) {
		lua_pushfstring(L, "certificate %s", cert);
		return ltls_error(L, lua_tostring(L, -1));
	}
	if (SSL_CTX_use_PrivateKey_file(c->ctx, key, SSL_FILETYPE_PEM) != 1) {
		lua_pushfstring(L, "private key %s", key);
		return ltls_error(L, lua_tostring(L, -1));
	}
	if (SSL_CTX_check_private_key(c->ctx) != 1) {
		return ltls_error(L, "private key does not match the certificate");
	}
	return 0;
}

static int ltls_ctx_ciphers(lua_State *L) {
	struct ltls_ctx *c = luaL_checkudata(L, 1, LTLS_CTX_MT);
	if (SSL_CTX_set_cipher_list(c->ctx, luaL_checkstring(L, 2)) != 1) {
		return ltls_error(L, "set_ciphers");
	}
	return 0;
}

static int ltls_newctx(lua_State *L) {
	struct ltls_ctx *c = lua_newuserdatauv(L, sizeof(*c), 0);
	c->ctx = NULL;
	luaL_setmetatable(L, LTLS_CTX_MT);
	c->ctx = SSL_CTX_new(TLS_method());
	if (c->ctx == NULL) {
		return ltls_error(L, "SSL_CTX_new");
	}
	return 1;
}

static int ltls_newtls(lua_State *L) {
	const char *method = luaL_checkstring(L, 1);
	struct ltls_ctx *c = luaL_checkudata(L, 2, LTLS_CTX_MT);
	bool server = strcmp(method, "server") == 0;
	if (!server && strcmp(method, "client") != 0) {
		return luaL_error(L, "invalid method:%s e.g[server, client]", method);
	}
	struct ltls_tls *t = lua_newuserdatauv(L, sizeof(*t), 1);
	t->ssl = NULL;
	luaL_setmetatable(L, LTLS_TLS_MT);
	lua_pushvalue(L, 2);
	lua_setiuservalue(L, -2, 1);   /* the ctx lives as long as its tls objects */
	t->ssl = SSL_new(c->ctx);
	if (t->ssl == NULL) {
		return ltls_error(L, "SSL_new");
	}
	t->in = BIO_new(BIO_s_mem());
	t->out = BIO_new(BIO_s_mem());
	if (t->in == NULL || t->out == NULL) {
		BIO_free(t->in);
		BIO_free(t->out);
		SSL_free(t->ssl);
		t->ssl = NULL;
		return ltls_error(L, "BIO_new");
	}
	BIO_set_mem_eof_return(t->in, -1);
	BIO_set_mem_eof_return(t->out, -1);
	SSL_set_bio(t->ssl, t->in, t->out);
	if (server) {
		SSL_set_accept_state(t->ssl);
	} else {
		SSL_set_connect_state(t->ssl);
		if (!lua_isnoneornil(L, 3)) {
			SSL_set_tlsext_host_name(t->ssl, luaL_checkstring(L, 3));
		}
	}
	return 1;
}

static void ltls_metatables(lua_State *L) {
	static const luaL_Reg tls_methods[] = {
		{ "handshake", ltls_handshake }, { "finished", ltls_finished }, { "read", ltls_read },
		{ "write", ltls_write }, { "close", ltls_close }, { NULL, NULL },
	};
	static const luaL_Reg ctx_methods[] = {
		{ "set_cert", ltls_ctx_cert }, { "set_ciphers", ltls_ctx_ciphers }, { NULL, NULL },
	};
	if (luaL_newmetatable(L, LTLS_TLS_MT)) {
		luaL_newlib(L, tls_methods);
		lua_setfield(L, -2, "__index");
		lua_pushcfunction(L, ltls_close);
		lua_setfield(L, -2, "__gc");
	}
	lua_pop(L, 1);
	if (luaL_newmetatable(L, LTLS_CTX_MT)) {
		luaL_newlib(L, ctx_methods);
		lua_setfield(L, -2, "__index");
		lua_pushcfunction(L, ltls_ctx_gc);
		lua_setfield(L, -2, "__gc");
	}
	lua_pop(L, 1);
}

static void ltls_init(void) {
	/* OpenSSL 1.1+ initialises itself; this loads the error strings too */
	OPENSSL_init_ssl(OPENSSL_INIT_LOAD_SSL_STRINGS | OPENSSL_INIT_LOAD_CRYPTO_STRINGS, NULL);
	ltls_ready = true;
}

static bool ltls_enabled_by_config(void) {
	const char *v = env_get("enablessl");
	return v != NULL && strcmp(v, "true") == 0;
}

int luaopen_ltls_c(lua_State *L) {
	if (!ltls_ready) {
		if (!ltls_enabled_by_config()) {
			return luaL_error(L, "ltls need init, Put enablessl = true in you config file.");
		}
		ltls_init();
	}
	static const luaL_Reg l[] = {
		{ "newctx", ltls_newctx }, { "newtls", ltls_newtls }, { NULL, NULL },
	};
	luaL_checkversion(L);
	ltls_metatables(L);
	luaL_newlib(L, l);
	return 1;
}

static int ltls_constructor(lua_State *L) {
	(void)L;
	if (!ltls_ready) {
		ltls_init();
	}
	return 0;
}

static int ltls_destructor(lua_State *L) {
	(void)L;
	/* OpenSSL frees itself at exit; only forget that it was enabled */
	ltls_ready = false;
	return 0;
}

int luaopen_ltls_init_c(lua_State *L) {
	static const luaL_Reg l[] = {
		{ "constructor", ltls_constructor }, { "destructor", ltls_destructor }, { NULL, NULL },
	};
	luaL_checkversion(L);
	luaL_newlib(L, l);
	return 1;
}
