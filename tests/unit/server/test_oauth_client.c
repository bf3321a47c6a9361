/* test_oauth_client.c - parsing client credentials (RFC 6749 2.3.1), with no store. */
#include <string.h>

#include "../t.h"
#include "cx_util.h"
#include "srv_accounts.h"
#include "srv_oauth_client.h"

static void
req_new(struct srv_req *req)
{
	srv_req_init(req);
	req->method = SRV_POST;
}

static void
add(struct srv_kvlist *l, const char *k, const char *v)
{
	if (srv_kvlist_add(l, k, strlen(k), v, strlen(v)) != 0)
		abort();
}

/* "Basic " + base64(text) as a header */
static void
add_basic(struct srv_req *req, const char *text)
{
	char b64[2048], hv[2100];

	if (cx_b64_encode(b64, sizeof(b64), text, strlen(text)) != 0)
		abort();
	snprintf(hv, sizeof(hv), "Basic %s", b64);
	add(&req->headers, "authorization", hv);
}

static int
parse_one(struct srv_req *req, struct srv_client_credentials *c)
{
	int r = srv_oauth_client_parse(req, c);

	srv_req_clear(req);
	return r;
}

T_CASE(basic_plain)
{
	struct srv_client_credentials c;
	struct srv_req req;

	req_new(&req);
	add_basic(&req, "client-1:s3cret");
	T_EQ_INT(parse_one(&req, &c), 0);
	T_EQ_INT(c.method, SRV_CLIENT_AUTH_SECRET_BASIC);
	T_EQ_STR(c.client_id, "client-1");
	T_EQ_STR(c.secret, "s3cret");
	srv_client_credentials_clear(&c);
	T_ASSERT(c.client_id == NULL && c.secret == NULL);
}

T_CASE(basic_urlencoded_parts)
{
	struct srv_client_credentials c;
	struct srv_req req;

	/* RFC 6749 2.3.1: each part form-urlencoded before base64: ':' -> %3A, ' ' -> '+' */
	req_new(&req);
	add_basic(&req, "my%3Aclient:p%40ss+w%3Ard%2B%25");
	T_EQ_INT(parse_one(&req, &c), 0);
	T_EQ_STR(c.client_id, "my:client");
	T_EQ_STR(c.secret, "p@ss w:rd+%");
	srv_client_credentials_clear(&c);

	/* the split is at the first ':'; a later raw ':' belongs to the secret */
	req_new(&req);
	add_basic(&req, "abc:de:f");
	T_EQ_INT(parse_one(&req, &c), 0);
	T_EQ_STR(c.client_id, "abc");
	T_EQ_STR(c.secret, "de:f");
	srv_client_credentials_clear(&c);

	/* the scheme is case-insensitive (RFC 7235 2.1) */
	req_new(&req);
	add(&req.headers, "authorization", "bAsIc YTpi");
	T_EQ_INT(parse_one(&req, &c), 0);
	T_EQ_STR(c.client_id, "a");
	T_EQ_STR(c.secret, "b");
	srv_client_credentials_clear(&c);
}

T_CASE(basic_malformed)
{
	static const struct { const char *hv; int want; } cases[] = {
		{ "Basic !!!notbase64", EID_ERR_ENCODING },
		{ "Basic YTpi=", EID_ERR_ENCODING },            /* bad padding */
		{ "Basic YWJj", EID_ERR_FORMAT },               /* "abc": no colon */
		{ "Basic OnNlY3JldA==", EID_ERR_FORMAT },       /* ":secret": empty id */
		{ "Basic ", EID_ERR_FORMAT },
		{ "Basic", EID_ERR_FORMAT },
		{ "Bearer YTpi", EID_ERR_FORMAT },
		{ "Basicx YTpi", EID_ERR_FORMAT },
		{ "Basic YSUyOmI=", EID_ERR_ENCODING },         /* "a%2:b": short escape */
		{ "Basic YSV6ejpi", EID_ERR_ENCODING },         /* "a%zz:b" */
		{ "Basic YSUwMDpi", EID_ERR_FORMAT },           /* "a%00:b": NUL */
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct srv_client_credentials c;
		struct srv_req req;
		int r;

		req_new(&req);
		add(&req.headers, "authorization", cases[i].hv);
		r = parse_one(&req, &c);
		if (r != cases[i].want)
			T_FAIL("'%s': got %d, want %d", cases[i].hv, r, cases[i].want);
		T_ASSERT(c.client_id == NULL && c.secret == NULL);
	}
}

