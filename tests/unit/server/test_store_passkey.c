/*
 * test_store_passkey.c - the store operations behind passkeys and the account page
 * (server/srv_store_sqlite.c): passkey add / list / get / use / mark cloned / remove,
 * an account's consents and its audit history, against a real SQLite file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "srv_store.h"
#include "../t.h"

static char tmpdir[] = "/tmp/eid-test-passkey-XXXXXX";
static char dbfile[600];
static struct srv_store *st;

static const uint8_t cid_a[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t cid_b[] = { 9, 9, 9 };
static const uint8_t cose[] = { 0xa5, 0x01, 0x02, 0x03, 0x26 };

static int
add_citizen(const char *account, const char *idn, int level)
{
	struct srv_citizen c;

	memset(&c, 0, sizeof(c));
	c.account_id = (char *)account;
	c.citizen_id = (char *)idn;
	c.name = "Tran Thi B";
	c.level = level;
	return srv_store_citizen_add(st, &c, NULL);
}

static void
passkey_init(struct srv_passkey *p, const char *account, const uint8_t *cid, size_t n,
    const char *name)
{
	memset(p, 0, sizeof(*p));
	p->account_id = (char *)account;
	p->credential_id = (uint8_t *)cid;
	p->credential_id_len = n;
	p->public_key = (uint8_t *)cose;
	p->public_key_len = sizeof(cose);
	p->alg = -7;
	p->sign_count = 5;
	p->be = 1;
	p->uv = 1;
	p->name = (char *)name;
	p->attestation = "self";
	p->created_at = 1700000000;
}

T_CASE(passkey_add_get_list)
{
	struct srv_passkey in, *got = NULL, **v = NULL;
	int64_t id = 0, id2 = 0;
	size_t n = 0;

	passkey_init(&in, "acct-1", cid_a, sizeof(cid_a), "Laptop");
	T_EQ_INT(srv_store_passkey_add(st, &in, &id), 0);
	T_ASSERT(id > 0);
	T_EQ_INT(srv_store_passkey_get(st, cid_a, sizeof(cid_a), &got), 0);
	T_EQ_INT(got->id, id);
	T_EQ_STR(got->account_id, "acct-1");
	T_EQ_MEM(got->credential_id, got->credential_id_len, cid_a, sizeof(cid_a));
	T_EQ_MEM(got->public_key, got->public_key_len, cose, sizeof(cose));
	T_EQ_INT(got->alg, -7);
	T_EQ_INT(got->sign_count, 5);
	T_EQ_INT(got->be, 1);
	T_EQ_INT(got->uv, 1);
	T_EQ_INT(got->cloned, 0);
	T_EQ_STR(got->name, "Laptop");
	T_EQ_STR(got->attestation, "self");
	T_EQ_INT(got->created_at, 1700000000);
	T_EQ_INT(got->last_used_at, 0);
	srv_passkey_free(&got);
	T_ASSERT(got == NULL);

	/* the same credential id again: refused, whichever account */
	T_EQ_INT(srv_store_passkey_add(st, &in, NULL), EID_ERR_EXISTS);
	in.account_id = "acct-2";
	T_EQ_INT(srv_store_passkey_add(st, &in, NULL), EID_ERR_EXISTS);
	/* an unknown account */
	passkey_init(&in, "nobody", cid_b, sizeof(cid_b), "x");
	T_EQ_INT(srv_store_passkey_add(st, &in, NULL), EID_ERR_NOT_FOUND);

	passkey_init(&in, "acct-1", cid_b, sizeof(cid_b), "Phone");
	in.be = 0;
	T_EQ_INT(srv_store_passkey_add(st, &in, &id2), 0);
	T_EQ_INT(srv_store_passkey_list(st, "acct-1", &v, &n), 0);
	T_EQ_INT(n, 2);
	T_EQ_STR(v[0]->name, "Laptop");
	T_EQ_STR(v[1]->name, "Phone");
	T_EQ_INT(v[1]->be, 0);
	srv_passkey_list_free(v, n);
	T_EQ_INT(srv_store_passkey_list(st, "acct-2", &v, &n), 0);
	T_EQ_INT(n, 0);
	srv_passkey_list_free(v, n);
	T_EQ_INT(srv_store_passkey_get(st, (const uint8_t *)"zz", 2, &got), EID_ERR_NOT_FOUND);
	T_ASSERT(got == NULL);
}

