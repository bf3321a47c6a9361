/*
 * test_citizen_cache.c - srv_citizen_profile_get (srv_profile.c on srv_gencache) against
 * a real SQLite store: migration 5's triggers move citizens_generation on every insert,
 * update and delete of a citizen row; a hit is served without reading the store while
 * the generation stays; changes (contact claims, disabling) are seen within
 * SRV_PROFILE_CACHE_RECHECK_MS; secrets are never in what it returns; unknown accounts
 * are not remembered; no cache without the setting; one cache per thread and per store.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "../t.h"
#include "srv_profile.h"
#include "srv_store.h"
#include "store_fixture.h"

static char tmpdir[] = "/tmp/eid-test-citizen-cache-XXXXXX";
static char dbpath[600];

static const uint8_t TOTP_ENC[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

/* A fresh store (its own file, remembered in dbpath) in an app. */
static struct srv_store *
new_store(struct srv_app *app, const char *name)
{
	return fixture_store(app, tmpdir, name, dbpath, sizeof(dbpath));
}

static void
close_store(struct srv_store **s)
{
	srv_citizen_profile_cache_clear();
	srv_store_close(s);
}

/* A citizen with a password hash, a TOTP secret and an email; its row id in *id. */
static int
add_citizen(struct srv_store *s, const char *account, const char *idn, const char *name,
    int64_t *id)
{
	struct srv_citizen c;

	memset(&c, 0, sizeof(c));
	c.account_id = (char *)account;
	c.citizen_id = (char *)idn;
	c.name = (char *)name;
	c.birth_date = "1990-05-17";
	c.sex = "male";
	c.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
	c.totp_secret_enc = (uint8_t *)TOTP_ENC;
	c.totp_secret_enc_len = sizeof(TOTP_ENC);
	c.email = "a@example.vn";
	c.email_verified = 1;
	c.phone_number = "+84912345678";
	c.address = "{\"country\":\"VN\"}";
	c.level = 1;
	c.created_at = 1234;
	return srv_store_citizen_add(s, &c, id);
}

/* citizens_generation as an integer (-1 when absent or on error). */
static long long
generation(struct srv_store *s)
{
	char *v = NULL;
	long long g = -1;

	if (srv_store_setting_get(s, "citizens_generation", &v) == 0)
		g = strtoll(v, NULL, 10);
	free(v);
	return g;
}

/* SQL on a connection of its own, past the store's code (and so past nothing else). */
static int
raw_exec(const char *sql)
{
	sqlite3 *db = NULL;
	char *em = NULL;
	int rc;

	if ((rc = sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READWRITE, NULL)) == SQLITE_OK) {
		sqlite3_busy_timeout(db, 5000);
		rc = sqlite3_exec(db, sql, NULL, NULL, &em);
	}
	if (em != NULL)
		printf("# raw sql: %s\n", em);
	sqlite3_free(em);
	sqlite3_close(db);
	return rc;
}

static void
wait_recheck(void)
{
	usleep((SRV_PROFILE_CACHE_RECHECK_MS + 50) * 1000);
}

static int
no_secrets(const struct srv_citizen *c)
{
	return c->password_hash == NULL && c->totp_secret_enc == NULL && c->totp_secret_enc_len == 0;
}

T_CASE(the_triggers_move_the_generation)
{
	struct srv_app app;
	struct srv_store *s = new_store(&app, "triggers");
	struct srv_citizen *c = NULL;
	int64_t id = 0;
	long long g0, g;
	char sql[200];

	T_ASSERT(s != NULL);
	g0 = generation(s);
	T_EQ_INT(g0, 1);                         /* migration 5 puts it there */
	T_EQ_INT(add_citizen(s, "acc-1", "001090012345", "A", &id), 0);
	T_ASSERT(id > 0);                        /* the trigger's insert leaves the row id alone */
	T_EQ_INT(generation(s), g0 + 1);         /* insert */
	T_EQ_INT(srv_store_citizen_get(s, "acc-1", &c), 0);
	T_EQ_INT(c->id, id);
	free(c->email);
	c->email = strdup("b@example.vn");
	T_ASSERT(c->email != NULL);
	T_EQ_INT(srv_store_citizen_update(s, c), 0);
	T_EQ_INT(generation(s), g0 + 2);         /* update (contact claims) */
	T_EQ_INT(srv_store_citizen_set_disabled(s, "001090012345", 1), 0);
	T_EQ_INT(generation(s), g0 + 3);         /* update (disabled) */
	T_EQ_INT(srv_store_citizen_set_password(s, id, "$argon2id$other"), 0);
	T_EQ_INT(generation(s), g0 + 4);         /* update (password) */
	srv_citizen_free(&c);
	/* a failed change moves nothing: the statement and its trigger are one */
	T_EQ_INT(add_citizen(s, "acc-1", "001090099999", "dup", NULL), EID_ERR_EXISTS);
	T_EQ_INT(generation(s), g0 + 4);
	/* delete: no store operation does it, so plain SQL (the trigger is in the schema) */
	snprintf(sql, sizeof(sql), "DELETE FROM citizens WHERE id = %lld", (long long)id);
	T_EQ_INT(raw_exec(sql), SQLITE_OK);
	g = generation(s);
	T_EQ_INT(g, g0 + 5);
	/* the setting gone: the next change puts it back, like srv_store_setting_bump */
	T_EQ_INT(raw_exec("DELETE FROM settings WHERE key = 'citizens_generation'"), SQLITE_OK);
	T_EQ_INT(generation(s), -1);
	T_EQ_INT(add_citizen(s, "acc-2", "001090012346", "B", NULL), 0);
	T_EQ_INT(generation(s), 1);
	close_store(&s);
}

