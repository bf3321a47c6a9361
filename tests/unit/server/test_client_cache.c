/*
 * test_client_cache.c - the per-thread client cache of srv_oauth_client_get against a
 * real SQLite store: same answers as the store, changes seen once clients_generation
 * moves (within SRV_CLIENT_CACHE_RECHECK_MS), no cache without that setting, eviction,
 * one cache per thread, and client_secret_basic authentication through it.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "../t.h"
#include "cx_util.h"
#include "srv_accounts.h"
#include "srv_oauth_client.h"
#include "srv_secret.h"
#include "srv_store.h"
#include "store_fixture.h"

static char tmpdir[] = "/tmp/eid-test-client-cache-XXXXXX";
static struct srv_secret *secret;

/* A fresh store (its own file) in an app with the test secret. */
static struct srv_store *
new_store(struct srv_app *app, const char *name)
{
	static char path[600];
	struct srv_store *s = fixture_store(app, tmpdir, name, path, sizeof(path));

	if (s != NULL)
		app->secret = secret;
	return s;
}

static int
add_client(struct srv_store *s, const char *id, const char *name, const char *secret_text)
{
	struct srv_client c;
	int r;

	memset(&c, 0, sizeof(c));
	c.client_id = (char *)id;
	c.name = (char *)name;
	c.metadata = json_pack("{s:[s],s:s}", "grant_types", "client_credentials", "scope", "document_verify");
	c.has_secret = secret_text != NULL;
	if (secret_text != NULL)
		srv_client_secret_hash(secret, secret_text, c.secret_hash);
	c.created_at = 1;
	r = srv_store_client_add(s, &c);
	json_decref(c.metadata);
	return r;
}

static int
bump(struct srv_store *s)
{
	int64_t v;

	return srv_store_setting_bump(s, "clients_generation", &v);
}

static void
wait_recheck(void)
{
	usleep((SRV_CLIENT_CACHE_RECHECK_MS + 50) * 1000);
}

static void
close_store(struct srv_store **s)
{
	srv_oauth_client_cache_clear();
	srv_store_close(s);
}

T_CASE(same_answers_as_the_store)
{
	struct srv_app app;
	struct srv_store *s = new_store(&app, "same");
	struct srv_client *a = NULL, *b = NULL;

	T_ASSERT(s != NULL);
	T_EQ_INT(add_client(s, "c1", "Client one", "s3cret"), 0);
	T_EQ_INT(bump(s), 0);
	T_EQ_INT(srv_oauth_client_get(&app, "c1", &a), 0);     /* miss: from the store */
	T_EQ_INT(srv_oauth_client_get(&app, "c1", &b), 0);     /* hit */
	T_ASSERT(a != b);
	T_EQ_STR(b->client_id, "c1");
	T_EQ_STR(b->name, "Client one");
	T_ASSERT(json_equal(a->metadata, b->metadata));
	T_EQ_MEM(a->secret_hash, 32, b->secret_hash, 32);
	T_EQ_INT(b->has_secret, 1);
	T_EQ_INT(b->disabled, 0);
	srv_client_free(&a);
	srv_client_free(&b);
	/* the copies handed out were the caller's; the cache still answers */
	T_EQ_INT(srv_oauth_client_get(&app, "c1", &a), 0);
	T_EQ_STR(a->client_id, "c1");
	srv_client_free(&a);
	T_EQ_INT(srv_oauth_client_get(&app, "nobody", &a), EID_ERR_NOT_FOUND);
	T_ASSERT(a == NULL);
	T_EQ_INT(srv_oauth_client_get(&app, NULL, &a), EID_ERR_INVALID_ARGUMENT);
	close_store(&s);
}

T_CASE(a_removed_client_goes_once_the_generation_moves)
{
	struct srv_app app;
	struct srv_store *s = new_store(&app, "removed");
	struct srv_client *c = NULL;

	T_ASSERT(s != NULL);
	T_EQ_INT(add_client(s, "c1", "one", "s3cret"), 0);
	T_EQ_INT(bump(s), 0);
	T_EQ_INT(srv_oauth_client_get(&app, "c1", &c), 0);
	srv_client_free(&c);
	T_EQ_INT(srv_store_client_remove(s, "c1"), 0);
	T_EQ_INT(bump(s), 0);
	wait_recheck();
	T_EQ_INT(srv_oauth_client_get(&app, "c1", &c), EID_ERR_NOT_FOUND);
	close_store(&s);
}