T_CASE(passkey_use_is_compare_and_set)
{
	struct srv_passkey *got = NULL;
	int64_t id;

	T_EQ_INT(srv_store_passkey_get(st, cid_a, sizeof(cid_a), &got), 0);
	id = got->id;
	srv_passkey_free(&got);
	T_EQ_INT(srv_store_passkey_use(st, id, 5, 6, 1700000100, NULL), 0);
	/* a second use that read the old counter loses */
	T_EQ_INT(srv_store_passkey_use(st, id, 5, 7, 1700000101, NULL), EID_ERR_NOT_FOUND);
	T_EQ_INT(srv_store_passkey_get(st, cid_a, sizeof(cid_a), &got), 0);
	T_EQ_INT(got->sign_count, 6);
	T_EQ_INT(got->last_used_at, 1700000100);
	srv_passkey_free(&got);
}

/* With an audit event, the counter and the event are committed together or not at all. */
T_CASE(passkey_use_with_audit_event)
{
	struct srv_audit_event e, **v = NULL;
	struct srv_passkey *got = NULL;
	size_t n = 0;
	int64_t id;

	T_EQ_INT(srv_store_passkey_get(st, cid_b, sizeof(cid_b), &got), 0);
	id = got->id;
	T_EQ_INT(got->sign_count, 5);
	srv_passkey_free(&got);
	memset(&e, 0, sizeof(e));
	e.at = 1700000200;
	e.actor = "acct-use"; e.action = "login.passkey"; e.subject = "acct-use";
	e.outcome = "success"; e.details = "{\"passkey\":1}";
	T_EQ_INT(srv_store_passkey_use(st, id, 5, 8, 1700000200, &e), 0);
	/* the loser of a race writes neither its counter nor its event */
	e.at = 1700000201;
	e.action = "login.passkey.lost";
	T_EQ_INT(srv_store_passkey_use(st, id, 5, 9, 1700000201, &e), EID_ERR_NOT_FOUND);
	/* an event the log refuses (no action) writes nothing either */
	e.action = NULL;
	T_EQ_INT(srv_store_passkey_use(st, id, 8, 10, 1700000202, &e), EID_ERR_INVALID_ARGUMENT);
	T_EQ_INT(srv_store_passkey_get(st, cid_b, sizeof(cid_b), &got), 0);
	T_EQ_INT(got->sign_count, 8);
	T_EQ_INT(got->last_used_at, 1700000200);
	srv_passkey_free(&got);
	T_EQ_INT(srv_store_audit_list_account(st, "acct-use", 10, &v, &n), 0);
	T_EQ_INT(n, 1);
	if (n == 1) {
		T_EQ_STR(v[0]->action, "login.passkey");
		T_EQ_INT(v[0]->at, 1700000200);
		T_EQ_STR(v[0]->details, "{\"passkey\":1}");
	}
	srv_audit_list_free(v, n);
	/* and the connection is out of the transaction: a plain append still works */
	e.action = "after";
	T_EQ_INT(srv_store_audit_append(st, &e), 0);
}

T_CASE(passkey_cloned_is_kept_and_refused)
{
	struct srv_passkey *got = NULL;
	int64_t id;

	T_EQ_INT(srv_store_passkey_get(st, cid_a, sizeof(cid_a), &got), 0);
	id = got->id;
	srv_passkey_free(&got);
	T_EQ_INT(srv_store_passkey_mark_cloned(st, id), 0);
	T_EQ_INT(srv_store_passkey_get(st, cid_a, sizeof(cid_a), &got), 0);
	T_EQ_INT(got->cloned, 1);
	T_EQ_STR(got->name, "Laptop");          /* the rest of the metadata kept */
	T_EQ_INT(got->alg, -7);
	srv_passkey_free(&got);
	/* a cloned credential's counter never moves again */
	T_EQ_INT(srv_store_passkey_use(st, id, 6, 9, 0, NULL), EID_ERR_NOT_FOUND);
	T_EQ_INT(srv_store_passkey_mark_cloned(st, 999999), EID_ERR_NOT_FOUND);
}

T_CASE(passkey_remove_only_own)
{
	struct srv_passkey *got = NULL, **v = NULL;
	size_t n = 0;
	int64_t id;

	T_EQ_INT(srv_store_passkey_get(st, cid_b, sizeof(cid_b), &got), 0);
	id = got->id;
	srv_passkey_free(&got);
	T_EQ_INT(srv_store_passkey_remove(st, "acct-2", id), EID_ERR_NOT_FOUND);
	T_EQ_INT(srv_store_passkey_remove(st, "acct-1", id), 0);
	T_EQ_INT(srv_store_passkey_remove(st, "acct-1", id), EID_ERR_NOT_FOUND);
	T_EQ_INT(srv_store_passkey_get(st, cid_b, sizeof(cid_b), &got), EID_ERR_NOT_FOUND);
	T_EQ_INT(srv_store_passkey_list(st, "acct-1", &v, &n), 0);
	T_EQ_INT(n, 1);
	srv_passkey_list_free(v, n);
}

