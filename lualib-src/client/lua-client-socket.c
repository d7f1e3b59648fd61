/* lua-client-socket.c: `client.socket`, the module skynet's stand-alone Lua
 * clients (a plain lua5.4, no skynet) require, with skynet's names and
 * behaviour. Unlike `client`, it knows no framing: the script does its own.
 *
 *   socket.connect(host, port) -> fd       raises "Connect HOST PORT failed"
 *   socket.recv(fd) -> bytes | nil         nil: nothing to read now (the fd
 *                                          is non-blocking); raises on EOF
 *                                          ("Connect closed") and on errors
 *   socket.send(fd, bytes)                 writes all of it (waits if full)
 *   socket.close(fd)
 *   socket.usleep(microseconds)
 *   socket.readstdin() -> line | nil       a line typed on stdin, without
 *                                          its newline; nil when none is ready
 *
 * stdin is read by a thread of this module, started by the first readstdin,
 * so the script's loop never blocks on the terminal. Once stdin has ended
 * and every line has been handed out, the next readstdin exits the process
 * with status 0: the user (or the pipe) has nothing more to say, and skynet's
 * client scripts loop forever otherwise. */
#include <lua.h>
#include <lauxlib.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define STDIN_QUEUE 1024
#define STDIN_LINE 4096

/* Lines read from stdin, handed from the reader thread to readstdin. */
struct stdin_queue {
	pthread_mutex_t lock;
	char *line[STDIN_QUEUE];
	int head, tail;
	int started;
	int eof;
};

static struct stdin_queue Q = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void *
stdin_reader(void *arg) {
	(void)arg;
	char buf[STDIN_LINE];
	while (fgets(buf, sizeof(buf), stdin)) {
		buf[strcspn(buf, "\r\n")] = '\0';
		char *copy = strdup(buf);
		if (copy == NULL)
			continue;
		for (;;) {
			pthread_mutex_lock(&Q.lock);
			int next = (Q.tail + 1) % STDIN_QUEUE;
			if (next != Q.head) {
				Q.line[Q.tail] = copy;
				Q.tail = next;
				pthread_mutex_unlock(&Q.lock);
				break;
			}
			/* the script reads slower than the user types: wait, drop nothing */
			pthread_mutex_unlock(&Q.lock);
			usleep(10000);
		}
	}
	pthread_mutex_lock(&Q.lock);
	Q.eof = 1;
	pthread_mutex_unlock(&Q.lock);
	return NULL;
}

static int
lconnect(lua_State *L) {
	const char *host = luaL_checkstring(L, 1);
	lua_Integer port = luaL_checkinteger(L, 2);
	char service[16];
	snprintf(service, sizeof(service), "%d", (int)port);
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *list = NULL;
	int fd = -1;
	if (port > 0 && port < 65536 && getaddrinfo(host, service, &hints, &list) == 0) {
		for (struct addrinfo *ai = list; ai && fd < 0; ai = ai->ai_next) {
			fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
			if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
				close(fd);
				fd = -1;
			}
		}
		freeaddrinfo(list);
	}
	if (fd < 0)
		return luaL_error(L, "Connect %s %d failed", host, (int)port);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK);
	lua_pushinteger(L, fd);
	return 1;
}

static int
lrecv(lua_State *L) {
	int fd = (int)luaL_checkinteger(L, 1);
	char buf[65536];
	ssize_t n = recv(fd, buf, sizeof(buf), 0);
	if (n == 0)
		return luaL_error(L, "Connect closed");
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		return luaL_error(L, "Connect error: %s", strerror(errno));
	}
	lua_pushlstring(L, buf, (size_t)n);
	return 1;
}

static int
lsend(lua_State *L) {
	int fd = (int)luaL_checkinteger(L, 1);
	size_t sz;
	const char *p = luaL_checklstring(L, 2, &sz);
	while (sz > 0) {
		ssize_t n = send(fd, p, sz, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				struct pollfd pfd = { .fd = fd, .events = POLLOUT };
				poll(&pfd, 1, 1000);
				continue;
			}
			return luaL_error(L, "Connect error: %s", strerror(errno));
		}
		p += n;
		sz -= (size_t)n;
	}
	return 0;
}

static int
lclose(lua_State *L) {
	close((int)luaL_checkinteger(L, 1));
	return 0;
}

static int
lusleep(lua_State *L) {
	lua_Integer us = luaL_checkinteger(L, 1);
	if (us > 0)
		usleep((useconds_t)us);
	return 0;
}

static int
lreadstdin(lua_State *L) {
	pthread_mutex_lock(&Q.lock);
	if (!Q.started) {
		pthread_t tid;
		Q.started = pthread_create(&tid, NULL, stdin_reader, NULL) == 0;
		if (Q.started)
			pthread_detach(tid);
	}
	char *line = NULL;
	if (Q.head != Q.tail) {
		line = Q.line[Q.head];
		Q.head = (Q.head + 1) % STDIN_QUEUE;
	}
	int started = Q.started, eof = Q.eof;
	pthread_mutex_unlock(&Q.lock);
	if (!started)
		return luaL_error(L, "readstdin: can't start the stdin thread");
	if (line == NULL && eof) {
		fflush(stdout);
		exit(0);
	}
	if (line == NULL)
		return 0;
	lua_pushstring(L, line);
	free(line);
	return 1;
}

LUAMOD_API int
luaopen_client_socket(lua_State *L) {
	luaL_checkversion(L);
	luaL_Reg l[] = {
		{ "connect", lconnect },
		{ "recv", lrecv },
		{ "send", lsend },
		{ "close", lclose },
		{ "usleep", lusleep },
		{ "readstdin", lreadstdin },
		{ NULL, NULL },
	};
	luaL_newlib(L, l);
	return 1;
}
