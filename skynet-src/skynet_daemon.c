/* skynet_daemon.c: daemon mode. The pid file is locked with flock for the life
 * of the process, so a second daemon on the same file fails fast even if the
 * first one's pid was reused by an unrelated process. */
#include "skynet_daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static int pid_fd = -1;

static pid_t
running_pid(const char *pidfile) {
	FILE *f = fopen(pidfile, "r");
	if (f == NULL)
		return 0;
	int pid = 0;
	int n = fscanf(f, "%d", &pid);
	fclose(f);
	if (n != 1 || pid <= 0 || pid == getpid())
		return 0;
	if (kill(pid, 0) && errno == ESRCH)
		return 0;
	return pid;
}

static int
write_pid(const char *pidfile) {
	int fd = open(pidfile, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd == -1) {
		fprintf(stderr, "skynet: can't create pid file %s: %s\n", pidfile, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		fprintf(stderr, "skynet: pid file %s is locked by another skynet\n", pidfile);
		close(fd);
		return -1;
	}
	char text[32];
	int len = snprintf(text, sizeof(text), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) == -1 || write(fd, text, (size_t)len) != len) {
		fprintf(stderr, "skynet: can't write pid file %s: %s\n", pidfile, strerror(errno));
		close(fd);
		return -1;
	}
	pid_fd = fd;
	return 0;
}

static void
redirect_stdio(void) {
	int fd = open("/dev/null", O_RDWR);
	if (fd == -1)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

int
daemon_init(const char *pidfile) {
	pid_t pid = running_pid(pidfile);
	if (pid) {
		fprintf(stderr, "skynet: already running as pid %d (pid file %s)\n", (int)pid, pidfile);
		return -1;
	}
	if (daemon(1, 1) == -1) {
		fprintf(stderr, "skynet: can't daemonize: %s\n", strerror(errno));
		return -1;
	}
	if (write_pid(pidfile))
		return -1;
	redirect_stdio();
	return 0;
}

int
daemon_exit(const char *pidfile) {
	if (pid_fd != -1) {
		close(pid_fd);
		pid_fd = -1;
	}
	return unlink(pidfile);
}