T_CASE(a_replaced_client_is_read_again)
{
	struct srv_app app;
	struct srv_store *s = new_store(&app, "replaced");
	struct srv_client *c = NULL;
	uint8_t h2[32];

	T_ASSERT(s != NULL);
	T_EQ_INT(add_client(s, "c1", "old", "first"), 0);
	T_EQ_INT(bump(s), 0);
	T_EQ_INT(srv_oauth_client_get(&app, "c1", &c), 0);
	srv_client_free(&c);
	T_EQ_INT(srv_store_client_remove(s, "c1"), 0);
	T_EQ_INT(add_client(s, "c1", "new", "second"), 0);
	T_EQ_INT(bump(s), 0);
	wait_recheck();
	T_EQ_INT(srv_oauth_client_get(&app, "c1", &c), 0);
	T_EQ_STR(c->name, "new");
	srv_client_secret_hash(secret, "second", h2);
	T_EQ_MEM(c->secret_hash, 32, h2, 32);
	srv_client_free(&c);
	close_store(&s);
}

T_CASE(a_new_client_is_found_at_once)
{
	struct srv_app app;
	struct srv_store *s = new_store(&app, "new");
	struct srv_client *c = NULL;

	T_ASSERT(s != NULL);
	T_EQ_INT(add_client(s, "c1", "one", "x"), 0);
	T_EQ_INT(bump(s), 0);
	T_EQ_INT(srv_oauth_client_get(&app, "c2", &c), EID_ERR_NOT_FOUND);
	T_EQ_INT(add_client(s, "c2", "two", "y"), 0);
	T_EQ_INT(bump(s), 0);
	/* no wait: unknown clients are not remembered, a miss reads the store */
	T_EQ_INT(srv_oauth_client_get(&app, "c2", &c), 0);
	T_EQ_STR(c->name, "two");
	srv_client_free(&c);
	close_store(&s);
}

T_CASE(without_a_generation_the_store_is_read_every_time)
{
	struct srv_app app;
	struct srv_store *s = new_store(&app, "nogen");
	struct srv_client *c = NULL;

	T_ASSERT(s != NULL);
	T_EQ_INT(add_client(s, "c1", "one", "x"), 0);
	T_EQ_INT(srv_oauth_client_get(&app, "c1", &c), 0);
	srv_client_free(&c);
	T_EQ_INT(srv_store_client_remove(s, "c1"), 0);
	T_EQ_INT(srv_oauth_client_get(&app, "c1", &c), EID_ERR_NOT_FOUND);     /* no wait */
	close_store(&s);
}

T_CASE(another_store_is_another_cache)
{
	struct srv_app a1, a2;
	struct srv_store *s1 = new_store(&a1, "store1"), *s2 = new_store(&a2, "store2");
	struct srv_client *c = NULL;

	T_ASSERT(s1 != NULL && s2 != NULL);
	T_EQ_INT(add_client(s1, "c1", "in one", "x"), 0);
	T_EQ_INT(add_client(s2, "c1", "in two", "y"), 0);
	T_EQ_INT(bump(s1), 0);
	T_EQ_INT(bump(s2), 0);      /* the same generation value in both */
	T_EQ_INT(srv_oauth_client_get(&a1, "c1", &c), 0);
	T_EQ_STR(c->name, "in one");
	srv_client_free(&c);
	T_EQ_INT(srv_oauth_client_get(&a2, "c1", &c), 0);
	T_EQ_STR(c->name, "in two");
	srv_client_free(&c);
	srv_store_close(&s2);
	close_store(&s1);
}

T_CASE(more_clients_than_slots)
{
	struct srv_app app;
	struct srv_store *s = new_store(&app, "many");
	struct srv_client *c = NULL;
	char id[32], name[32];
	int i, round;

	T_ASSERT(s != NULL);
	for (i = 0; i < 2 * SRV_CLIENT_CACHE_SLOTS + 3; i++) {
		snprintf(id, sizeof(id), "client-%d", i);
		snprintf(name, sizeof(name), "name %d", i);
		T_EQ_INT(add_client(s, id, name, id), 0);
	}
	T_EQ_INT(bump(s), 0);
	for (round = 0; round < 2; round++)
		for (i = 0; i < 2 * SRV_CLIENT_CACHE_SLOTS + 3; i++) {
			snprintf(id, sizeof(id), "client-%d", i);
			snprintf(name, sizeof(name), "name %d", i);
			T_EQ_INT(srv_oauth_client_get(&app, id, &c), 0);
			T_EQ_STR(c->client_id, id);
			T_EQ_STR(c->name, name);
			srv_client_free(&c);
		}
	close_store(&s);
}