T_CASE(same_answers_as_the_store_without_secrets)
{
	struct srv_app app;
	struct srv_store *s = new_store(&app, "same");
	struct srv_citizen *st = NULL, *a = NULL, *b = NULL;

	T_ASSERT(s != NULL);
	T_EQ_INT(add_citizen(s, "acc-1", "001090012345", "Nguyen Van A", NULL), 0);
	T_EQ_INT(srv_store_citizen_get(s, "acc-1", &st), 0);
	T_ASSERT(st->password_hash != NULL && st->totp_secret_enc != NULL);   /* the store has them */
	T_EQ_INT(srv_citizen_profile_get(&app, "acc-1", &a), 0);              /* miss */
	T_EQ_INT(srv_citizen_profile_get(&app, "acc-1", &b), 0);              /* hit */
	T_ASSERT(a != b);
	T_ASSERT(no_secrets(a));
	T_ASSERT(no_secrets(b));
	T_EQ_INT(b->id, st->id);
	T_EQ_STR(b->account_id, st->account_id);
	T_EQ_STR(b->citizen_id, st->citizen_id);
	T_EQ_STR(b->name, st->name);
	T_EQ_STR(b->birth_date, st->birth_date);
	T_EQ_STR(b->sex, st->sex);
	T_EQ_STR(b->address, st->address);
	T_EQ_STR(b->phone_number, st->phone_number);
	T_EQ_INT(b->phone_number_verified, st->phone_number_verified);
	T_EQ_STR(b->email, st->email);
	T_EQ_INT(b->email_verified, 1);
	T_EQ_INT(b->disabled, 0);
	T_EQ_INT(b->level, st->level);
	T_EQ_INT(b->created_at, 1234);
	srv_citizen_free(&a);
	srv_citizen_free(&b);
	/* by ID number: the same citizen */
	T_EQ_INT(srv_citizen_profile_get(&app, "001090012345", &a), 0);
	T_EQ_STR(a->account_id, "acc-1");
	T_ASSERT(no_secrets(a));
	srv_citizen_free(&a);
	T_EQ_INT(srv_citizen_profile_get(&app, NULL, &a), EID_ERR_INVALID_ARGUMENT);
	T_ASSERT(a == NULL);
	srv_citizen_free(&st);
	close_store(&s);
}

T_CASE(a_hit_does_not_read_the_store)
{
	struct srv_app app;
	struct srv_store *s = new_store(&app, "hit");
	struct srv_citizen *c = NULL;
	char sql[300];
	long long g;

	T_ASSERT(s != NULL);
	T_EQ_INT(add_citizen(s, "acc-1", "001090012345", "Before", NULL), 0);
	T_EQ_INT(srv_citizen_profile_get(&app, "acc-1", &c), 0);
	T_EQ_STR(c->name, "Before");
	srv_citizen_free(&c);
	/* change the row and put the generation back, in one transaction: the store now
	   says "Behind" under the label the cache holds */
	g = generation(s);
	snprintf(sql, sizeof(sql), "BEGIN; UPDATE citizens SET name = 'Behind' WHERE account_id = 'acc-1';"
	    " UPDATE settings SET value = '%lld' WHERE key = 'citizens_generation'; COMMIT;", g);
	T_EQ_INT(raw_exec(sql), SQLITE_OK);
	T_EQ_INT(generation(s), g);
	T_EQ_INT(srv_citizen_profile_get(&app, "acc-1", &c), 0);
	T_EQ_STR(c->name, "Before");             /* from the cache */
	srv_citizen_free(&c);
	T_EQ_INT(srv_citizen_profile_get(&app, "001090012345", &c), 0);
	T_EQ_STR(c->name, "Behind");             /* another key misses: the row did change */
	srv_citizen_free(&c);
	wait_recheck();
	T_EQ_INT(srv_citizen_profile_get(&app, "acc-1", &c), 0);
	T_EQ_STR(c->name, "Before");             /* rechecked, the label is the same: still cached */
	srv_citizen_free(&c);
	/* once the generation moves, the cache lets go */
	T_EQ_INT(srv_store_setting_bump(s, "citizens_generation", NULL), 0);
	wait_recheck();
	T_EQ_INT(srv_citizen_profile_get(&app, "acc-1", &c), 0);
	T_EQ_STR(c->name, "Behind");
	srv_citizen_free(&c);
	close_store(&s);
}

