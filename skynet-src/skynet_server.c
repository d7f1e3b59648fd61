/* skynet_server.c: service contexts and the message path.
 *
 * A context owns a module instance, its message queue and a reference count.
 * The handle table holds one reference; anything that works with a context for a
 * while (a worker dispatching, a sender pushing) grabs another through the
 * handle, so a service retired mid-dispatch is freed by whoever drops the last
 * reference. Text commands live in skynet_command.c. */
#include "skynet.h"
#include "skynet_server.h"
#include "skynet_handle.h"
#include "skynet_harbor.h"
#include "skynet_log.h"
#include "skynet_metrics.h"
#include "skynet_module.h"
#include "skynet_monitor.h"
#include "skynet_mq.h"
#include "skynet_socket.h"
#include "skynet_timer.h"

#include "atomic.h"

#include <stdatomic.h>

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct skynet_context {
	void *instance;
	struct skynet_module *mod;
	void *cb_ud;
	skynet_cb cb;
	struct message_queue *queue;
	FILE *_Atomic logfile;
	uint64_t cpu_cost;  /* microseconds */
	uint64_t cpu_start;
	char result[32];
	uint32_t handle;
	int session_id;
	ATOM_INT ref;
	int message_count;
	bool init;
	bool profile;
	_Atomic bool endless;
	_Atomic bool retired; /* out of the handle table: deliver nothing more */
};

struct server_state {
	ATOM_INT total;
	ATOM_INT aborting;
	skynet_schedule_fn schedule;
	bool profile;
};

static struct server_state S;
/* The handle the calling thread works for is the allocator's: it counts C
 * memory per service (skynet_malloc.h). */
#define current_handle malloc_current_handle

static void
context_retain(void *ptr) {
	struct skynet_context *ctx = ptr;
	ATOM_FINC(&ctx->ref);
}

static void
delete_context(struct skynet_context *ctx) {
	FILE *f = atomic_exchange(&ctx->logfile, NULL);
	if (f)
		fclose(f);
	skynet_module_instance_release(ctx->mod, ctx->instance);
	skynet_metrics_retire(ctx->cpu_cost, ctx->message_count);
	mq_mark_release(ctx->queue);
	skynet_free(ctx);
	ATOM_FDEC(&S.total);
}

/* Release functions of message types whose body refers to more (set by the
 * modules that own those types, skynet_drop_callback). */
static _Atomic(skynet_drop_cb) drop_callbacks[256];

void
skynet_drop_callback(int type, skynet_drop_cb f) {
	if (type >= 0 && type < 256)
		atomic_store(&drop_callbacks[type], f);
}

/* Every message left in a dead service's queue is answered with PTYPE_ERROR so
 * that a caller waiting on it wakes up with an error instead of hanging. */
static void
drop_message(struct skynet_message *msg, void *ud) {
	uint32_t self = *(uint32_t *)ud;
	int type = (int)(msg->sz >> MESSAGE_TYPE_SHIFT);
	size_t sz = msg->sz & MESSAGE_TYPE_MASK;
	/* A socket event owns a second buffer (the bytes read). */
	if (type == PTYPE_SOCKET && msg->data && sz >= sizeof(struct skynet_socket_message))
		skynet_free(((struct skynet_socket_message *)msg->data)->buffer);
	skynet_drop_cb release = type < 256 ? atomic_load(&drop_callbacks[type]) : NULL;
	if (release && msg->data)
		release(msg->data, sz);
	skynet_free(msg->data);
	if (msg->session != 0 && msg->source != 0 && type != PTYPE_RESPONSE && type != PTYPE_ERROR)
		skynet_send(NULL, self, msg->source, PTYPE_ERROR, msg->session, NULL, 0);
}

static void
dispatch_message(struct skynet_context *ctx, struct skynet_message *msg) {
	current_handle = ctx->handle;
	int type = (int)(msg->sz >> MESSAGE_TYPE_SHIFT);
	size_t sz = msg->sz & MESSAGE_TYPE_MASK;
	FILE *f = atomic_load_explicit(&ctx->logfile, memory_order_relaxed);
	if (f)
		skynet_log_output(f, msg->source, type, msg->session, msg->data, sz);
	++ctx->message_count;
	int reserve;
	if (ctx->profile) {
		/* The monotonic clock is read through the vDSO (~20 ns); the thread CPU
		 * clock is a system call (~300 ns), too dear twice per message. Time in
		 * the callback is CPU time unless the worker is preempted. */
		ctx->cpu_start = timer_hpc() / 1000;
		reserve = ctx->cb(ctx, ctx->cb_ud, type, msg->session, msg->source, msg->data, sz);
		ctx->cpu_cost += timer_hpc() / 1000 - ctx->cpu_start;
	} else {
		reserve = ctx->cb(ctx, ctx->cb_ud, type, msg->session, msg->source, msg->data, sz);
	}
	if (!reserve)
		skynet_free(msg->data);
	current_handle = 0;
}