T_CASE(basic_oversized)
{
	struct srv_client_credentials c;
	char big[4000];
	struct srv_req req;

	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	req_new(&req);
	{
		char hv[4100];

		snprintf(hv, sizeof(hv), "Basic %s", big);
		add(&req.headers, "authorization", hv);
	}
	T_EQ_INT(parse_one(&req, &c), EID_ERR_TOO_LARGE);

	/* a client id longer than EID_CLIENT_ID_MAX */
	memset(big, 'a', 100);
	strcpy(big + 100, ":x");
	req_new(&req);
	add_basic(&req, big);
	T_EQ_INT(parse_one(&req, &c), EID_ERR_TOO_LARGE);

	/* a secret longer than SRV_OAUTH_SECRET_MAX */
	strcpy(big, "id:");
	memset(big + 3, 's', 300);
	big[303] = '\0';
	req_new(&req);
	add_basic(&req, big);
	T_EQ_INT(parse_one(&req, &c), EID_ERR_TOO_LARGE);

	req_new(&req);
	add(&req.form, "client_id", "id");
	add(&req.form, "client_secret", big + 3);
	T_EQ_INT(parse_one(&req, &c), EID_ERR_TOO_LARGE);
}

T_CASE(post_and_none)
{
	struct srv_client_credentials c;
	struct srv_req req;

	req_new(&req);
	add(&req.form, "client_id", "c1");
	add(&req.form, "client_secret", "sec");
	T_EQ_INT(parse_one(&req, &c), 0);
	T_EQ_INT(c.method, SRV_CLIENT_AUTH_SECRET_POST);
	T_EQ_STR(c.client_id, "c1");
	T_EQ_STR(c.secret, "sec");
	srv_client_credentials_clear(&c);

	req_new(&req);
	add(&req.form, "client_secret", "sec");
	T_EQ_INT(parse_one(&req, &c), EID_ERR_FORMAT);      /* secret without an id */

	req_new(&req);
	add(&req.form, "client_id", "pub");
	T_EQ_INT(parse_one(&req, &c), 0);
	T_EQ_INT(c.method, SRV_CLIENT_AUTH_NONE);
	T_ASSERT(c.secret == NULL);
	srv_client_credentials_clear(&c);

	req_new(&req);
	add(&req.form, "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
	add(&req.form, "client_assertion", "a.b.c");
	T_EQ_INT(parse_one(&req, &c), 0);
	T_EQ_INT(c.method, SRV_CLIENT_AUTH_PRIVATE_KEY_JWT);
	T_EQ_STR(c.assertion, "a.b.c");
	srv_client_credentials_clear(&c);

	req_new(&req);
	T_EQ_INT(parse_one(&req, &c), 0);
	T_EQ_INT(c.method, SRV_CLIENT_AUTH_MISSING);
	T_EQ_STR(srv_client_auth_name(SRV_CLIENT_AUTH_SECRET_POST), "client_secret_post");
}

T_CASE(both_methods_and_repeats)
{
	struct srv_client_credentials c;
	struct srv_req req;

	req_new(&req);
	add_basic(&req, "c1:sec");
	add(&req.form, "client_secret", "sec");
	T_EQ_INT(parse_one(&req, &c), EID_ERR_INVALID_ARGUMENT);

	req_new(&req);
	add_basic(&req, "c1:sec");
	add(&req.form, "client_assertion", "a.b.c");
	T_EQ_INT(parse_one(&req, &c), EID_ERR_INVALID_ARGUMENT);

	req_new(&req);
	add(&req.form, "client_id", "c1");
	add(&req.form, "client_secret", "sec");
	add(&req.form, "client_assertion", "a.b.c");
	T_EQ_INT(parse_one(&req, &c), EID_ERR_INVALID_ARGUMENT);

	/* Basic plus a client_id naming the same client is fine; another client is not */
	req_new(&req);
	add_basic(&req, "c1:sec");
	add(&req.form, "client_id", "c1");
	T_EQ_INT(parse_one(&req, &c), 0);
	T_EQ_INT(c.method, SRV_CLIENT_AUTH_SECRET_BASIC);
	srv_client_credentials_clear(&c);
	req_new(&req);
	add_basic(&req, "c1:sec");
	add(&req.form, "client_id", "c2");
	T_EQ_INT(parse_one(&req, &c), EID_ERR_INVALID_ARGUMENT);

	req_new(&req);
	add(&req.form, "client_id", "c1");
	add(&req.form, "client_id", "c1");
	add(&req.form, "client_secret", "sec");
	T_EQ_INT(parse_one(&req, &c), EID_ERR_INVALID_ARGUMENT);

	req_new(&req);
	add_basic(&req, "c1:sec");
	add_basic(&req, "c1:sec");
	T_EQ_INT(parse_one(&req, &c), EID_ERR_INVALID_ARGUMENT);
}

T_CASE(check_form)
{
	struct srv_oauth_error e;
	struct srv_req req;

	req_new(&req);
	add(&req.headers, "content-type", "application/x-www-form-urlencoded; charset=UTF-8");
	add(&req.form, "grant_type", "client_credentials");
	T_EQ_INT(srv_oauth_check_form(&req, &e), 0);
	add(&req.form, "scope", "a");
	add(&req.form, "grant_type", "client_credentials");
	T_EQ_INT(srv_oauth_check_form(&req, &e), EID_ERR_DENIED);
	T_EQ_STR(e.error, "invalid_request");
	srv_req_clear(&req);

	req_new(&req);
	add(&req.headers, "content-type", "application/json");
	T_EQ_INT(srv_oauth_check_form(&req, &e), EID_ERR_DENIED);
	srv_req_clear(&req);
	req_new(&req);
	add(&req.headers, "content-type", "application/x-www-form-urlencodedX");
	T_EQ_INT(srv_oauth_check_form(&req, &e), EID_ERR_DENIED);
	srv_req_clear(&req);
	req_new(&req);
	T_EQ_INT(srv_oauth_check_form(&req, &e), EID_ERR_DENIED);
	srv_req_clear(&req);
}

/* ids go on command lines: never a leading '-' (an option) or '_' */
T_CASE(ids_start_with_letter_or_digit)
{
	char id[24], secret[48];
	int i, bad = 0, ok_len = 1;

	for (i = 0; i < 2000; i++) {
		srv_client_new_credentials(id, secret);
		bad += id[0] == '-' || id[0] == '_';
		ok_len &= strlen(id) == 22 && strlen(secret) > 40;
		srv_account_id_new(id);
		bad += id[0] == '-' || id[0] == '_';
		ok_len &= strlen(id) == 22;
	}
	T_EQ_INT(bad, 0);
	T_ASSERT(ok_len);
}

int
main(void)
{
	if (cx_init() != 0)
		return 1;
	T_RUN(ids_start_with_letter_or_digit);
	T_RUN(basic_plain);
	T_RUN(basic_urlencoded_parts);
	T_RUN(basic_malformed);
	T_RUN(basic_oversized);
	T_RUN(post_and_none);
	T_RUN(both_methods_and_repeats);
	T_RUN(check_form);
	return t_done();
}