T_CASE(an_update_is_seen_within_the_recheck_time)
{
	struct srv_app app;
	struct srv_store *s = new_store(&app, "update");
	struct srv_citizen *c = NULL;

	T_ASSERT(s != NULL);
	T_EQ_INT(add_citizen(s, "acc-1", "001090012345", "A", NULL), 0);
	T_EQ_INT(srv_citizen_profile_get(&app, "acc-1", &c), 0);
	T_EQ_STR(c->email, "a@example.vn");
	/* the contact claims change through the store, as eidctl citizen set does */
	free(c->email);
	c->email = strdup("new@example.vn");
	T_ASSERT(c->email != NULL);
	c->email_verified = 0;
	T_EQ_INT(srv_store_citizen_update(s, c), 0);
	srv_citizen_free(&c);
	wait_recheck();
	T_EQ_INT(srv_citizen_profile_get(&app, "acc-1", &c), 0);
	T_EQ_STR(c->email, "new@example.vn");
	T_EQ_INT(c->email_verified, 0);
	T_ASSERT(no_secrets(c));
	srv_citizen_free(&c);
	close_store(&s);
}

T_CASE(a_disabled_citizen_is_seen_disabled_within_the_recheck_time)
{
	struct srv_app app;
	struct srv_store *s = new_store(&app, "disabled");
	struct srv_citizen *c = NULL;
	int i;

	T_ASSERT(s != NULL);
	T_EQ_INT(add_citizen(s, "acc-1", "001090012345", "A", NULL), 0);
	for (i = 0; i < 3; i++) {               /* a miss, then hits */
		T_EQ_INT(srv_citizen_profile_get(&app, "acc-1", &c), 0);
		T_EQ_INT(c->disabled, 0);
		srv_citizen_free(&c);
	}
	T_EQ_INT(srv_store_citizen_set_disabled(s, "001090012345", 1), 0);
	wait_recheck();
	T_EQ_INT(srv_citizen_profile_get(&app, "acc-1", &c), 0);
	T_EQ_INT(c->disabled, 1);
	srv_citizen_free(&c);
	T_EQ_INT(srv_store_citizen_set_disabled(s, "001090012345", 0), 0);
	wait_recheck();
	T_EQ_INT(srv_citizen_profile_get(&app, "acc-1", &c), 0);
	T_EQ_INT(c->disabled, 0);
	srv_citizen_free(&c);
	close_store(&s);
}

T_CASE(an_unknown_account_is_not_remembered)
{
	struct srv_app app;
	struct srv_store *s = new_store(&app, "unknown");
	struct srv_citizen *c = NULL;

	T_ASSERT(s != NULL);
	T_EQ_INT(add_citizen(s, "acc-1", "001090012345", "A", NULL), 0);
	T_EQ_INT(srv_citizen_profile_get(&app, "acc-1", &c), 0);      /* the cache is labelled */
	srv_citizen_free(&c);
	T_EQ_INT(srv_citizen_profile_get(&app, "acc-2", &c), EID_ERR_NOT_FOUND);
	T_ASSERT(c == NULL);
	/* added behind the cache's back with the label put back: only a store read finds it */
	T_EQ_INT(raw_exec("BEGIN; INSERT INTO citizens(account_id, citizen_id, name, created_at)"
	    " VALUES('acc-2', '001090012346', 'B', 1);"
	    " UPDATE settings SET value = CAST(value AS INTEGER) - 1 WHERE key = 'citizens_generation';"
	    " COMMIT;"), SQLITE_OK);
	T_EQ_INT(srv_citizen_profile_get(&app, "acc-2", &c), 0);      /* no wait */
	T_EQ_STR(c->name, "B");
	srv_citizen_free(&c);
	close_store(&s);
}

