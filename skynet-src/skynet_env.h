/* skynet_env.h: the node's key/value environment (config keys and setenv).
 * Values are immutable once set, so the pointer env_get returns stays valid until
 * env_exit. Thread safe. */
#ifndef SKYNET_ENV_H
#define SKYNET_ENV_H

void env_init(void);
void env_exit(void);
/* NULL if unset. */
const char *env_get(const char *key);
/* Returns 0, or -1 if key already has a value. */
int env_set(const char *key, const char *value);
/* Calls fn for every key in insertion order. */
void env_foreach(void (*fn)(const char *key, const char *value, void *ud), void *ud);

#endif