/* Copies the message unless DONTCOPY, allocates a session if asked, and folds
 * the type into the size word. */
static void
filter_args(struct skynet_context *ctx, int type, int *session, void **data, size_t *sz) {
	int needcopy = !(type & PTYPE_TAG_DONTCOPY);
	int allocsession = type & PTYPE_TAG_ALLOCSESSION;
	type &= 0xff;
	if (allocsession) {
		assert(*session == 0);
		*session = skynet_context_newsession(ctx);
	}
	if (needcopy && *data) {
		char *msg = skynet_malloc(*sz + 1);
		memcpy(msg, *data, *sz);
		msg[*sz] = '\0';
		*data = msg;
	}
	*sz |= (size_t)type << MESSAGE_TYPE_SHIFT;
}

void
skynet_server_init(int harbor, int profile, skynet_schedule_fn schedule) {
	ATOM_INIT(&S.total, 0);
	ATOM_INIT(&S.aborting, 0);
	S.schedule = schedule;
	S.profile = profile != 0;
	handle_init(harbor, context_retain);
}

void
skynet_server_exit(void) {
	handle_exit();
}

void
skynet_server_drain(uint32_t keep) {
	/* A queue may only be emptied once it is out of the global list: emptying
	 * clears its in-global flag, and a flagless queue still in the list would be
	 * linked twice when it is released. So the logger is served as its queue
	 * comes off the list, and retired after the first pass; the second pass
	 * frees its queue. */
	for (int pass = 0; pass < 2; pass++) {
		struct message_queue *q;
		while ((q = mq_global_pop()) != NULL) {
			uint32_t handle = mq_handle(q);
			struct skynet_context *ctx = handle_grab(handle);
			if (ctx && handle == keep) {
				skynet_context_dispatchall(ctx);
				skynet_context_release(ctx);
				continue;
			}
			if (ctx) {
				/* Still alive after every worker stopped: only possible for a
				 * service launched during shutdown. */
				skynet_context_release(ctx);
				handle_retire(handle);
			}
			mq_release(q, drop_message, &handle);
		}
		if (pass == 0 && keep)
			handle_retire(keep);
	}
}

int
skynet_server_aborting(void) {
	return ATOM_LOAD(&S.aborting);
}

void
skynet_server_abort(int failed) {
	ATOM_STORE(&S.aborting, failed ? 2 : 1);
}

int
skynet_context_total(void) {
	return ATOM_LOAD(&S.total);
}

uint32_t
skynet_context_new(const char *name, const char *param) {
	const char *err = NULL;
	struct skynet_module *mod = skynet_module_query(name, &err);
	if (mod == NULL) {
		skynet_error(NULL, "error: launch %s failed: %s", name, err ? err : "unknown module");
		return 0;
	}
	void *inst = skynet_module_instance_create(mod);
	if (inst == NULL) {
		skynet_error(NULL, "error: launch %s failed: %s_create returned NULL", name, name);
		return 0;
	}
	struct skynet_context *ctx = skynet_calloc(1, sizeof(*ctx));
	ctx->mod = mod;
	ctx->instance = inst;
	/* One reference for the handle table, one held until init returns. */
	ATOM_INIT(&ctx->ref, 2);
	ctx->profile = S.profile;
	ATOM_FINC(&S.total);
	ctx->handle = handle_register(ctx);
	if (ctx->handle == 0) {
		skynet_error(NULL, "error: launch %s failed: handle table full", name);
		ATOM_FDEC(&S.total);
		skynet_module_instance_release(mod, inst);
		skynet_free(ctx);
		return 0;
	}
	skynet_malloc_bind(ctx->handle);
	struct message_queue *queue = ctx->queue = mq_create(ctx->handle);

	uint32_t saved = current_handle;
	current_handle = ctx->handle;
	int r = skynet_module_instance_init(mod, inst, ctx, param);
	current_handle = saved;
	uint32_t handle = ctx->handle;
	if (r == 0) {
		/* Everything that touches ctx happens while init's reference is held:
		 * once it is dropped, the service may already have run and exited on
		 * another worker. The caller gets the handle, never the pointer. */
		ctx->init = true;
		skynet_error(ctx, "LAUNCH %s %s", name, param ? param : "");
		/* The queue was created flagged in-global: link it now. */
		S.schedule(queue);
		skynet_context_release(ctx);
		return handle;
	}
	/* Without a logger yet (the logger itself failed) the module has said why
	 * on stderr; one line is enough. */
	if (handle_findname("logger"))
		skynet_error(ctx, "error: launch %s %s FAILED", name, param ? param : "");
	skynet_context_release(ctx);
	handle_retire(handle);
	mq_release(queue, drop_message, &handle);
	return 0;
}

