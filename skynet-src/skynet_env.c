/* skynet_env.c: owns the node's key/value strings (config keys plus setenv).
 *
 * A flat array in insertion order searched linearly: a node holds a few dozen
 * keys and reads them at service start, not per message, so a hash table would
 * buy nothing. Values never change once set, which is what lets env_get hand
 * out its pointer after dropping the lock. */
#include "skynet_env.h"
#include "skynet_malloc.h"

#include <pthread.h>
#include <string.h>

struct env_entry {
	char *key;
	char *value;
};

static pthread_mutex_t env_lock = PTHREAD_MUTEX_INITIALIZER;
static struct env_entry *env_entries;
static int env_count;
static int env_cap;

/* Caller holds env_lock. */
static struct env_entry *
env_find(const char *key) {
	for (int i = 0; i < env_count; i++)
		if (strcmp(env_entries[i].key, key) == 0)
			return &env_entries[i];
	return NULL;
}

void
env_init(void) {
	pthread_mutex_lock(&env_lock);
	env_entries = NULL;
	env_count = env_cap = 0;
	pthread_mutex_unlock(&env_lock);
}

void
env_exit(void) {
	pthread_mutex_lock(&env_lock);
	for (int i = 0; i < env_count; i++) {
		skynet_free(env_entries[i].key);
		skynet_free(env_entries[i].value);
	}
	skynet_free(env_entries);
	env_entries = NULL;
	env_count = env_cap = 0;
	pthread_mutex_unlock(&env_lock);
}

const char *
env_get(const char *key) {
	const char *value = NULL;
	if (key == NULL)
		return NULL;
	pthread_mutex_lock(&env_lock);
	struct env_entry *e = env_find(key);
	if (e)
		value = e->value;
	pthread_mutex_unlock(&env_lock);
	return value;
}

int
env_set(const char *key, const char *value) {
	int ret = -1;
	if (key == NULL || value == NULL)
		return -1;
	pthread_mutex_lock(&env_lock);
	if (env_find(key) == NULL) {
		if (env_count == env_cap) {
			env_cap = env_cap ? env_cap * 2 : 32;
			env_entries = skynet_realloc(env_entries, sizeof(*env_entries) * env_cap);
		}
		env_entries[env_count].key = skynet_strdup(key);
		env_entries[env_count].value = skynet_strdup(value);
		env_count++;
		ret = 0;
	}
	pthread_mutex_unlock(&env_lock);
	return ret;
}

void
env_foreach(void (*fn)(const char *key, const char *value, void *ud), void *ud) {
	/* Entries are append-only and their strings immutable, so a snapshot of
	 * the count lets fn run unlocked (it may call env_get or env_set). */
	pthread_mutex_lock(&env_lock);
	int n = env_count;
	pthread_mutex_unlock(&env_lock);
	for (int i = 0; i < n; i++) {
		pthread_mutex_lock(&env_lock);
		const char *k = env_entries[i].key;
		const char *v = env_entries[i].value;
		pthread_mutex_unlock(&env_lock);
		fn(k, v, ud);
	}
}