struct thread_arg {
	struct srv_app *app;
	int ok;
};

static void *
other_thread(void *p)
{
	struct thread_arg *a = p;
	struct srv_client *c = NULL;
	int i;

	a->ok = 1;
	for (i = 0; i < 100; i++) {
		if (srv_oauth_client_get(a->app, "c1", &c) != 0 || strcmp(c->name, "one") != 0)
			a->ok = 0;
		srv_client_free(&c);
	}
	return NULL;        /* its cache is freed as the thread ends (ASan checks) */
}

T_CASE(each_thread_has_its_own_cache)
{
	struct srv_app app;
	struct srv_store *s = new_store(&app, "threads");
	struct thread_arg args[4];
	pthread_t th[4];
	struct srv_client *c = NULL;
	int i;

	T_ASSERT(s != NULL);
	T_EQ_INT(add_client(s, "c1", "one", "x"), 0);
	T_EQ_INT(bump(s), 0);
	T_EQ_INT(srv_oauth_client_get(&app, "c1", &c), 0);
	srv_client_free(&c);
	for (i = 0; i < 4; i++) {
		args[i].app = &app;
		T_EQ_INT(pthread_create(&th[i], NULL, other_thread, &args[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		T_EQ_INT(args[i].ok, 1);
	}
	close_store(&s);
}

static int
authenticate(struct srv_app *app, const char *id_colon_secret, struct srv_oauth_error *err)
{
	struct srv_req req;
	struct srv_client *c = NULL;
	char b64[256], hv[300];
	int r;

	srv_req_init(&req);
	req.method = SRV_POST;
	if (cx_b64_encode(b64, sizeof(b64), id_colon_secret, strlen(id_colon_secret)) != 0)
		abort();
	snprintf(hv, sizeof(hv), "Basic %s", b64);
	if (srv_kvlist_add(&req.headers, "authorization", 13, hv, strlen(hv)) != 0)
		abort();
	r = srv_oauth_client_authenticate(app, &req, &c, err);
	if (r == 0 && (c == NULL || strcmp(c->client_id, "c1") != 0))
		r = EID_ERR_INTERNAL;
	srv_client_free(&c);
	srv_req_clear(&req);
	return r;
}

T_CASE(secret_authentication_through_the_cache)
{
	struct srv_app app;
	struct srv_store *s = new_store(&app, "auth");
	struct srv_oauth_error err;
	int i;

	T_ASSERT(s != NULL);
	T_EQ_INT(add_client(s, "c1", "one", "right"), 0);
	T_EQ_INT(bump(s), 0);
	for (i = 0; i < 3; i++) {       /* a miss, then hits */
		T_EQ_INT(authenticate(&app, "c1:right", &err), 0);
		memset(&err, 0, sizeof(err));
		T_EQ_INT(authenticate(&app, "c1:wrong", &err), EID_ERR_DENIED);
		T_EQ_INT(err.status, 401);
		T_EQ_STR(err.error, "invalid_client");
	}
	T_EQ_INT(srv_store_client_remove(s, "c1"), 0);
	T_EQ_INT(add_client(s, "c1", "one", "rotated"), 0);
	T_EQ_INT(bump(s), 0);
	wait_recheck();
	T_EQ_INT(authenticate(&app, "c1:right", &err), EID_ERR_DENIED);
	T_EQ_INT(authenticate(&app, "c1:rotated", &err), 0);
	close_store(&s);
}

int
main(void)
{
	char err[256];

	if (sodium_init() < 0 || mkdtemp(tmpdir) == NULL || srv_secret_open(tmpdir, &secret, err, sizeof(err)) != 0) {
		printf("Bail out! cannot set up %s\n", tmpdir);
		return 1;
	}
	T_RUN(same_answers_as_the_store);
	T_RUN(a_removed_client_goes_once_the_generation_moves);
	T_RUN(a_replaced_client_is_read_again);
	T_RUN(a_new_client_is_found_at_once);
	T_RUN(without_a_generation_the_store_is_read_every_time);
	T_RUN(another_store_is_another_cache);
	T_RUN(more_clients_than_slots);
	T_RUN(each_thread_has_its_own_cache);
	T_RUN(secret_authentication_through_the_cache);
	srv_secret_free(&secret);
	fixture_remove(tmpdir);
	return t_done();
}
