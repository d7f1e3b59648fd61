/* skynet_start.h: running a node from a loaded config. */
#ifndef SKYNET_START_H
#define SKYNET_START_H

struct skynet_config;

/* Boots the logger and the bootstrap service, runs the threads until shutdown,
 * releases everything. Returns the process exit status. */
int skynet_start(struct skynet_config *config);

#endif