void
skynet_context_grab(struct skynet_context *ctx) {
	ATOM_FINC(&ctx->ref);
}

struct skynet_context *
skynet_context_release(struct skynet_context *ctx) {
	if (ATOM_FDEC(&ctx->ref) == 1) {
		delete_context(ctx);
		return NULL;
	}
	return ctx;
}

/* Removes handle from the table and drops the table's reference. */
int
handle_retire(uint32_t handle) {
	struct skynet_context *ctx = handle_remove(handle);
	if (ctx == NULL)
		return 0;
	atomic_store(&ctx->retired, true);
	skynet_context_release(ctx);
	return 1;
}

uint32_t
skynet_context_handle(struct skynet_context *ctx) {
	return ctx->handle;
}

int
skynet_context_newsession(struct skynet_context *ctx) {
	int session = ++ctx->session_id;
	if (session <= 0) {
		ctx->session_id = 1;
		return 1;
	}
	return session;
}

int
skynet_context_push(uint32_t handle, struct skynet_message *message) {
	struct skynet_context *ctx = handle_grab(handle);
	if (ctx == NULL)
		return -1;
	if (mq_push_claim(ctx->queue, message))
		S.schedule(ctx->queue);
	skynet_context_release(ctx);
	return 0;
}

void
skynet_context_send(struct skynet_context *ctx, void *msg, size_t sz, uint32_t source, int type,
	int session) {
	struct skynet_message smsg;
	smsg.source = source;
	smsg.session = session;
	smsg.data = msg;
	smsg.sz = sz | ((size_t)type << MESSAGE_TYPE_SHIFT);
	if (mq_push_claim(ctx->queue, &smsg))
		S.schedule(ctx->queue);
}

void
skynet_context_endless(uint32_t handle) {
	struct skynet_context *ctx = handle_grab(handle);
	if (ctx == NULL)
		return;
	atomic_store(&ctx->endless, true);
	skynet_context_release(ctx);
}

void
skynet_context_break(uint32_t handle) {
	struct skynet_context *ctx = handle_grab(handle);
	if (ctx == NULL)
		return;
	skynet_module_instance_signal(ctx->mod, ctx->instance, 0);
	skynet_context_release(ctx);
}

int
skynet_context_take_endless(struct skynet_context *ctx) {
	return atomic_exchange(&ctx->endless, false);
}

uint32_t
skynet_current_handle(void) {
	return current_handle;
}

void
skynet_callback(struct skynet_context *ctx, void *ud, skynet_cb cb) {
	ctx->cb = cb;
	ctx->cb_ud = ud;
}

/* How many batches a worker runs on one queue, while no other service waits,
 * before it returns to its loop (to notice shutdown). */
#define DISPATCH_ROUNDS 64

