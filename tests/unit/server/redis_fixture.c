/* redis_fixture.c - a private redis-server for unit tests (see redis_fixture.h). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "redis_fixture.h"

int
redis_fixture_start(struct redis_fixture *f)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int i;

	if ((f->pid = fork()) == 0) {
		execl(f->bin, f->bin, "--port", "0", "--unixsocket", f->sock, "--save", "",
		    "--appendonly", "no", "--dir", f->dir, "--logfile", "/dev/null", (char *)NULL);
		_exit(127);
	}
	if (f->pid < 0)
		return -1;
	for (i = 0; i < 250; i++) {
		redisContext *c = redisConnectUnix(f->sock);
		int up = c != NULL && c->err == 0;

		if (c != NULL)
			redisFree(c);
		if (up)
			return 0;
		nanosleep(&ts, NULL);
	}
	return -1;
}

int
redis_fixture_open(struct redis_fixture *f, const char *bin, const char *template)
{
	memset(f, 0, sizeof(*f));
	f->pid = -1;
	f->bin = bin;
	if (strlen(template) >= sizeof(f->dir))
		return -1;
	strcpy(f->dir, template);
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->sock, sizeof(f->sock), "%s/redis.sock", f->dir);
	return redis_fixture_start(f);
}

void
redis_fixture_stop(struct redis_fixture *f)
{
	if (f->pid > 0) {
		kill(f->pid, SIGKILL);
		waitpid(f->pid, NULL, 0);
		f->pid = -1;
	}
	if (f->sock[0] != '\0')
		unlink(f->sock);
}

void
redis_fixture_close(struct redis_fixture *f)
{
	char cmd[128];

	redis_fixture_stop(f);
	if (f->dir[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", f->dir);
	f->dir[0] = '\0';
}
