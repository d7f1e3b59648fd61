/* skynet_shutdown.c: the registry of graceful shutdown hooks (see
 * skynet_shutdown.h). An array of {handle, label, sent, done} under a mutex:
 * registrations are rare and the timer thread reads it only during the hook
 * phase. Entries of services that exited stay until the array would grow,
 * then they are swept out, so churning services cannot grow it without
 * bound. */
#include "skynet.h"
#include "skynet_handle.h"
#include "skynet_malloc.h"
#include "skynet_shutdown.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define HOOK_LABEL 48
#define HOOK_INITIAL_CAP 8

struct hook {
	uint32_t handle;
	bool sent;
	bool done;
	char label[HOOK_LABEL];
};

static struct {
	pthread_mutex_t lock;
	struct hook *h;
	int n;
	int cap;
	bool begun; /* shutdown_hook_begin ran: later hooks are sent at once */
} R = { PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0, false };

/* The PTYPE_DEBUG body of skynet.pack("SHUTDOWN"): one short string (type 4,
 * length 8 in the tag's high bits), as skynet's serialization writes it. */
static const char SHUTDOWN_PACKED[] = "\x44" "SHUTDOWN";

/* Not handle_grab: dropping the reference could free the context (and run
 * its module's release) here, under our lock. */
static bool
alive(uint32_t handle) {
	return handle_alive(handle) != 0;
}

/* Called with the lock held, when the array is full. */
static void
sweep_dead(void) {
	int k = 0;
	for (int i = 0; i < R.n; i++) {
		if (alive(R.h[i].handle))
			R.h[k++] = R.h[i];
	}
	R.n = k;
}

static struct hook *
find(uint32_t handle) {
	for (int i = 0; i < R.n; i++) {
		if (R.h[i].handle == handle)
			return &R.h[i];
	}
	return NULL;
}

static void
set_label(struct hook *h, const char *label) {
	snprintf(h->label, sizeof(h->label), "%s", label ? label : "");
}

/* Outside the lock: a send may drop the last reference to a context that is
 * exiting, and free it right there. False if the handle is gone. */
static bool
send_shutdown(uint32_t handle) {
	/* skynet_send copies the body */
	return skynet_send(NULL, 0, handle, PTYPE_RESERVED_DEBUG, 0, (void *)SHUTDOWN_PACKED,
		sizeof(SHUTDOWN_PACKED) - 1) >= 0;
}

int
shutdown_hook_add(uint32_t handle, const char *label) {
	int r = 0;
	pthread_mutex_lock(&R.lock);
	struct hook *h = find(handle);
	if (h == NULL && R.n == R.cap)
		sweep_dead();
	if (h == NULL && R.n == R.cap) {
		int cap = R.cap ? R.cap * 2 : HOOK_INITIAL_CAP;
		struct hook *grown = skynet_realloc(R.h, sizeof(*grown) * (size_t)cap);
		if (grown) {
			R.h = grown;
			R.cap = cap;
		}
	}
	bool late = false;
	if (h == NULL && R.n < R.cap) {
		h = &R.h[R.n++];
		memset(h, 0, sizeof(*h));
		h->handle = handle;
		/* Registered while the hooks run (a service a hook launched): it
		 * gets its SHUTDOWN now, and the phase waits for it too. */
		late = h->sent = R.begun;
	}
	if (h)
		set_label(h, label);
	else
		r = -1;
	pthread_mutex_unlock(&R.lock);
	if (late && !send_shutdown(handle))
		shutdown_hook_done(handle);
	return r;
}

void
shutdown_hook_done(uint32_t handle) {
	pthread_mutex_lock(&R.lock);
	struct hook *h = find(handle);
	if (h && h->sent)
		h->done = true;
	pthread_mutex_unlock(&R.lock);
}

int
shutdown_hook_begin(void) {
	/* Marked under the lock, sent outside it (send_shutdown). */
	pthread_mutex_lock(&R.lock);
	R.begun = true;
	uint32_t *todo = R.n ? skynet_malloc(sizeof(uint32_t) * (size_t)R.n) : NULL;
	int n = 0;
	for (int i = 0; i < R.n && todo; i++) {
		struct hook *h = &R.h[i];
		if (h->sent)
			continue;
		h->sent = true;
		h->done = false; /* a SHUTDOWN sent by hand before does not count */
		todo[n++] = h->handle;
	}
	pthread_mutex_unlock(&R.lock);
	int sent = 0;
	for (int i = 0; i < n; i++) {
		if (send_shutdown(todo[i]))
			sent++;
		else
			shutdown_hook_done(todo[i]);
	}
	skynet_free(todo);
	return sent;
}

int
shutdown_hook_pending(void) {
	int n = 0;
	pthread_mutex_lock(&R.lock);
	for (int i = 0; i < R.n; i++) {
		struct hook *h = &R.h[i];
		if (h->sent && !h->done) {
			if (alive(h->handle))
				n++;
			else
				h->done = true;
		}
	}
	pthread_mutex_unlock(&R.lock);
	return n;
}

int
shutdown_hook_describe(char *buf, int cap) {
	int n = 0, len = 0;
	if (cap > 0)
		buf[0] = '\0';
	pthread_mutex_lock(&R.lock);
	for (int i = 0; i < R.n; i++) {
		struct hook *h = &R.h[i];
		if (!h->sent || h->done || !alive(h->handle))
			continue;
		n++;
		if (len < cap - 1) {
			int w = snprintf(buf + len, (size_t)(cap - len), "%s [:%08x] %s", n > 1 ? "," : "", h->handle,
				h->label[0] ? h->label : "?");
			len += w > 0 ? w : 0;
		}
	}
	pthread_mutex_unlock(&R.lock);
	return n;
}

void
shutdown_hook_exit(void) {
	pthread_mutex_lock(&R.lock);
	skynet_free(R.h);
	R.h = NULL;
	R.n = R.cap = 0;
	R.begun = false;
	pthread_mutex_unlock(&R.lock);
}