T_CASE(without_the_setting_the_store_is_read_every_time)
{
	struct srv_app app;
	struct srv_store *s = new_store(&app, "nogen");
	struct srv_citizen *c = NULL;

	T_ASSERT(s != NULL);
	T_EQ_INT(add_citizen(s, "acc-1", "001090012345", "A", NULL), 0);
	T_EQ_INT(raw_exec("DELETE FROM settings WHERE key = 'citizens_generation'"), SQLITE_OK);
	T_EQ_INT(srv_citizen_profile_get(&app, "acc-1", &c), 0);
	T_EQ_STR(c->name, "A");
	T_ASSERT(no_secrets(c));                /* uncached answers have no secrets either */
	srv_citizen_free(&c);
	/* a change that leaves no setting behind is seen at once */
	T_EQ_INT(raw_exec("BEGIN; UPDATE citizens SET name = 'Z' WHERE account_id = 'acc-1';"
	    " DELETE FROM settings WHERE key = 'citizens_generation'; COMMIT;"), SQLITE_OK);
	T_EQ_INT(srv_citizen_profile_get(&app, "acc-1", &c), 0);
	T_EQ_STR(c->name, "Z");
	T_ASSERT(no_secrets(c));
	srv_citizen_free(&c);
	close_store(&s);
}

T_CASE(another_store_is_another_cache)
{
	struct srv_app a1, a2;
	struct srv_store *s1 = new_store(&a1, "store1"), *s2 = new_store(&a2, "store2");
	struct srv_citizen *c = NULL;

	T_ASSERT(s1 != NULL && s2 != NULL);
	T_EQ_INT(add_citizen(s1, "acc-1", "001090012345", "in one", NULL), 0);
	T_EQ_INT(add_citizen(s2, "acc-1", "001090012345", "in two", NULL), 0);
	T_EQ_INT(generation(s1), generation(s2));      /* the same label in both */
	T_EQ_INT(srv_citizen_profile_get(&a1, "acc-1", &c), 0);
	T_EQ_STR(c->name, "in one");
	srv_citizen_free(&c);
	T_EQ_INT(srv_citizen_profile_get(&a2, "acc-1", &c), 0);
	T_EQ_STR(c->name, "in two");
	srv_citizen_free(&c);
	srv_store_close(&s2);
	close_store(&s1);
}

T_CASE(more_citizens_than_slots)
{
	struct srv_app app;
	struct srv_store *s = new_store(&app, "many");
	struct srv_citizen *c = NULL;
	char acc[32], idn[16], name[32];
	int i, round, n = 2 * SRV_PROFILE_CACHE_SLOTS + 3;

	T_ASSERT(s != NULL);
	for (i = 0; i < n; i++) {
		snprintf(acc, sizeof(acc), "acc-%d", i);
		snprintf(idn, sizeof(idn), "0010900%05d", i);
		snprintf(name, sizeof(name), "name %d", i);
		T_EQ_INT(add_citizen(s, acc, idn, name, NULL), 0);
	}
	for (round = 0; round < 2; round++)
		for (i = 0; i < n; i++) {
			snprintf(acc, sizeof(acc), "acc-%d", i);
			snprintf(name, sizeof(name), "name %d", i);
			T_EQ_INT(srv_citizen_profile_get(&app, acc, &c), 0);
			T_EQ_STR(c->account_id, acc);
			T_EQ_STR(c->name, name);
			srv_citizen_free(&c);
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
	struct srv_citizen *c = NULL;
	int i;

	a->ok = 1;
	for (i = 0; i < 100; i++) {
		if (srv_citizen_profile_get(a->app, "acc-1", &c) != 0 || strcmp(c->name, "A") != 0 ||
		    !no_secrets(c))
			a->ok = 0;
		srv_citizen_free(&c);
	}
	return NULL;        /* its cache is freed as the thread ends (ASan checks) */
}

T_CASE(each_thread_has_its_own_cache)
{
	struct srv_app app;
	struct srv_store *s = new_store(&app, "threads");
	struct thread_arg args[4];
	pthread_t th[4];
	struct srv_citizen *c = NULL;
	int i;

	T_ASSERT(s != NULL);
	T_EQ_INT(add_citizen(s, "acc-1", "001090012345", "A", NULL), 0);
	T_EQ_INT(srv_citizen_profile_get(&app, "acc-1", &c), 0);
	srv_citizen_free(&c);
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

int
main(void)
{
	if (sodium_init() < 0 || mkdtemp(tmpdir) == NULL) {
		printf("Bail out! cannot set up %s\n", tmpdir);
		return 1;
	}
	T_RUN(the_triggers_move_the_generation);
	T_RUN(same_answers_as_the_store_without_secrets);
	T_RUN(a_hit_does_not_read_the_store);
	T_RUN(an_update_is_seen_within_the_recheck_time);
	T_RUN(a_disabled_citizen_is_seen_disabled_within_the_recheck_time);
	T_RUN(an_unknown_account_is_not_remembered);
	T_RUN(without_the_setting_the_store_is_read_every_time);
	T_RUN(another_store_is_another_cache);
	T_RUN(more_citizens_than_slots);
	T_RUN(each_thread_has_its_own_cache);
	fixture_remove(tmpdir);
	return t_done();
}
