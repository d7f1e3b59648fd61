/* skynet_daemon.h: detaching from the terminal with a pid file. */
#ifndef SKYNET_DAEMON_H
#define SKYNET_DAEMON_H

/* Refuses (returns -1 with a message on stderr) if the pid file names a live
 * process; otherwise detaches, writes our pid, and points stdio at /dev/null. */
int daemon_init(const char *pidfile);
int daemon_exit(const char *pidfile);

#endif
