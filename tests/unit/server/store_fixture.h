/*
 * store_fixture.h - what the store-backed unit tests share: a fresh SQLite store per
 * test case, in the test's own temporary folder, inside an app with a fixed clock; and
 * removing that folder at the end. Header-only (static inline): each test program takes
 * what it uses.
 */
#ifndef STORE_FIXTURE_H
#define STORE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "srv_app.h"
#include "srv_store.h"

static inline time_t
fixture_now(void)
{
	return 1700000000;
}

/* A fresh store at dir/name.db (its path into path), in *app: zeroed but for the store
 * and the clock. NULL (and why, as a TAP comment) if it cannot be opened. */
static inline struct srv_store *
fixture_store(struct srv_app *app, const char *dir, const char *name, char *path, size_t pathsz)
{
	char err[256];
	struct srv_store *s = NULL;

	snprintf(path, pathsz, "%s/%s.db", dir, name);
	if (srv_store_sqlite_open(path, 0, &s, err, sizeof(err)) != 0) {
		printf("# open %s: %s\n", path, err);
		return NULL;
	}
	memset(app, 0, sizeof(*app));
	app->store = s;
	app->now = fixture_now;
	return s;
}

/* Remove the test's temporary folder (made with mkdtemp) and all in it. */
static inline void
fixture_remove(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
}

#endif /* STORE_FIXTURE_H */
