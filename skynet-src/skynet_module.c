/* skynet_module.c: loading C services. Each module is dlopen'ed once, on first
 * use, and shared by every instance; the cache is append-only for the life of the
 * node, so a pointer returned by skynet_module_query never dangles. */
#include "skynet_module.h"
#include "skynet_malloc.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define MAX_MODULE_TYPE 64

struct modules {
	pthread_mutex_t lock;
	int count;
	char *path;
	char last_error[256];
	struct skynet_module m[MAX_MODULE_TYPE];
};

static struct modules *M = NULL;

/* Tries each pattern of the cpath in turn. */
static void *
try_open(const char *name) {
	const char *path = M->path;
	size_t name_size = strlen(name);
	M->last_error[0] = 0;
	while (*path) {
		const char *end = strchr(path, ';');
		size_t len = end ? (size_t)(end - path) : strlen(path);
		const char *q = memchr(path, '?', len);
		if (len > 0 && q) {
			char file[1024];
			size_t pre = q - path;
			size_t post = len - pre - 1;
			if (pre + name_size + post < sizeof(file)) {
				memcpy(file, path, pre);
				memcpy(file + pre, name, name_size);
				memcpy(file + pre + name_size, q + 1, post);
				file[pre + name_size + post] = 0;
				void *dl = dlopen(file, RTLD_NOW | RTLD_GLOBAL);
				if (dl)
					return dl;
				/* A file that exists but fails to load is worth reporting. */
				const char *e = dlerror();
				if (e && !strstr(e, "No such file"))
					snprintf(M->last_error, sizeof(M->last_error), "%s", e);
			}
		}
		if (!end)
			break;
		path = end + 1;
	}
	return NULL;
}

static void *
symbol(void *dl, const char *name, const char *suffix) {
	char sym[128];
	snprintf(sym, sizeof(sym), "%s%s", name, suffix);
	return dlsym(dl, sym);
}

static struct skynet_module *
find_loaded(const char *name) {
	for (int i = 0; i < M->count; i++) {
		if (strcmp(M->m[i].name, name) == 0)
			return &M->m[i];
	}
	return NULL;
}

static struct skynet_module *
load(const char *name, const char **err) {
	if (M->count >= MAX_MODULE_TYPE) {
		*err = "too many C service types";
		return NULL;
	}
	void *dl = try_open(name);
	if (dl == NULL) {
		*err = M->last_error[0] ? M->last_error : "no such C service on cpath";
		return NULL;
	}
	struct skynet_module *mod = &M->m[M->count];
	mod->module = dl;
	mod->create = (skynet_dl_create)symbol(dl, name, "_create");
	mod->init = (skynet_dl_init)symbol(dl, name, "_init");
	mod->release = (skynet_dl_release)symbol(dl, name, "_release");
	mod->signal = (skynet_dl_signal)symbol(dl, name, "_signal");
	if (mod->init == NULL) {
		snprintf(M->last_error, sizeof(M->last_error), "%s_init not found in module", name);
		*err = M->last_error;
		dlclose(dl);
		return NULL;
	}
	mod->name = skynet_strdup(name);
	M->count++;
	return mod;
}

struct skynet_module *
skynet_module_query(const char *name, const char **err) {
	static const char *unused;
	if (err == NULL)
		err = &unused;
	pthread_mutex_lock(&M->lock);
	struct skynet_module *mod = find_loaded(name);
	if (mod == NULL)
		mod = load(name, err);
	pthread_mutex_unlock(&M->lock);
	return mod;
}

void *
skynet_module_instance_create(struct skynet_module *m) {
	/* A module without _create gets a non-NULL dummy instance. */
	return m->create ? m->create() : (void *)(intptr_t)(~0);
}

int
skynet_module_instance_init(struct skynet_module *m, void *inst, struct skynet_context *ctx,
	const char *parm) {
	return m->init(inst, ctx, parm);
}

void
skynet_module_instance_release(struct skynet_module *m, void *inst) {
	if (m->release)
		m->release(inst);
}

void
skynet_module_instance_signal(struct skynet_module *m, void *inst, int signal) {
	if (m->signal)
		m->signal(inst, signal);
}

void
skynet_module_init(const char *path) {
	M = skynet_calloc(1, sizeof(*M));
	pthread_mutex_init(&M->lock, NULL);
	M->path = skynet_strdup(path);
}

void
skynet_module_exit(void) {
	if (M == NULL)
		return;
	for (int i = 0; i < M->count; i++) {
		/* Unloading code that Lua states or threads might still reference is not
		 * worth the risk at exit; the names are ours to free. */
		skynet_free((void *)M->m[i].name);
	}
	skynet_free(M->path);
	pthread_mutex_destroy(&M->lock);
	skynet_free(M);
	M = NULL;
}