struct message_queue *
skynet_context_message_dispatch(struct skynet_monitor *sm, struct message_queue *q, int weight,
	struct message_queue *_Atomic *next) {
	if (q == NULL) {
		q = mq_global_pop();
		if (q == NULL)
			return NULL;
	}
	uint32_t handle = mq_handle(q);
	struct skynet_context *ctx = handle_grab(handle);
	if (ctx == NULL) {
		mq_release(q, drop_message, &handle);
		return mq_global_pop();
	}
	/* The monitor's slot rather than the stack: the crash report reads it. */
	struct skynet_message *msg = skynet_monitor_message(sm);
	for (int round = 0; round < DISPATCH_ROUNDS; round++) {
		int n = 1;
		for (int i = 0; i < n; i++) {
			/* A service that exited (or was killed) mid-batch gets no more
			 * messages: the next dispatch finds its handle gone and answers
			 * what is left with errors. */
			if (atomic_load_explicit(&ctx->retired, memory_order_relaxed))
				goto done;
			if (mq_pop(q, msg)) {
				skynet_context_release(ctx);
				return mq_global_pop();
			}
			if (i == 0 && weight >= 0)
				n = mq_length(q) >> weight;
			int overload = mq_overload(q);
			if (overload) {
				skynet_metrics_overload();
				skynet_error(ctx, "error: May overload, message queue length = %d", overload);
			}
			skynet_monitor_trigger(sm, msg->source, handle);
			if (ctx->cb == NULL)
				skynet_free(msg->data);
			else
				dispatch_message(ctx, msg);
			skynet_monitor_trigger(sm, 0, 0);
		}
		/* A service this one just woke runs next on this worker (the caller
		 * takes it from the slot); another service waiting gets this worker;
		 * otherwise stay on this queue with the context still held: no
		 * handle-table lock per batch, and the service stays hot in cache. */
		if (next && atomic_load_explicit(next, memory_order_relaxed)) {
			if (mq_park(q)) {
				skynet_context_release(ctx);
				return NULL;
			}
			break;
		}
		struct message_queue *nq = mq_global_pop();
		if (nq) {
			mq_global_push(q);
			skynet_context_release(ctx);
			return nq;
		}
	}
done:
	skynet_context_release(ctx);
	return q;
}

void
skynet_context_dispatchall(struct skynet_context *ctx) {
	struct skynet_message msg;
	while (!mq_pop(ctx->queue, &msg)) {
		if (ctx->cb)
			dispatch_message(ctx, &msg);
		else
			skynet_free(msg.data);
	}
}

/* Accessors for skynet_command.c. */
struct message_queue *skynet_context_queue(struct skynet_context *ctx) { return ctx->queue; }
char *skynet_context_result(struct skynet_context *ctx) { return ctx->result; }
int skynet_context_message_count(struct skynet_context *ctx) { return ctx->message_count; }

uint64_t
skynet_context_cpu(struct skynet_context *ctx) {
	return ctx->cpu_cost;
}

uint64_t
skynet_context_cpu_running(struct skynet_context *ctx) {
	if (!ctx->profile || current_handle != ctx->handle)
		return 0;
	return timer_hpc() / 1000 - ctx->cpu_start;
}

FILE *
skynet_context_swaplog(struct skynet_context *ctx, FILE *f) {
	return atomic_exchange(&ctx->logfile, f);
}

void
skynet_context_signal(struct skynet_context *ctx, int sig) {
	skynet_module_instance_signal(ctx->mod, ctx->instance, sig);
}

static bool
in_list(uint32_t handle, const uint32_t *list, int n) {
	for (int i = 0; i < n; i++) {
		if (list[i] == handle)
			return true;
	}
	return false;
}

/* Retire every service but the logger (so the last words still get logged)
 * and those in busy: a service on a worker stays reachable by handle, so the
 * monitor can still signal it out of a stuck loop; a later pass retires it. */
void
skynet_server_retire_all(uint32_t keep, const uint32_t *busy, int nbusy) {
	uint32_t list[1024];
	for (;;) {
		int n = handle_list(list, 1024);
		int retired = 0;
		for (int i = 0; i < n && i < 1024; i++) {
			if (list[i] != keep && !in_list(list[i], busy, nbusy))
				retired += handle_retire(list[i]);
		}
		if (retired == 0)
			break;
	}
}

int
skynet_server_flush(uint32_t keep, int max) {
	struct skynet_context *ctx = handle_grab(keep);
	if (ctx == NULL)
		return 0;
	struct skynet_message msg;
	int n = 0;
	while (n < max && !mq_pop(ctx->queue, &msg)) {
		if (ctx->cb)
			dispatch_message(ctx, &msg);
		n++;
	}
	skynet_context_release(ctx);
	return n;
}

/* Crash time (signal handler): nothing here waits for a lock or allocates. */
struct crash_drain {
	int max;
	int n;
	skynet_crash_message_fn fn;
	void *ud;
};

static void
crash_drain_visit(void *ptr, const char *name, void *ud) {
	(void)name;
	struct skynet_context *ctx = ptr;
	struct crash_drain *d = ud;
	struct skynet_message msg;
	while (d->n < d->max && mq_try_pop(ctx->queue, &msg) == 0) {
		d->n++;
		d->fn(d->ud, msg.source, (int)(msg.sz >> MESSAGE_TYPE_SHIFT), msg.data, msg.sz & MESSAGE_TYPE_MASK);
	}
}