T_CASE(consent_list_by_account)
{
	struct srv_client c;
	struct srv_consent **v = NULL;
	size_t n = 0;

	memset(&c, 0, sizeof(c));
	c.client_id = "portal-a";
	c.name = "Portal A";
	c.metadata = json_object();
	T_EQ_INT(srv_store_client_add(st, &c), 0);
	c.client_id = "portal-b";
	c.name = "Portal B";
	T_EQ_INT(srv_store_client_add(st, &c), 0);
	json_decref(c.metadata);
	T_EQ_INT(srv_store_consent_set(st, "acct-1", "portal-b", "openid", 100), 0);
	T_EQ_INT(srv_store_consent_set(st, "acct-1", "portal-a", "openid profile", 200), 0);
	T_EQ_INT(srv_store_consent_set(st, "acct-2", "portal-a", "openid", 300), 0);
	T_EQ_INT(srv_store_consent_list(st, "acct-1", &v, &n), 0);
	T_EQ_INT(n, 2);
	T_EQ_STR(v[0]->client_id, "portal-b");
	T_EQ_STR(v[0]->client_name, "Portal B");
	T_EQ_STR(v[1]->scope, "openid profile");
	T_EQ_INT(v[1]->granted_at, 200);
	srv_consent_list_free(v, n);
	T_EQ_INT(srv_store_consent_remove(st, "acct-1", "portal-b"), 0);
	T_EQ_INT(srv_store_consent_list(st, "acct-1", &v, &n), 0);
	T_EQ_INT(n, 1);
	srv_consent_list_free(v, n);
}

T_CASE(audit_history_of_account)
{
	struct srv_audit_event e, **v = NULL;
	size_t n = 0;

	memset(&e, 0, sizeof(e));
	e.outcome = "success";
	e.at = 10;
	e.actor = "acct-1"; e.action = "login.password"; e.subject = "acct-1";
	T_EQ_INT(srv_store_audit_append(st, &e), 0);
	e.at = 11;
	e.actor = "acct-1"; e.action = "consent.grant"; e.subject = "portal-a";
	T_EQ_INT(srv_store_audit_append(st, &e), 0);
	e.at = 12;
	e.actor = "acct-2"; e.action = "login.password"; e.subject = "acct-2";
	T_EQ_INT(srv_store_audit_append(st, &e), 0);
	e.at = 13;
	e.actor = "eidctl"; e.action = "citizen.disable"; e.subject = "acct-1";
	T_EQ_INT(srv_store_audit_append(st, &e), 0);

	T_EQ_INT(srv_store_audit_list_account(st, "acct-1", 10, &v, &n), 0);
	T_EQ_INT(n, 3);
	T_EQ_STR(v[0]->action, "citizen.disable");     /* newest first */
	T_EQ_STR(v[1]->action, "consent.grant");
	T_EQ_STR(v[2]->action, "login.password");
	srv_audit_list_free(v, n);
	T_EQ_INT(srv_store_audit_list_account(st, "acct-1", 2, &v, &n), 0);
	T_EQ_INT(n, 2);
	srv_audit_list_free(v, n);
	T_EQ_INT(srv_store_audit_list_account(st, "", 2, &v, &n), EID_ERR_INVALID_ARGUMENT);
}

int
main(void)
{
	char err[256];

	if (mkdtemp(tmpdir) == NULL)
		return 2;
	snprintf(dbfile, sizeof(dbfile), "%s/eid.db", tmpdir);
	if (srv_store_sqlite_open(dbfile, 0, &st, err, sizeof(err)) != 0) {
		printf("# %s\n", err);
		return 2;
	}
	if (add_citizen("acct-1", "001090000001", 2) != 0 ||
	    add_citizen("acct-2", "001090000002", 1) != 0)
		return 2;
	T_RUN(passkey_add_get_list);
	T_RUN(passkey_use_is_compare_and_set);
	T_RUN(passkey_use_with_audit_event);
	T_RUN(passkey_cloned_is_kept_and_refused);
	T_RUN(passkey_remove_only_own);
	T_RUN(consent_list_by_account);
	T_RUN(audit_history_of_account);
	srv_store_close(&st);
	unlink(dbfile);
	{
		char p[700];

		snprintf(p, sizeof(p), "%s-wal", dbfile);
		unlink(p);
		snprintf(p, sizeof(p), "%s-shm", dbfile);
		unlink(p);
	}
	rmdir(tmpdir);
	return t_done();
}
