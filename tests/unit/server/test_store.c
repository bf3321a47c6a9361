/* test_store.c - the SQLite store (server/srv_store_sqlite.c) against real files. */
#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "cx_util.h"
#include "srv_store.h"
#include "../t.h"

static char tmpdir[] = "/tmp/eid-test-store-XXXXXX";
static char errbuf[256];

/* A fresh database path in the temp dir: tmpdir/<name>.db */
static const char *
db_path(const char *name)
{
	static char p[512];

	snprintf(p, sizeof(p), "%s/%s.db", tmpdir, name);
	return p;
}

static struct srv_store *
open_store(const char *path, int target)
{
	struct srv_store *s = NULL;

	if (srv_store_sqlite_open(path, target, &s, errbuf, sizeof(errbuf)) != 0) {
		printf("# open %s: %s\n", path, errbuf);
		return NULL;
	}
	return s;
}

/* Run SQL on the file with a plain connection; the SQLite result code, errmsg copied. */
static int
raw_exec(const char *path, const char *sql, char *msg, size_t msglen)
{
	sqlite3 *db = NULL;
	char *em = NULL;
	int rc;

	if (msg != NULL && msglen > 0)
		msg[0] = '\0';
	if ((rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL)) == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, &em);
	if (msg != NULL && msglen > 0 && em != NULL)
		snprintf(msg, msglen, "%s", em);
	sqlite3_free(em);
	sqlite3_close(db);
	return rc;
}