int
skynet_context_crash_drain(uint32_t handle, int max, skynet_crash_message_fn fn, void *ud) {
	struct crash_drain d = { max, 0, fn, ud };
	if (handle_try_visit(handle, crash_drain_visit, &d))
		return -1;
	return d.n;
}

static void
copy_text(char *dst, size_t cap, const char *src) {
	size_t i = 0;
	for (; src && src[i] && i + 1 < cap; i++)
		dst[i] = src[i];
	if (cap)
		dst[i] = '\0';
}

struct crash_describe {
	char *module;
	size_t mcap;
	char *name;
	size_t ncap;
};

static void
crash_describe_visit(void *ptr, const char *name, void *ud) {
	struct skynet_context *ctx = ptr;
	struct crash_describe *d = ud;
	copy_text(d->module, d->mcap, ctx->mod ? ctx->mod->name : NULL);
	copy_text(d->name, d->ncap, name);
}

int
skynet_context_crash_describe(uint32_t handle, char *module, size_t mcap, char *name, size_t ncap) {
	struct crash_describe d = { module, mcap, name, ncap };
	copy_text(module, mcap, NULL);
	copy_text(name, ncap, NULL);
	return handle_try_visit(handle, crash_describe_visit, &d);
}

static uint32_t
resolve_name(struct skynet_context *ctx, const char *name) {
	if (name[0] == ':')
		return (uint32_t)strtoul(name + 1, NULL, 16);
	if (name[0] == '.')
		return handle_findname(name + 1);
	(void)ctx;
	return 0;
}

uint32_t
skynet_queryname(struct skynet_context *ctx, const char *name) {
	if (name[0] == ':' || name[0] == '.')
		return resolve_name(ctx, name);
	skynet_error(ctx, "error: don't support query global name %s", name);
	return 0;
}

/* Hands a message for another node (by handle, or by global name) to the
 * harbor. sz carries the type in its high byte, as after filter_args. */
static int
send_remote(const char *name, uint32_t handle, uint32_t source, int session, void *data, size_t sz) {
	struct remote_message *rmsg = skynet_malloc(sizeof(*rmsg));
	memset(&rmsg->destination, 0, sizeof(rmsg->destination));
	if (name)
		snprintf(rmsg->destination.name, GLOBALNAME_LENGTH, "%s", name);
	rmsg->destination.handle = handle;
	rmsg->message = data;
	rmsg->sz = sz & MESSAGE_TYPE_MASK;
	rmsg->type = (int)(sz >> MESSAGE_TYPE_SHIFT);
	if (skynet_harbor_send(rmsg, source, session))
		return -1;
	return session;
}

int
skynet_send(struct skynet_context *ctx, uint32_t source, uint32_t destination, int type, int session,
	void *data, size_t sz) {
	if ((sz & MESSAGE_TYPE_MASK) != sz) {
		skynet_error(ctx, "error: the message to %x is too large", destination);
		if (type & PTYPE_TAG_DONTCOPY)
			skynet_free(data);
		return -2;
	}
	filter_args(ctx, type, &session, &data, &sz);
	if (source == 0)
		source = ctx ? ctx->handle : 0;
	if (destination == 0) {
		if (data) {
			skynet_error(ctx, "error: destination address can't be 0");
			skynet_free(data);
			return -1;
		}
		return session;
	}
	if (skynet_harbor_message_isremote(destination))
		return send_remote(NULL, destination, source, session, data, sz);
	struct skynet_message smsg;
	smsg.source = source;
	smsg.session = session;
	smsg.data = data;
	smsg.sz = sz;
	if (skynet_context_push(destination, &smsg)) {
		skynet_free(data);
		return -1;
	}
	return session;
}

int
skynet_sendname(struct skynet_context *ctx, uint32_t source, const char *addr, int type, int session,
	void *data, size_t sz) {
	if (source == 0)
		source = ctx ? ctx->handle : 0;
	uint32_t des = 0;
	if (addr[0] == ':' || addr[0] == '.') {
		des = resolve_name(ctx, addr);
		if (des == 0) {
			if (type & PTYPE_TAG_DONTCOPY)
				skynet_free(data);
			return -1;
		}
		return skynet_send(ctx, source, des, type, session, data, sz);
	}
	if ((sz & MESSAGE_TYPE_MASK) != sz) {
		skynet_error(ctx, "error: the message to %s is too large", addr);
		if (type & PTYPE_TAG_DONTCOPY)
			skynet_free(data);
		return -2;
	}
	filter_args(ctx, type, &session, &data, &sz);
	return send_remote(addr, 0, source, session, data, sz);
}
