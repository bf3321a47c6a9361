/*
 * redis_fixture.h - a private redis-server on a Unix socket, for the unit tests that need
 * the real one (sessions, the back-channel queue). The directory it makes is also the
 * test's scratch space; the tests stop and restart the server to play an outage.
 */
#ifndef REDIS_FIXTURE_H
#define REDIS_FIXTURE_H

#include <sys/types.h>

struct redis_fixture {
	const char *bin;        /* the redis-server program */
	char dir[64];           /* private directory (mkdtemp) */
	char sock[128];         /* dir/redis.sock */
	pid_t pid;              /* -1 when not running */
};

/* Make the directory (from a mkdtemp template such as "/tmp/eid-x-XXXXXX") and start the
 * server; 0 once it answers (within about 5 s), -1 otherwise. */
int redis_fixture_open(struct redis_fixture *f, const char *bin, const char *template);
/* Start it again in the same directory (after redis_fixture_stop). */
int redis_fixture_start(struct redis_fixture *f);
/* Kill it (SIGKILL: an outage, not a shutdown) and remove the socket. */
void redis_fixture_stop(struct redis_fixture *f);
/* Stop it and remove the directory with everything the test left there. */
void redis_fixture_close(struct redis_fixture *f);

#endif /* REDIS_FIXTURE_H */