/* The first column of the first row as an integer (-1 on any failure or no row). */
static long long
raw_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long v = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* The first column of the first row as a malloc'd string (NULL on failure). */
static char *
raw_str(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char *v = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
		v = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void
init_citizen(struct srv_citizen *c, const char *account, const char *idn)
{
	memset(c, 0, sizeof(*c));
	c->account_id = (char *)account;
	c->citizen_id = (char *)idn;
	c->name = "Nguyen Van A";
	c->birth_date = "1990-01-02";
	c->sex = "male";
	c->password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
}

T_CASE(t_open_creates_private_file)
{
	const char *p = db_path("open");
	struct srv_store *s = NULL;
	struct stat sb;
	int v = 0;

	T_ASSERT((s = open_store(p, 0)) != NULL);
	T_EQ_STR(s->ops->name, "sqlite");
	T_EQ_INT(stat(p, &sb), 0);
	T_EQ_INT(sb.st_mode & 0777, 0600);
	T_EQ_INT(srv_store_ping(s), 0);
	T_EQ_INT(srv_store_schema_version(s, &v), 0);
	T_EQ_INT(v, srv_store_sqlite_latest_version());
	T_ASSERT(srv_store_sqlite_latest_version() >= 3);   /* 3: contact claims */
	srv_store_close(&s);
	T_ASSERT(s == NULL);
	srv_store_close(&s);            /* NULL is fine */
	T_EQ_INT(raw_int(p, "PRAGMA user_version"), srv_store_sqlite_latest_version());
	{
		char *jm = raw_str(p, "PRAGMA journal_mode");

		T_EQ_STR(jm, "wal");
		free(jm);
	}
	/* Reopening an up-to-date database changes nothing. */
	T_ASSERT((s = open_store(p, 0)) != NULL);
	srv_store_close(&s);
	T_EQ_INT(raw_int(p, "PRAGMA user_version"), srv_store_sqlite_latest_version());
}

T_CASE(t_open_bad_arguments)
{
	struct srv_store *s = NULL;
	char path[512];

	T_EQ_INT(srv_store_sqlite_open(db_path("bad"), srv_store_sqlite_latest_version() + 1, &s,
	    errbuf, sizeof(errbuf)),
	    EID_ERR_INVALID_ARGUMENT);
	T_ASSERT(s == NULL);
	T_EQ_INT(srv_store_sqlite_open(db_path("bad"), -1, &s, errbuf, sizeof(errbuf)),
	    EID_ERR_INVALID_ARGUMENT);
	T_EQ_INT(srv_store_sqlite_open(NULL, 0, &s, NULL, 0), EID_ERR_INVALID_ARGUMENT);
	snprintf(path, sizeof(path), "%s/no/such/dir.db", tmpdir);
	T_EQ_INT(srv_store_sqlite_open(path, 0, &s, errbuf, sizeof(errbuf)), EID_ERR_IO);
	T_ASSERT(s == NULL);
	T_ASSERT(strstr(errbuf, "no/such/dir.db") != NULL);
	/* Not a database. */
	{
		FILE *f = fopen(db_path("junk"), "w");

		T_ASSERT(f != NULL);
		fputs("this is not an SQLite database, just some text that is long enough..."
		    "................................................................", f);
		fclose(f);
	}
	T_ASSERT(srv_store_sqlite_open(db_path("junk"), 0, &s, errbuf, sizeof(errbuf)) < 0);
	T_ASSERT(s == NULL);
	T_ASSERT(errbuf[0] != '\0');
}

T_CASE(t_clients)
{
	const char *p = db_path("clients");
	struct srv_store *s = NULL;
	struct srv_client c, *got = NULL, **list = NULL;
	json_t *md = NULL;
	char *stored = NULL;
	size_t n = 0;

	T_ASSERT((s = open_store(p, 0)) != NULL);
	md = json_pack("{s:[s,s],s:s,s:i}", "redirect_uris", "https://rp.example/cb",
	    "https://rp.example/cb2", "token_endpoint_auth_method", "client_secret_basic",
	    "a_number", 7);
	T_ASSERT(md != NULL);
	memset(&c, 0, sizeof(c));
	c.client_id = "rp-1";
	c.name = "Relying party one";
	c.metadata = md;
	memset(c.secret_hash, 0xab, sizeof(c.secret_hash));
	c.has_secret = 1;
	c.created_at = 1700000000;
	T_EQ_INT(srv_store_client_add(s, &c), 0);
	T_EQ_INT(srv_store_client_add(s, &c), EID_ERR_EXISTS);

	T_EQ_INT(srv_store_client_get(s, "rp-1", &got), 0);
	T_EQ_STR(got->client_id, "rp-1");
	T_EQ_STR(got->name, "Relying party one");
	T_ASSERT(json_equal(got->metadata, md));
	T_EQ_INT(got->has_secret, 1);
	T_EQ_MEM(got->secret_hash, 32, c.secret_hash, 32);
	T_EQ_INT(got->disabled, 0);
	T_EQ_INT(got->created_at, 1700000000);
	srv_client_free(&got);
	T_ASSERT(got == NULL);

	/* Stored compact with sorted keys. */
	stored = raw_str(p, "SELECT metadata FROM clients WHERE client_id = 'rp-1'");
	T_EQ_STR(stored, "{\"a_number\":7,\"redirect_uris\":[\"https://rp.example/cb\","
	    "\"https://rp.example/cb2\"],\"token_endpoint_auth_method\":\"client_secret_basic\"}");
	free(stored);

	T_EQ_INT(srv_store_client_get(s, "nope", &got), EID_ERR_NOT_FOUND);
	T_ASSERT(got == NULL);

	/* A public client: no secret, no metadata given, created now. */
	memset(&c, 0, sizeof(c));
	c.client_id = "app-0";
	c.name = "Mobile app";
	T_EQ_INT(srv_store_client_add(s, &c), 0);
	T_EQ_INT(srv_store_client_list(s, &list, &n), 0);
	T_EQ_INT(n, 2);
	T_EQ_STR(list[0]->client_id, "app-0");
	T_EQ_STR(list[1]->client_id, "rp-1");
	T_EQ_INT(list[0]->has_secret, 0);
	T_ASSERT(json_is_object(list[0]->metadata) && json_object_size(list[0]->metadata) == 0);
	T_ASSERT(list[0]->created_at > 1700000000);
	srv_client_list_free(list, n);
	list = NULL;

	/* Update replaces name, metadata, secret and disabled. */
	memset(&c, 0, sizeof(c));
	c.client_id = "rp-1";
	c.name = "Renamed";
	c.metadata = json_pack("{s:[s]}", "redirect_uris", "https://new.example/cb");
	c.disabled = 1;
	T_ASSERT(c.metadata != NULL);
	T_EQ_INT(srv_store_client_update(s, &c), 0);
	T_EQ_INT(srv_store_client_get(s, "rp-1", &got), 0);
	T_EQ_STR(got->name, "Renamed");
	T_ASSERT(json_equal(got->metadata, c.metadata));
	T_EQ_INT(got->has_secret, 0);
	T_EQ_INT(got->disabled, 1);
	T_EQ_INT(got->created_at, 1700000000);
	srv_client_free(&got);
	c.client_id = "ghost";
	T_EQ_INT(srv_store_client_update(s, &c), EID_ERR_NOT_FOUND);
	json_decref(c.metadata);

	/* Metadata must be an object. */
	memset(&c, 0, sizeof(c));
	c.client_id = "arr";
	c.name = "x";
	c.metadata = json_array();
	T_EQ_INT(srv_store_client_add(s, &c), EID_ERR_INVALID_ARGUMENT);
	json_decref(c.metadata);
	c.client_id = NULL;
	T_EQ_INT(srv_store_client_add(s, &c), EID_ERR_INVALID_ARGUMENT);

	/* A corrupt row (metadata not an object) is reported, not returned. */
	T_EQ_INT(raw_exec(p, "INSERT INTO clients VALUES('bad', 'b', NULL, '[1]', 0, 1, 1)",
	    NULL, 0), SQLITE_OK);
	T_EQ_INT(srv_store_client_get(s, "bad", &got), EID_ERR_FORMAT);
	T_ASSERT(got == NULL);
	T_EQ_INT(srv_store_client_list(s, &list, &n), EID_ERR_FORMAT);
	T_ASSERT(list == NULL && n == 0);

	T_EQ_INT(srv_store_client_remove(s, "bad"), 0);
	T_EQ_INT(srv_store_client_remove(s, "rp-1"), 0);
	T_EQ_INT(srv_store_client_remove(s, "rp-1"), EID_ERR_NOT_FOUND);
	T_EQ_INT(srv_store_client_get(s, "rp-1", &got), EID_ERR_NOT_FOUND);
	T_EQ_INT(srv_store_client_list(s, &list, &n), 0);
	T_EQ_INT(n, 1);
	srv_client_list_free(list, n);
	srv_store_close(&s);
	json_decref(md);
}

T_CASE(t_citizens)
{
	const char *p = db_path("citizens");
	static const uint8_t totp[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0xff };
	struct srv_store *s = NULL;
	struct srv_citizen c, *got = NULL, **list = NULL;
	int64_t id = 0, id2 = 0;
	size_t n = 0;

	T_ASSERT((s = open_store(p, 0)) != NULL);
	init_citizen(&c, "acc-one", "001090012345");
	c.totp_secret_enc = (uint8_t *)totp;
	c.totp_secret_enc_len = sizeof(totp);
	T_EQ_INT(srv_store_citizen_add(s, &c, &id), 0);
	T_ASSERT(id > 0);

	T_EQ_INT(srv_store_citizen_get(s, "001090012345", &got), 0);
	T_EQ_INT(got->id, id);
	T_EQ_STR(got->account_id, "acc-one");
	T_EQ_STR(got->citizen_id, "001090012345");
	T_EQ_STR(got->name, "Nguyen Van A");
	T_EQ_STR(got->birth_date, "1990-01-02");
	T_EQ_STR(got->sex, "male");
	T_EQ_STR(got->password_hash, c.password_hash);
	T_EQ_MEM(got->totp_secret_enc, got->totp_secret_enc_len, totp, sizeof(totp));
	T_EQ_INT(got->level, 1);
	T_EQ_INT(got->disabled, 0);
	T_ASSERT(got->created_at > 0);
	srv_citizen_free(&got);
	T_ASSERT(got == NULL);

	T_EQ_INT(srv_store_citizen_get(s, "acc-one", &got), 0);
	T_EQ_INT(got->id, id);
	srv_citizen_free(&got);
	T_EQ_INT(srv_store_citizen_get(s, "999999999999", &got), EID_ERR_NOT_FOUND);
	T_ASSERT(got == NULL);

	/* Duplicates: the same ID number, or the same account id. */
	init_citizen(&c, "acc-two", "001090012345");
	T_EQ_INT(srv_store_citizen_add(s, &c, &id2), EID_ERR_EXISTS);
	init_citizen(&c, "acc-one", "079200000001");
	T_EQ_INT(srv_store_citizen_add(s, &c, &id2), EID_ERR_EXISTS);

	/* The CHECK refuses an ID number that is not 12 characters: an error, no crash. */
	init_citizen(&c, "acc-short", "12345");
	T_EQ_INT(srv_store_citizen_add(s, &c, &id2), EID_ERR_INVALID_ARGUMENT);
	init_citizen(&c, "acc-long", "0010900123456");
	T_EQ_INT(srv_store_citizen_add(s, &c, &id2), EID_ERR_INVALID_ARGUMENT);
	init_citizen(&c, NULL, "001090012346");
	T_EQ_INT(srv_store_citizen_add(s, &c, &id2), EID_ERR_INVALID_ARGUMENT);

	/* A second one, level 2, no password or TOTP. */
	init_citizen(&c, "acc-two", "079200000001");
	c.password_hash = NULL;
	c.sex = "female";
	c.level = 2;
	c.created_at = 1600000000;
	T_EQ_INT(srv_store_citizen_add(s, &c, &id2), 0);
	T_ASSERT(id2 > id);
	T_EQ_INT(srv_store_citizen_get(s, "acc-two", &got), 0);
	T_EQ_INT(got->level, 2);
	T_ASSERT(got->password_hash == NULL);
	T_ASSERT(got->totp_secret_enc == NULL && got->totp_secret_enc_len == 0);
	T_EQ_INT(got->created_at, 1600000000);
	srv_citizen_free(&got);

	/* Disable, enable, set the password. */
	T_EQ_INT(srv_store_citizen_set_disabled(s, "079200000001", 1), 0);
	T_EQ_INT(srv_store_citizen_get(s, "079200000001", &got), 0);
	T_EQ_INT(got->disabled, 1);
	srv_citizen_free(&got);
	T_EQ_INT(srv_store_citizen_set_disabled(s, "000000000000", 1), EID_ERR_NOT_FOUND);
	T_EQ_INT(srv_store_citizen_set_password(s, id2, "$argon2id$new"), 0);
	T_EQ_INT(srv_store_citizen_set_password(s, 999999, "$argon2id$new"), EID_ERR_NOT_FOUND);
	T_EQ_INT(srv_store_citizen_get(s, "acc-two", &got), 0);
	T_EQ_STR(got->password_hash, "$argon2id$new");
	srv_citizen_free(&got);

	T_EQ_INT(srv_store_citizen_list(s, &list, &n), 0);
	T_EQ_INT(n, 2);
	T_EQ_INT(list[0]->id, id);
	T_EQ_INT(list[1]->id, id2);
	T_EQ_INT(list[0]->disabled, 0);
	T_EQ_INT(list[1]->disabled, 1);
	srv_citizen_list_free(list, n);
	srv_store_close(&s);
}

/* The contact claims: stored with add, changed with update, NULL when absent. */
T_CASE(t_citizen_contact)
{
	const char *p = db_path("contact");
	static const char addr[] = "{\"country\":\"Việt Nam\",\"locality\":\"Huế\"}";
	struct srv_store *s = NULL;
	struct srv_citizen c, *got = NULL, **list = NULL;
	int64_t id = 0, id2 = 0;
	size_t n = 0;

	T_ASSERT((s = open_store(p, 0)) != NULL);
	init_citizen(&c, "acc-full", "001090012345");
	c.address = (char *)addr;
	c.phone_number = "+84912345678";
	c.phone_number_verified = 1;
	c.email = "an@example.vn";
	c.email_verified = 0;
	T_EQ_INT(srv_store_citizen_add(s, &c, &id), 0);
	init_citizen(&c, "acc-none", "079200000001");
	c.phone_number_verified = 1;            /* a flag without its value is not stored */
	c.email_verified = 1;
	T_EQ_INT(srv_store_citizen_add(s, &c, &id2), 0);

	T_EQ_INT(srv_store_citizen_get(s, "acc-full", &got), 0);
	T_EQ_STR(got->address, addr);
	T_EQ_STR(got->phone_number, "+84912345678");
	T_EQ_INT(got->phone_number_verified, 1);
	T_EQ_STR(got->email, "an@example.vn");
	T_EQ_INT(got->email_verified, 0);
	srv_citizen_free(&got);
	T_EQ_INT(srv_store_citizen_get(s, "acc-none", &got), 0);
	T_ASSERT(got->address == NULL && got->phone_number == NULL && got->email == NULL);
	T_EQ_INT(got->phone_number_verified, 0);
	T_EQ_INT(got->email_verified, 0);

	/* update: the contact fields only */
	got->address = strdup("{\"region\":\"Hà Nội\"}");
	got->email = strdup("b@example.vn");
	got->email_verified = 1;
	free(got->name);
	got->name = strdup("Changed Name");    /* not a contact field: stays as it was */
	T_ASSERT(got->address != NULL && got->email != NULL && got->name != NULL);
	T_EQ_INT(srv_store_citizen_update(s, got), 0);
	srv_citizen_free(&got);
	T_EQ_INT(srv_store_citizen_get(s, "079200000001", &got), 0);
	T_EQ_STR(got->address, "{\"region\":\"Hà Nội\"}");
	T_EQ_STR(got->email, "b@example.vn");
	T_EQ_INT(got->email_verified, 1);
	T_ASSERT(got->phone_number == NULL);
	T_EQ_STR(got->name, "Nguyen Van A");
	srv_citizen_free(&got);

	/* clearing */
	T_EQ_INT(srv_store_citizen_get(s, "acc-full", &got), 0);
	free(got->address);
	free(got->phone_number);
	got->address = NULL;
	got->phone_number = NULL;
	T_EQ_INT(srv_store_citizen_update(s, got), 0);
	srv_citizen_free(&got);
	T_EQ_INT(srv_store_citizen_get(s, "acc-full", &got), 0);
	T_ASSERT(got->address == NULL && got->phone_number == NULL);
	T_EQ_INT(got->phone_number_verified, 0);
	T_EQ_STR(got->email, "an@example.vn");

	/* the schema's own checks: an error, never a crash or a bad row */
	got->address = strdup("[1]");
	T_EQ_INT(srv_store_citizen_update(s, got), EID_ERR_INVALID_ARGUMENT);
	free(got->address);
	got->address = strdup("{not json");
	T_EQ_INT(srv_store_citizen_update(s, got), EID_ERR_INVALID_ARGUMENT);
	free(got->address);
	got->address = NULL;
	got->phone_number = strdup("0912345678");
	T_EQ_INT(srv_store_citizen_update(s, got), EID_ERR_INVALID_ARGUMENT);
	free(got->phone_number);
	got->phone_number = NULL;
	free(got->email);
	got->email = strdup("no-at-sign");
	T_EQ_INT(srv_store_citizen_update(s, got), EID_ERR_INVALID_ARGUMENT);
	got->id = 999999;
	free(got->email);
	got->email = NULL;
	T_EQ_INT(srv_store_citizen_update(s, got), EID_ERR_NOT_FOUND);
	srv_citizen_free(&got);
	T_EQ_INT(srv_store_citizen_update(s, NULL), EID_ERR_INVALID_ARGUMENT);
	T_EQ_INT(srv_store_citizen_get(s, "acc-full", &got), 0);
	T_EQ_STR(got->email, "an@example.vn");
	srv_citizen_free(&got);

	T_EQ_INT(srv_store_citizen_list(s, &list, &n), 0);
	T_EQ_INT(n, 2);
	T_EQ_STR(list[0]->email, "an@example.vn");
	T_EQ_STR(list[1]->address, "{\"region\":\"Hà Nội\"}");
	srv_citizen_list_free(list, n);
	srv_store_close(&s);
}

T_CASE(t_keys)
{
	const char *p = db_path("keys");
	struct srv_store *s = NULL;
	struct srv_signing_key_row k, **list = NULL;
	size_t n = 0;

	T_ASSERT((s = open_store(p, 0)) != NULL);
	T_EQ_INT(srv_store_key_list(s, &list, &n), 0);
	T_EQ_INT(n, 0);
	free(list);
	memset(&k, 0, sizeof(k));
	k.kid = "k1";
	k.alg = "ES256";
	k.state = "active";
	k.file = "k1.pem";
	k.created_at = 100;
	T_EQ_INT(srv_store_key_add(s, &k), 0);
	T_EQ_INT(srv_store_key_add(s, &k), EID_ERR_EXISTS);
	k.kid = "k0";
	k.alg = "RS256";
	k.file = "k0.pem";
	k.created_at = 50;
	T_EQ_INT(srv_store_key_add(s, &k), 0);
	k.kid = "k2";
	k.state = "lost";
	T_EQ_INT(srv_store_key_add(s, &k), EID_ERR_INVALID_ARGUMENT);

	T_EQ_INT(srv_store_key_set_state(s, "k0", "published"), 0);
	T_EQ_INT(srv_store_key_set_state(s, "k0", "bogus"), EID_ERR_INVALID_ARGUMENT);
	T_EQ_INT(srv_store_key_set_state(s, "nokey", "retired"), EID_ERR_NOT_FOUND);

	T_EQ_INT(srv_store_key_list(s, &list, &n), 0);
	T_EQ_INT(n, 2);
	T_EQ_STR(list[0]->kid, "k0");
	T_EQ_STR(list[0]->alg, "RS256");
	T_EQ_STR(list[0]->state, "published");
	T_EQ_STR(list[0]->file, "k0.pem");
	T_EQ_INT(list[0]->created_at, 50);
	T_EQ_STR(list[1]->kid, "k1");
	T_EQ_STR(list[1]->state, "active");
	srv_signing_key_list_free(list, n);
	srv_store_close(&s);
}

T_CASE(t_audit)
{
	const char *p = db_path("audit");
	struct srv_store *s = NULL;
	struct srv_audit_event e, **list = NULL;
	char subj[32], msg[256];
	int64_t after = 0, prev = 0;
	size_t n = 0, total = 0;
	int i, pages = 0;

	T_ASSERT((s = open_store(p, 0)) != NULL);
	memset(&e, 0, sizeof(e));
	e.actor = "eidctl";
	e.action = "client.add";
	e.outcome = "success";
	for (i = 0; i < 25; i++) {
		snprintf(subj, sizeof(subj), "client-%02d", i);
		e.subject = subj;
		e.details = i % 2 ? "{\"n\":1}" : NULL;
		e.at = i == 0 ? 0 : 1700000000 + i;
		T_EQ_INT(srv_store_audit_append(s, &e), 0);
	}
	e.actor = NULL;
	T_EQ_INT(srv_store_audit_append(s, &e), EID_ERR_INVALID_ARGUMENT);

	/* Pages of 10: 10, 10, 5, then nothing. */
	for (;;) {
		T_EQ_INT(srv_store_audit_list(s, after, 10, &list, &n), 0);
		if (n == 0) {
			free(list);
			break;
		}
		pages++;
		T_ASSERT(n == (pages < 3 ? 10u : 5u));
		for (size_t j = 0; j < n; j++) {
			T_ASSERT(list[j]->id > prev);
			prev = list[j]->id;
			snprintf(subj, sizeof(subj), "client-%02zu", total + j);
			T_EQ_STR(list[j]->subject, subj);
			T_EQ_STR(list[j]->actor, "eidctl");
			T_EQ_STR(list[j]->action, "client.add");
			T_EQ_STR(list[j]->outcome, "success");
			T_ASSERT(((total + j) % 2 == 1) == (list[j]->details != NULL));
			T_ASSERT(list[j]->at >= 1700000000);
		}
		total += n;
		after = list[n - 1]->id;
		srv_audit_list_free(list, n);
		list = NULL;
	}
	T_EQ_INT(pages, 3);
	T_EQ_INT(total, 25);
	T_EQ_INT(srv_store_audit_list(s, 0, 0, &list, &n), 0);
	T_EQ_INT(n, 0);
	free(list);
	T_EQ_INT(srv_store_audit_list(s, 0, SIZE_MAX, &list, &n), 0);
	T_EQ_INT(n, 25);
	srv_audit_list_free(list, n);
	srv_store_close(&s);

	/* The triggers refuse UPDATE and DELETE, even from a plain connection. */
	T_EQ_INT(raw_exec(p, "UPDATE audit_log SET outcome = 'failure'", msg, sizeof(msg)) & 0xff,
	    SQLITE_CONSTRAINT);
	T_ASSERT(strstr(msg, "append-only") != NULL);
	T_EQ_INT(raw_exec(p, "DELETE FROM audit_log WHERE id = 1", msg, sizeof(msg)) & 0xff,
	    SQLITE_CONSTRAINT);
	T_ASSERT(strstr(msg, "append-only") != NULL);
	T_EQ_INT(raw_int(p, "SELECT count(*) FROM audit_log WHERE outcome = 'success'"), 25);
}

struct bump_arg {
	struct srv_store *s;
	int failures;
	int64_t last;
};

static void *
bump_thread(void *p)
{
	struct bump_arg *a = p;
	int64_t v = 0, prev = 0;
	int i;

	for (i = 0; i < 100; i++) {
		if (srv_store_setting_bump(a->s, "clients_generation", &v) != 0 || v <= prev)
			a->failures++;
		prev = v;
	}
	a->last = prev;
	return NULL;
}

T_CASE(t_settings_bump)
{
	const char *p = db_path("settings");
	struct srv_store *s = NULL;
	struct bump_arg args[4];
	pthread_t th[4];
	char *v = NULL;
	int64_t nv = 0;
	int i;

	T_ASSERT((s = open_store(p, 0)) != NULL);
	T_EQ_INT(srv_store_setting_get(s, "keys_generation", &v), EID_ERR_NOT_FOUND);
	T_ASSERT(v == NULL);
	T_EQ_INT(srv_store_setting_bump(s, "keys_generation", &nv), 0);
	T_EQ_INT(nv, 1);
	T_EQ_INT(srv_store_setting_bump(s, "keys_generation", &nv), 0);
	T_EQ_INT(nv, 2);
	T_EQ_INT(srv_store_setting_get(s, "keys_generation", &v), 0);
	T_EQ_STR(v, "2");
	free(v);
	v = NULL;

	/* 4 threads x 100 bumps, each on its own connection, lose nothing. */
	for (i = 0; i < 4; i++) {
		args[i].s = s;
		args[i].failures = 0;
		args[i].last = 0;
		T_EQ_INT(pthread_create(&th[i], NULL, bump_thread, &args[i]), 0);
	}
	for (i = 0; i < 4; i++)
		T_EQ_INT(pthread_join(th[i], NULL), 0);
	for (i = 0; i < 4; i++)
		T_EQ_INT(args[i].failures, 0);
	T_EQ_INT(srv_store_setting_get(s, "clients_generation", &v), 0);
	T_EQ_STR(v, "400");
	free(v);
	srv_store_close(&s);
}

struct audit_arg {
	struct srv_store *s;
	int id;
	int failures;
};

static void *
audit_thread(void *p)
{
	struct audit_arg *a = p;
	struct srv_audit_event e;
	char actor[16], subject[16];
	int i;

	for (i = 0; i < 50; i++) {
		snprintf(actor, sizeof(actor), "t%d", a->id);
		snprintf(subject, sizeof(subject), "n%d", i);
		memset(&e, 0, sizeof(e));
		e.at = 1700000000;
		e.actor = actor;
		e.action = "test.group";
		e.subject = subject;
		e.outcome = "success";
		e.details = "{}";
		if (srv_store_audit_append(a->s, &e) != 0)
			a->failures++;
	}
	return NULL;
}

/* Group commit: 8 threads x 50 events at once, each on its own connection; every event
 * is written exactly once, and each call returned only after its event was. */
T_CASE(t_audit_group_commit)
{
	struct srv_store *s = NULL;
	struct audit_arg args[8];
	pthread_t th[8];
	struct srv_audit_event **v = NULL;
	size_t n = 0, i;
	int seen[8][50], dup = 0, k, j, failures = 0;

	memset(seen, 0, sizeof(seen));
	T_ASSERT((s = open_store(db_path("audit_group"), 0)) != NULL);
	for (k = 0; k < 8; k++) {
		args[k].s = s;
		args[k].id = k;
		args[k].failures = 0;
		T_EQ_INT(pthread_create(&th[k], NULL, audit_thread, &args[k]), 0);
	}
	for (k = 0; k < 8; k++) {
		T_EQ_INT(pthread_join(th[k], NULL), 0);
		failures += args[k].failures;
	}
	T_EQ_INT(failures, 0);
	T_EQ_INT(srv_store_audit_list(s, 0, 1000, &v, &n), 0);
	T_EQ_INT((long long)n, 400);
	for (i = 0; i < n; i++) {
		if (sscanf(v[i]->actor, "t%d", &k) != 1 || sscanf(v[i]->subject, "n%d", &j) != 1 ||
		    k < 0 || k >= 8 || j < 0 || j >= 50 || seen[k][j]++ != 0)
			dup++;
	}
	T_EQ_INT(dup, 0);
	srv_audit_list_free(v, n);
	srv_store_close(&s);
}

T_CASE(t_migrate_old_database)
{
	const char *p = db_path("old");
	struct srv_store *s = NULL;
	struct srv_client c, *cl = NULL;
	struct srv_citizen *ct = NULL;
	int v = 0;

	/* A version 1 database, as an earlier release left it. */
	T_ASSERT((s = open_store(p, 1)) != NULL);
	T_EQ_INT(srv_store_schema_version(s, &v), 0);
	T_EQ_INT(v, 1);
	memset(&c, 0, sizeof(c));
	c.client_id = "rp-old";
	c.name = "Old RP";
	T_EQ_INT(srv_store_client_add(s, &c), 0);
	srv_store_close(&s);
	T_EQ_INT(raw_int(p, "SELECT count(*) FROM sqlite_master WHERE name = 'credentials'"), 0);
	T_EQ_INT(raw_exec(p, "INSERT INTO citizens(account_id, citizen_id, name, created_at)"
	    " VALUES('acc-old', '001090000001', 'Tran Thi B', 1500000000)", NULL, 0), SQLITE_OK);

	/* Opening with this program brings it to the latest version. */
	T_ASSERT((s = open_store(p, 0)) != NULL);
	T_EQ_INT(srv_store_schema_version(s, &v), 0);
	T_EQ_INT(v, srv_store_sqlite_latest_version());
	T_EQ_INT(srv_store_citizen_get(s, "001090000001", &ct), 0);
	T_EQ_STR(ct->account_id, "acc-old");
	T_EQ_INT(ct->level, 1);
	T_EQ_INT(ct->created_at, 1500000000);
	T_EQ_INT(srv_store_client_get(s, "rp-old", &cl), 0);
	T_EQ_STR(cl->name, "Old RP");
	srv_client_free(&cl);
	T_EQ_INT(raw_int(p, "PRAGMA user_version"), srv_store_sqlite_latest_version());
	T_EQ_INT(raw_int(p, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
	    " AND name IN ('credentials', 'consents')"), 2);
	T_EQ_INT(raw_int(p, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
	    " AND name = 'audit_log_subject_at'"), 1);

	/* The new tables work, and the store's connections enforce foreign keys. */
	{
		char sql[256];

		snprintf(sql, sizeof(sql), "INSERT INTO consents VALUES(%lld, 'rp-old', 'openid', 1)",
		    (long long)ct->id);
		T_EQ_INT(raw_exec(p, sql, NULL, 0), SQLITE_OK);
		snprintf(sql, sizeof(sql), "INSERT INTO credentials(citizen, type, credential_id,"
		    " created_at) VALUES(%lld, 'passkey', x'0102', 1)", (long long)ct->id);
		T_EQ_INT(raw_exec(p, sql, NULL, 0), SQLITE_OK);
		T_EQ_INT(raw_exec(p, sql, NULL, 0) & 0xff, SQLITE_CONSTRAINT);
	}
	srv_citizen_free(&ct);
	T_EQ_INT(srv_store_client_remove(s, "rp-old"), 0);
	T_EQ_INT(raw_int(p, "SELECT count(*) FROM consents"), 0);
	srv_store_close(&s);
}

/* A version 2 database (before the contact claims) keeps its data through migration 3. */
T_CASE(t_migrate_v2_database)
{
	const char *p = db_path("v2");
	struct srv_store *s = NULL;
	struct srv_client c;
	struct srv_citizen ct, *got = NULL;
	char *scope = NULL;
	int64_t id = 0;
	int v = 0;

	T_ASSERT((s = open_store(p, 2)) != NULL);
	T_EQ_INT(srv_store_schema_version(s, &v), 0);
	T_EQ_INT(v, 2);
	memset(&c, 0, sizeof(c));
	c.client_id = "rp-v2";
	c.name = "RP v2";
	T_EQ_INT(srv_store_client_add(s, &c), 0);
	srv_store_close(&s);
	T_EQ_INT(raw_int(p, "SELECT count(*) FROM pragma_table_info('citizens')"
	    " WHERE name IN ('address', 'email')"), 0);
	/* rows as version 2 wrote them (its INSERT had no contact columns) */
	T_EQ_INT(raw_exec(p, "INSERT INTO citizens(account_id, citizen_id, name, birth_date, sex,"
	    " password_hash, totp_secret_enc, level, created_at) VALUES('acc-v2', '001090000003',"
	    " 'Pham Van D', '1990-03-04', 'male', '$argon2id$x', x'0a0b', 2, 1550000000)",
	    NULL, 0), SQLITE_OK);
	T_EQ_INT(raw_exec(p, "INSERT INTO consents SELECT id, 'rp-v2', 'openid profile', 7"
	    " FROM citizens WHERE account_id = 'acc-v2'", NULL, 0), SQLITE_OK);
	T_EQ_INT(raw_exec(p, "INSERT INTO credentials(citizen, type, credential_id, created_at)"
	    " SELECT id, 'passkey', x'0303', 8 FROM citizens WHERE account_id = 'acc-v2'",
	    NULL, 0), SQLITE_OK);

	T_ASSERT((s = open_store(p, 0)) != NULL);
	T_EQ_INT(srv_store_schema_version(s, &v), 0);
	T_EQ_INT(v, srv_store_sqlite_latest_version());
	T_ASSERT(v >= 3);
	T_EQ_INT(srv_store_citizen_get(s, "001090000003", &got), 0);
	T_EQ_STR(got->account_id, "acc-v2");
	T_EQ_STR(got->name, "Pham Van D");
	T_EQ_STR(got->birth_date, "1990-03-04");
	T_EQ_STR(got->sex, "male");
	T_EQ_STR(got->password_hash, "$argon2id$x");
	T_EQ_MEM(got->totp_secret_enc, got->totp_secret_enc_len, "\x0a\x0b", 2);
	T_EQ_INT(got->level, 2);
	T_EQ_INT(got->created_at, 1550000000);
	T_ASSERT(got->address == NULL && got->phone_number == NULL && got->email == NULL);
	T_EQ_INT(got->phone_number_verified, 0);
	T_EQ_INT(got->email_verified, 0);
	id = got->id;
	T_EQ_INT(srv_store_consent_get(s, "acc-v2", "rp-v2", &scope), 0);
	T_EQ_STR(scope, "openid profile");
	free(scope);
	T_EQ_INT(raw_int(p, "SELECT count(*) FROM credentials WHERE citizen ="
	    " (SELECT id FROM citizens WHERE account_id = 'acc-v2')"), 1);

	/* the new columns work on the migrated row, and new rows go in beside it */
	got->phone_number = strdup("+84987654321");
	got->phone_number_verified = 1;
	T_ASSERT(got->phone_number != NULL);
	T_EQ_INT(srv_store_citizen_update(s, got), 0);
	srv_citizen_free(&got);
	T_EQ_INT(srv_store_citizen_get(s, "acc-v2", &got), 0);
	T_EQ_INT(got->id, id);
	T_EQ_STR(got->phone_number, "+84987654321");
	T_EQ_INT(got->phone_number_verified, 1);
	srv_citizen_free(&got);
	init_citizen(&ct, "acc-v3", "079200000009");
	ct.email = "x@example.vn";
	T_EQ_INT(srv_store_citizen_add(s, &ct, NULL), 0);
	srv_store_close(&s);
	T_EQ_INT(raw_int(p, "PRAGMA user_version"), srv_store_sqlite_latest_version());
}

T_CASE(t_newer_database_refused)
{
	const char *p = db_path("newer");
	struct srv_store *s = NULL;

	T_ASSERT((s = open_store(p, 0)) != NULL);
	srv_store_close(&s);
	T_EQ_INT(raw_exec(p, "PRAGMA user_version = 99", NULL, 0), SQLITE_OK);
	errbuf[0] = '\0';
	T_EQ_INT(srv_store_sqlite_open(p, 0, &s, errbuf, sizeof(errbuf)), EID_ERR_MIGRATION);
	T_ASSERT(s == NULL);
	printf("# %s\n", errbuf);
	T_ASSERT(strstr(errbuf, "version 99") != NULL);
	T_ASSERT(strstr(errbuf, "newer") != NULL);
	{
		char want[16];

		snprintf(want, sizeof(want), "(%d)", srv_store_sqlite_latest_version());
		T_ASSERT(strstr(errbuf, want) != NULL);
	}
	T_EQ_INT(raw_int(p, "PRAGMA user_version"), 99);
	/* Also when asked for an old version. */
	T_EQ_INT(srv_store_sqlite_open(p, 1, &s, errbuf, sizeof(errbuf)), EID_ERR_MIGRATION);
	T_ASSERT(s == NULL);
}

T_CASE(t_failed_migration_changes_nothing)
{
	const char *p = db_path("conflict");
	struct srv_store *s = NULL;
	struct srv_client c;

	T_ASSERT((s = open_store(p, 1)) != NULL);
	memset(&c, 0, sizeof(c));
	c.client_id = "rp-keep";
	c.name = "Keep me";
	T_EQ_INT(srv_store_client_add(s, &c), 0);
	srv_store_close(&s);
	T_EQ_INT(raw_exec(p, "INSERT INTO citizens(account_id, citizen_id, name, created_at)"
	    " VALUES('acc-k', '001090000002', 'Le Van C', 1)", NULL, 0), SQLITE_OK);
	/* Something in the way of migration 2 (after its ALTER TABLE has run). */
	T_EQ_INT(raw_exec(p, "CREATE TABLE credentials(x)", NULL, 0), SQLITE_OK);

	errbuf[0] = '\0';
	T_EQ_INT(srv_store_sqlite_open(p, 0, &s, errbuf, sizeof(errbuf)), EID_ERR_MIGRATION);
	T_ASSERT(s == NULL);
	printf("# %s\n", errbuf);
	T_ASSERT(strstr(errbuf, "migration 2") != NULL);
	T_EQ_INT(raw_int(p, "PRAGMA user_version"), 1);
	T_EQ_INT(raw_int(p, "SELECT count(*) FROM pragma_table_info('citizens')"
	    " WHERE name = 'level'"), 0);
	T_EQ_INT(raw_int(p, "SELECT count(*) FROM sqlite_master WHERE name = 'consents'"), 0);
	T_EQ_INT(raw_int(p, "SELECT count(*) FROM clients WHERE client_id = 'rp-keep'"), 1);
	T_EQ_INT(raw_int(p, "SELECT count(*) FROM citizens WHERE account_id = 'acc-k'"), 1);

	/* Once the obstacle is gone, the migration goes through. */
	T_EQ_INT(raw_exec(p, "DROP TABLE credentials", NULL, 0), SQLITE_OK);
	T_ASSERT((s = open_store(p, 0)) != NULL);
	srv_store_close(&s);
	T_EQ_INT(raw_int(p, "PRAGMA user_version"), srv_store_sqlite_latest_version());
	T_EQ_INT(raw_int(p, "SELECT level FROM citizens WHERE account_id = 'acc-k'"), 1);
}

/* PRAGMA wal_checkpoint(TRUNCATE) on a plain connection: its "busy" column (1: a reader
 * or writer elsewhere kept it from finishing), -1 on failure. */
static int
checkpoint_busy(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int v = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "PRAGMA wal_checkpoint(TRUNCATE)", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* The level of a citizen row straight from the file. */
static long long
level_of(const char *path, int64_t id)
{
	char sql[96];

	snprintf(sql, sizeof(sql), "SELECT level FROM citizens WHERE id = %lld", (long long)id);
	return raw_int(path, sql);
}

T_CASE(t_card_bind_and_check)
{
	const char *p = db_path("card");
	struct srv_store *s = NULL;
	struct srv_citizen c, *got = NULL;
	uint8_t ref1[SRV_STORE_CARD_REF_BYTES], ref2[SRV_STORE_CARD_REF_BYTES];
	uint8_t ref3[SRV_STORE_CARD_REF_BYTES];
	int64_t a = 0, b = 0;
	char *md = NULL;

	memset(ref1, 0x11, sizeof(ref1));
	memset(ref2, 0x22, sizeof(ref2));
	memset(ref3, 0x33, sizeof(ref3));
	T_ASSERT((s = open_store(p, 0)) != NULL);
	init_citizen(&c, "acc-card-a", "001090000001");
	T_EQ_INT(srv_store_citizen_add(s, &c, &a), 0);
	init_citizen(&c, "acc-card-b", "001090000002");
	T_EQ_INT(srv_store_citizen_add(s, &c, &b), 0);

	/* nothing bound yet */
	T_EQ_INT(srv_store_card_check(s, a, ref1, 900), EID_ERR_NOT_FOUND);
	T_EQ_INT(level_of(p, a), 1);

	/* bind: the credential and level 2 together */
	T_EQ_INT(srv_store_card_bind(s, a, ref1, "{\"verification_id\":\"v1\"}", 1000), 0);
	T_EQ_INT(srv_store_citizen_get(s, "acc-card-a", &got), 0);
	T_EQ_INT(got->level, 2);
	srv_citizen_free(&got);
	T_EQ_INT(raw_int(p, "SELECT count(*) FROM credentials WHERE type = 'card'"), 1);
	T_EQ_INT(raw_int(p, "SELECT created_at FROM credentials WHERE type = 'card'"), 1000);
	T_ASSERT((md = raw_str(p, "SELECT metadata FROM credentials WHERE type = 'card'")) != NULL);
	T_EQ_STR(md, "{\"verification_id\":\"v1\"}");
	free(md);
	T_EQ_INT(raw_int(p, "SELECT length(credential_id) FROM credentials WHERE type = 'card'"),
	    SRV_STORE_CARD_REF_BYTES);

	/* check: only this citizen with this card; a use is recorded */
	T_EQ_INT(srv_store_card_check(s, a, ref1, 2000), 0);
	T_EQ_INT(raw_int(p, "SELECT last_used_at FROM credentials WHERE type = 'card'"), 2000);
	T_EQ_INT(srv_store_card_check(s, b, ref1, 2100), EID_ERR_NOT_FOUND);
	T_EQ_INT(srv_store_card_check(s, a, ref2, 2100), EID_ERR_NOT_FOUND);
	T_EQ_INT(raw_int(p, "SELECT last_used_at FROM credentials WHERE type = 'card'"), 2000);

	/* the same card for another citizen: refused, and nothing of it stays (not even
	   the level, which the transaction set first) */
	T_EQ_INT(srv_store_card_bind(s, b, ref1, NULL, 2500), EID_ERR_EXISTS);
	T_EQ_INT(level_of(p, b), 1);
	T_EQ_INT(raw_int(p, "SELECT count(*) FROM credentials WHERE type = 'card'"), 1);
	/* and no lock is left behind: another connection can write at once */
	T_EQ_INT(raw_exec(p, "UPDATE citizens SET name = name", NULL, 0), SQLITE_OK);

	/* binding again the card already bound: a refresh, not a second row */
	T_EQ_INT(srv_store_card_bind(s, a, ref1, "{\"verification_id\":\"v2\"}", 3000), 0);
	T_EQ_INT(raw_int(p, "SELECT count(*) FROM credentials WHERE type = 'card'"), 1);
	T_EQ_INT(raw_int(p, "SELECT last_used_at FROM credentials WHERE type = 'card'"), 3000);

	/* a second card; NULL metadata is stored as {} */
	T_EQ_INT(srv_store_card_bind(s, a, ref2, NULL, 3500), 0);
	T_ASSERT((md = raw_str(p, "SELECT metadata FROM credentials WHERE type = 'card'"
	    " AND created_at = 3500")) != NULL);
	T_EQ_STR(md, "{}");
	free(md);
	T_EQ_INT(srv_store_card_check(s, a, ref2, 3600), 0);

	/* a citizen row that is not there: EID_ERR_NOT_FOUND, nothing written */
	T_EQ_INT(srv_store_card_bind(s, a + b + 100, ref3, NULL, 4000), EID_ERR_NOT_FOUND);
	T_EQ_INT(raw_int(p, "SELECT count(*) FROM credentials WHERE type = 'card'"), 2);
	T_EQ_INT(srv_store_card_bind(s, 0, ref3, NULL, 4000), EID_ERR_INVALID_ARGUMENT);
	T_EQ_INT(srv_store_card_bind(s, a, NULL, NULL, 4000), EID_ERR_INVALID_ARGUMENT);
	T_EQ_INT(srv_store_card_check(s, -1, ref1, 4000), EID_ERR_INVALID_ARGUMENT);

	/* b can still bind a card of its own after its refused attempt */
	T_EQ_INT(srv_store_card_bind(s, b, ref3, NULL, 5000), 0);
	T_EQ_INT(level_of(p, b), 2);
	T_EQ_INT(srv_store_card_check(s, b, ref3, 5100), 0);

	/* a citizen's removal takes its cards with it (ON DELETE CASCADE) */
	T_EQ_INT(raw_exec(p, "PRAGMA foreign_keys = ON; DELETE FROM citizens WHERE account_id = 'acc-card-b'",
	    NULL, 0), SQLITE_OK);
	T_EQ_INT(srv_store_card_check(s, b, ref3, 5200), EID_ERR_NOT_FOUND);
	srv_store_close(&s);
}

struct reader_arg {
	struct srv_store *s;
	int failures;
	size_t cached;
};

static void *
reader_thread(void *p)
{
	struct reader_arg *a = p;
	struct srv_citizen *c = NULL;
	char *v = NULL;
	int i;

	for (i = 0; i < 200; i++) {
		if (srv_store_citizen_get(a->s, "acc-cache", &c) != 0 ||
		    strcmp(c->name, "Nguyen Van A") != 0)
			a->failures++;
		srv_citizen_free(&c);
		if (srv_store_setting_get(a->s, "cache_test", &v) != 0)
			a->failures++;
		free(v);
		v = NULL;
	}
	if (srv_store_sqlite_cached_statements(a->s, &a->cached) != 0)
		a->failures++;
	return NULL;      /* the thread's connection and its statements end with it */
}

T_CASE(t_statement_cache)
{
	const char *p = db_path("stmtcache");
	struct srv_store *s = NULL;
	struct srv_citizen c, *got = NULL;
	struct srv_client cl, *gc = NULL;
	struct reader_arg args[3];
	pthread_t th[3];
	size_t n0 = 0, n1 = 0, n2 = 0;
	int64_t id = 0, nv = 0;
	int i;

	T_ASSERT((s = open_store(p, 0)) != NULL);
	init_citizen(&c, "acc-cache", "001090000009");
	T_EQ_INT(srv_store_citizen_add(s, &c, &id), 0);
	T_EQ_INT(srv_store_setting_bump(s, "cache_test", &nv), 0);

	/* one statement per SQL text, prepared once: repeated calls add none */
	T_EQ_INT(srv_store_citizen_get(s, "acc-cache", &got), 0);
	srv_citizen_free(&got);
	T_EQ_INT(srv_store_sqlite_cached_statements(s, &n0), 0);
	T_ASSERT(n0 > 0);
	for (i = 0; i < 50; i++) {
		T_EQ_INT(srv_store_citizen_get(s, "acc-cache", &got), 0);
		srv_citizen_free(&got);
		T_EQ_INT(srv_store_citizen_get(s, "no-such-account", &got), EID_ERR_NOT_FOUND);
	}
	T_EQ_INT(srv_store_sqlite_cached_statements(s, &n1), 0);
	T_EQ_INT(n1, n0);
	T_EQ_INT(srv_store_client_get(s, "nobody", &gc), EID_ERR_NOT_FOUND);
	T_EQ_INT(srv_store_sqlite_cached_statements(s, &n2), 0);
	T_EQ_INT(n2, n0 + 1);

	/* a kept statement holds no read transaction: a change made through another
	   connection is seen by the next call, and a checkpoint is not blocked by us */
	T_EQ_INT(raw_exec(p, "UPDATE citizens SET name = 'Tran Thi B' WHERE account_id = 'acc-cache'",
	    NULL, 0), SQLITE_OK);
	T_EQ_INT(srv_store_citizen_get(s, "acc-cache", &got), 0);
	T_EQ_STR(got->name, "Tran Thi B");
	srv_citizen_free(&got);
	T_EQ_INT(checkpoint_busy(p), 0);

	/* bindings do not leak from one call into the next: values come from this call */
	memset(&cl, 0, sizeof(cl));
	cl.client_id = "cache-client";
	cl.name = "Cache Portal";
	T_EQ_INT(srv_store_client_add(s, &cl), 0);
	T_EQ_INT(srv_store_client_get(s, "cache-client", &gc), 0);
	T_EQ_STR(gc->name, "Cache Portal");
	srv_client_free(&gc);
	T_EQ_INT(srv_store_client_get(s, "cache-client-2", &gc), EID_ERR_NOT_FOUND);

	/* each thread has its own connection and its own statements */
	T_EQ_INT(raw_exec(p, "UPDATE citizens SET name = 'Nguyen Van A' WHERE account_id = 'acc-cache'",
	    NULL, 0), SQLITE_OK);
	for (i = 0; i < 3; i++) {
		args[i].s = s;
		args[i].failures = 0;
		args[i].cached = 0;
		T_EQ_INT(pthread_create(&th[i], NULL, reader_thread, &args[i]), 0);
	}
	for (i = 0; i < 3; i++)
		T_EQ_INT(pthread_join(th[i], NULL), 0);
	for (i = 0; i < 3; i++) {
		T_EQ_INT(args[i].failures, 0);
		T_EQ_INT(args[i].cached, 2);           /* citizen_get and setting_get */
	}
	T_EQ_INT(srv_store_sqlite_cached_statements(NULL, &n0), EID_ERR_INVALID_ARGUMENT);
	srv_store_close(&s);    /* finalizes this thread's statements (ASan: no leak) */
}

/*
 * Each connection's page cache is capped (256 KiB): reading a database several times
 * that size through the store leaves at most that much cached, where SQLite's default
 * (2000 KiB) would keep all of it.
 */
T_CASE(t_page_cache_bounded)
{
	char p[512], wal[520];
	struct srv_store *s = NULL;
	struct srv_citizen **all = NULL;
	struct stat st, sw;
	size_t n = 0, used = 1, i;

	snprintf(p, sizeof(p), "%s/cache.db", tmpdir);
	T_ASSERT((s = open_store(p, 0)) != NULL);
	/* 6000 citizens with 200-byte names: about 2 MB of table and indexes */
	T_EQ_INT(raw_exec(p, "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 6000) "
	    "INSERT INTO citizens(account_id, citizen_id, name, created_at) "
	    "SELECT 'acc-' || i, printf('%012d', i), printf('%0200d', i), 0 FROM k", NULL, 0), SQLITE_OK);
	snprintf(wal, sizeof(wal), "%s-wal", p);
	T_EQ_INT(stat(p, &st), 0);
	if (stat(wal, &sw) != 0)
		sw.st_size = 0;
	printf("# database: %lld bytes (+ %lld in the WAL)\n", (long long)st.st_size, (long long)sw.st_size);
	T_ASSERT(st.st_size + sw.st_size > 1024 * 1024);    /* several times the cap */
	T_EQ_INT(srv_store_citizen_list(s, &all, &n), 0);
	T_EQ_INT(n, 6000);
	for (i = 0; i < n; i++)
		srv_citizen_free(&all[i]);
	free(all);
	T_EQ_INT(srv_store_sqlite_page_cache_used(s, &used), 0);
	printf("# page cache after reading 6000 citizens: %zu bytes\n", used);
	T_ASSERT(used > 64 * 1024);                 /* it did cache */
	T_ASSERT(used <= 300 * 1024);               /* 256 KiB and the cache's own bookkeeping */
	T_EQ_INT(srv_store_sqlite_page_cache_used(NULL, &used), EID_ERR_INVALID_ARGUMENT);
	srv_store_close(&s);
}

static void
remove_tmpdir(void)
{
	DIR *d;
	struct dirent *de;
	char p[512];

	if ((d = opendir(tmpdir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", tmpdir, de->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(tmpdir);
}

int
main(void)
{
	int r;

	if (cx_init() != 0 || mkdtemp(tmpdir) == NULL) {
		printf("Bail out! cannot set up\n");
		return 1;
	}
	T_RUN(t_open_creates_private_file);
	T_RUN(t_open_bad_arguments);
	T_RUN(t_clients);
	T_RUN(t_citizens);
	T_RUN(t_citizen_contact);
	T_RUN(t_keys);
	T_RUN(t_audit);
	T_RUN(t_settings_bump);
	T_RUN(t_audit_group_commit);
	T_RUN(t_migrate_old_database);
	T_RUN(t_migrate_v2_database);
	T_RUN(t_newer_database_refused);
	T_RUN(t_failed_migration_changes_nothing);
	T_RUN(t_card_bind_and_check);
	T_RUN(t_statement_cache);
	T_RUN(t_page_cache_bounded);
	r = t_done();
	remove_tmpdir();
	sqlite3_shutdown();
	return r;
}
