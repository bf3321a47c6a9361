/*
 * test_authorize.c - the authorization request rules (srv_authorize.c) without sockets:
 * stage-1 vs stage-2 errors, PKCE, prompt/max_age/acr decisions, scope algebra, the
 * query and form_post responses, the pending-request round trip.
 */
#include <string.h>

#include "../t.h"
#include "srv_authorize.h"

#define NOW 1700000000LL
#define RP "https://portal.example.vn/cb"
#define CH "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"   /* RFC 7636 appendix B */

static struct srv_client client;

static void
setup(void)
{
	client.client_id = "c1";
	client.name = "Portal";
	client.metadata = json_pack("{s:[s,s],s:[s,s],s:s}", "redirect_uris", RP,
	    "https://portal.example.vn/cb2?x=1", "grant_types", "authorization_code", "refresh_token",
	    "scope", "openid profile citizen_id");
}

/* Parse "k=v&k=v" (no escapes) into a kvlist. */
static void
params(struct srv_kvlist *l, const char *q)
{
	char buf[4096], *save = NULL, *p;

	memset(l, 0, sizeof(*l));
	snprintf(buf, sizeof(buf), "%s", q);
	for (p = strtok_r(buf, "&", &save); p != NULL; p = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(p, '=');

		if (eq != NULL && srv_kvlist_add(l, p, (size_t)(eq - p), eq + 1, strlen(eq + 1)) != 0)
			abort();
	}
}

static int
parse(const char *q, struct srv_authz_request *a, struct srv_authz_error *e)
{
	struct srv_kvlist l;
	int r;

	params(&l, q);
	memset(e, 0, sizeof(*e));
	r = srv_authz_parse(&l, &client, NOW, a, e);
	srv_kvlist_clear(&l);
	return r;
}

#define GOOD "response_type=code&client_id=c1&redirect_uri=" RP "&scope=openid profile" \
	"&code_challenge=" CH "&code_challenge_method=S256&state=s1&nonce=n1"

T_CASE(good_request_parses)
{
	struct srv_authz_request a;
	struct srv_authz_error e;

	T_EQ_INT(parse(GOOD, &a, &e), 0);
	T_EQ_STR(a.client_id, "c1");
	T_EQ_STR(a.redirect_uri, RP);
	T_EQ_STR(a.scope, "openid profile");
	T_EQ_STR(a.state, "s1");
	T_EQ_STR(a.nonce, "n1");
	T_EQ_INT(a.max_age, -1);
	T_EQ_INT(a.form_post, 0);
	srv_authz_request_clear(&a);
}

T_CASE(stage1_errors_never_redirect)
{
	static const char *const bad[] = {
		"response_type=code&redirect_uri=" RP,                         /* no client */
		"response_type=code&client_id=c2&redirect_uri=" RP,            /* other client */
		"response_type=code&client_id=c1",                             /* no redirect */
		"response_type=code&client_id=c1&redirect_uri=" RP "/",        /* near miss */
		"response_type=code&client_id=c1&redirect_uri=https://portal.example.vn/cb2",
		"response_type=code&client_id=c1&client_id=c1&redirect_uri=" RP,
		"response_type=code&client_id=c1&redirect_uri=" RP "&redirect_uri=" RP,
	};
	struct srv_authz_request a;
	struct srv_authz_error e;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		T_EQ_INT(parse(bad[i], &a, &e), EID_ERR_DENIED);
		T_EQ_INT(e.redirect, 0);
		srv_authz_request_clear(&a);
	}
}

T_CASE(stage2_errors_redirect_with_state)
{
	static const struct { const char *q, *error; } cases[] = {
		{ "client_id=c1&redirect_uri=" RP "&scope=openid&state=z", "invalid_request" },
		{ "response_type=token&client_id=c1&redirect_uri=" RP "&state=z", "unsupported_response_type" },
		{ "response_type=code&client_id=c1&redirect_uri=" RP "&scope=profile&state=z", "invalid_scope" },
		{ "response_type=code&client_id=c1&redirect_uri=" RP "&scope=openid email&state=z", "invalid_scope" },
		{ "response_type=code&client_id=c1&redirect_uri=" RP "&scope=openid&state=z", "invalid_request" },
		{ "response_type=code&client_id=c1&redirect_uri=" RP "&scope=openid&code_challenge=" CH
		  "&code_challenge_method=plain&state=z", "invalid_request" },
		{ "response_type=code&client_id=c1&redirect_uri=" RP "&scope=openid&code_challenge=short"
		  "&code_challenge_method=S256&state=z", "invalid_request" },
		{ "response_type=code&client_id=c1&redirect_uri=" RP "&scope=openid&code_challenge=" CH
		  "&code_challenge_method=S256&prompt=none consent&state=z", "invalid_request" },
		{ "response_type=code&client_id=c1&redirect_uri=" RP "&scope=openid&code_challenge=" CH
		  "&code_challenge_method=S256&max_age=-1&state=z", "invalid_request" },
		{ "response_type=code&client_id=c1&redirect_uri=" RP "&request=x&state=z", "request_not_supported" },
		{ "response_type=code&client_id=c1&redirect_uri=" RP "&request_uri=x&state=z", "request_uri_not_supported" },
		{ "response_type=code&response_type=code&client_id=c1&redirect_uri=" RP "&state=z", "invalid_request" },
	};
	struct srv_authz_request a;
	struct srv_authz_error e;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (parse(cases[i].q, &a, &e) != EID_ERR_DENIED || e.redirect != 1 ||
		    strcmp(e.error, cases[i].error) != 0 || a.state == NULL || strcmp(a.state, "z") != 0)
			T_FAIL("case %zu (%s): got %s", i, cases[i].q, e.error != NULL ? e.error : "accepted");
		srv_authz_request_clear(&a);
	}
}

T_CASE(decide_login_consent_issue)
{
	struct srv_authz_request a;
	struct srv_authz_error e;
	struct srv_authz_session s = { 1, NOW - 100, 1, "openid profile" };
	struct srv_authz_session none = { 0, 0, 0, NULL };

	T_EQ_INT(parse(GOOD, &a, &e), 0);
	T_EQ_INT(srv_authz_decide(&a, &none, NOW, &e), SRV_AUTHZ_LOGIN);
	T_EQ_INT(srv_authz_decide(&a, &s, NOW, &e), SRV_AUTHZ_ISSUE);
	s.consented_scope = "openid";
	T_EQ_INT(srv_authz_decide(&a, &s, NOW, &e), SRV_AUTHZ_CONSENT);
	a.prompt = SRV_PROMPT_NONE;
	T_EQ_INT(srv_authz_decide(&a, &s, NOW, &e), SRV_AUTHZ_FAIL);
	T_EQ_STR(e.error, "consent_required");
	T_EQ_INT(srv_authz_decide(&a, &none, NOW, &e), SRV_AUTHZ_FAIL);
	T_EQ_STR(e.error, "login_required");
	s.consented_scope = "openid profile";
	a.acr_level = 2;
	T_EQ_INT(srv_authz_decide(&a, &s, NOW, &e), SRV_AUTHZ_FAIL);
	T_EQ_STR(e.error, "unmet_authentication_requirements");
	a.prompt = 0;
	T_EQ_INT(srv_authz_decide(&a, &s, NOW, &e), SRV_AUTHZ_LOGIN);     /* step-up */
	s.level = 2;
	T_EQ_INT(srv_authz_decide(&a, &s, NOW, &e), SRV_AUTHZ_ISSUE);
	srv_authz_request_clear(&a);
}

T_CASE(prompt_login_and_max_age)
{
	struct srv_authz_request a;
	struct srv_authz_error e;
	struct srv_authz_session s = { 1, NOW - 100, 1, "openid profile" };

	T_EQ_INT(parse(GOOD "&prompt=login", &a, &e), 0);
	T_EQ_INT(srv_authz_decide(&a, &s, NOW, &e), SRV_AUTHZ_LOGIN);
	/* resumed after a sign-in that happened after the request arrived: satisfied */
	a.resumed = 1;
	s.auth_time = NOW;
	T_EQ_INT(srv_authz_decide(&a, &s, NOW + 1, &e), SRV_AUTHZ_ISSUE);
	/* resumed but the session predates the request (someone else's tab): sign in */
	s.auth_time = NOW - 1;
	T_EQ_INT(srv_authz_decide(&a, &s, NOW + 1, &e), SRV_AUTHZ_LOGIN);
	srv_authz_request_clear(&a);

	T_EQ_INT(parse(GOOD "&max_age=60", &a, &e), 0);
	s.auth_time = NOW - 61;
	T_EQ_INT(srv_authz_decide(&a, &s, NOW, &e), SRV_AUTHZ_LOGIN);
	s.auth_time = NOW - 59;
	T_EQ_INT(srv_authz_decide(&a, &s, NOW, &e), SRV_AUTHZ_ISSUE);
	srv_authz_request_clear(&a);
	T_EQ_INT(parse(GOOD "&max_age=0", &a, &e), 0);
	s.auth_time = NOW;
	T_EQ_INT(srv_authz_decide(&a, &s, NOW, &e), SRV_AUTHZ_LOGIN);
	srv_authz_request_clear(&a);
}

T_CASE(acr_values_lowest_known_level)
{
	struct srv_authz_request a;
	struct srv_authz_error e;

	T_EQ_INT(parse(GOOD "&acr_values=urn:eid:level:2", &a, &e), 0);
	T_EQ_INT(a.acr_level, 2);
	srv_authz_request_clear(&a);
	T_EQ_INT(parse(GOOD "&acr_values=urn:eid:level:2 urn:eid:level:1", &a, &e), 0);
	T_EQ_INT(a.acr_level, 1);
	srv_authz_request_clear(&a);
	T_EQ_INT(parse(GOOD "&acr_values=urn:other", &a, &e), 0);
	T_EQ_INT(a.acr_level, 0);
	srv_authz_request_clear(&a);
}

T_CASE(scope_algebra)
{
	char *u = NULL;

	T_ASSERT(srv_scope_covers("openid profile", "profile openid"));
	T_ASSERT(!srv_scope_covers("openid", "openid profile"));
	T_ASSERT(!srv_scope_covers(NULL, "openid"));
	T_ASSERT(!srv_scope_covers("openid profilex", "profile"));
	T_EQ_INT(srv_scope_union("openid profile", "profile citizen_id openid", &u), 0);
	T_EQ_STR(u, "openid profile citizen_id");
	free(u);
}

T_CASE(pkce_rfc7636_appendix_b)
{
	T_ASSERT(srv_pkce_s256_matches("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", CH));
	T_ASSERT(!srv_pkce_s256_matches("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXl", CH));
	T_ASSERT(!srv_pkce_s256_matches(CH, CH));                       /* plain downgrade */
	T_ASSERT(!srv_pkce_s256_matches("short", CH));
	T_ASSERT(!srv_pkce_s256_matches("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjX!", CH));
	T_ASSERT(!srv_pkce_s256_matches(NULL, CH));
}

T_CASE(respond_query_and_form_post)
{
	struct srv_authz_request a;
	struct srv_authz_error e;
	struct srv_resp resp;
	const char *loc;

	T_EQ_INT(parse("response_type=code&client_id=c1&redirect_uri=https://portal.example.vn/cb2?x=1"
	    "&scope=openid&code_challenge=" CH "&code_challenge_method=S256&state=a b&c", &a, &e), 0);
	srv_resp_init(&resp);
	T_EQ_INT(srv_authz_respond(&resp, &a, "https://id.example.vn", "CODE", NULL, NULL), 0);
	T_EQ_INT(resp.status, 303);
	loc = srv_kvlist_get(&resp.headers, "Location", NULL);
	T_EQ_STR(loc, "https://portal.example.vn/cb2?x=1&code=CODE&state=a%20b&iss=https%3A%2F%2Fid.example.vn");
	srv_resp_clear(&resp);
	a.form_post = 1;
	srv_resp_init(&resp);
	T_EQ_INT(srv_authz_respond(&resp, &a, "https://id.example.vn", NULL, "access_denied", "x<y"), 0);
	T_EQ_INT(resp.status, 200);
	T_EQ_STR(resp.form_action, "https://portal.example.vn");
	T_ASSERT(strstr(cx_dynbuf_str(&resp.body), "name=\"error\" value=\"access_denied\"") != NULL);
	T_ASSERT(strstr(cx_dynbuf_str(&resp.body), "value=\"x&lt;y\"") != NULL);
	T_ASSERT(strstr(cx_dynbuf_str(&resp.body), "action=\"https://portal.example.vn/cb2?x=1\"") != NULL);
	srv_resp_clear(&resp);
	srv_authz_request_clear(&a);
}

T_CASE(pending_round_trip)
{
	struct srv_authz_request a, b;
	struct srv_authz_error e;
	json_t *o = NULL;

	T_EQ_INT(parse(GOOD "&prompt=login consent&max_age=30&response_mode=form_post&ui_locales=en", &a, &e), 0);
	T_EQ_INT(srv_authz_to_json(&a, &o), 0);
	T_EQ_INT(srv_authz_from_json(o, &b), 0);
	T_EQ_STR(b.scope, a.scope);
	T_EQ_STR(b.code_challenge, CH);
	T_EQ_INT(b.prompt, SRV_PROMPT_LOGIN | SRV_PROMPT_CONSENT);
	T_EQ_INT(b.max_age, 30);
	T_EQ_INT(b.form_post, 1);
	T_EQ_INT(b.created, NOW);
	T_EQ_INT(b.resumed, 0);
	json_decref(o);
	srv_authz_request_clear(&a);
	srv_authz_request_clear(&b);
	o = json_pack("{s:s}", "client_id", "c1");
	T_EQ_INT(srv_authz_from_json(o, &b), EID_ERR_FORMAT);
	json_decref(o);
}

T_CASE(client_metadata_exact_members)
{
	struct srv_client odd = { 0 };

	T_EQ_INT(srv_client_metadata_has(&client, "redirect_uris", RP), 1);
	T_EQ_INT(srv_client_metadata_has(&client, "redirect_uris", "https://portal.example.vn/cb2?x=1"), 1);
	/* byte for byte: no prefix, no case folding, no trailing slash */
	T_EQ_INT(srv_client_metadata_has(&client, "redirect_uris", "https://portal.example.vn/"), 0);
	T_EQ_INT(srv_client_metadata_has(&client, "redirect_uris", "https://portal.example.vn/CB"), 0);
	T_EQ_INT(srv_client_metadata_has(&client, "redirect_uris", RP "/"), 0);
	T_EQ_INT(srv_client_metadata_has(&client, "grant_types", "refresh_token"), 1);
	T_EQ_INT(srv_client_metadata_has(&client, "grant_types", "client_credentials"), 0);
	/* a value of another member, a member that is not an array, a missing member */
	T_EQ_INT(srv_client_metadata_has(&client, "grant_types", RP), 0);
	T_EQ_INT(srv_client_metadata_has(&client, "scope", "openid profile citizen_id"), 0);
	T_EQ_INT(srv_client_metadata_has(&client, "post_logout_redirect_uris", RP), 0);
	/* non-string entries are skipped */
	odd.metadata = json_pack("{s:[i,n,s]}", "grant_types", 7, "authorization_code");
	T_EQ_INT(srv_client_metadata_has(&odd, "grant_types", "7"), 0);
	T_EQ_INT(srv_client_metadata_has(&odd, "grant_types", "authorization_code"), 1);
	json_decref(odd.metadata);
}

int
main(void)
{
	setup();
	T_RUN(good_request_parses);
	T_RUN(stage1_errors_never_redirect);
	T_RUN(stage2_errors_redirect_with_state);
	T_RUN(decide_login_consent_issue);
	T_RUN(prompt_login_and_max_age);
	T_RUN(acr_values_lowest_known_level);
	T_RUN(scope_algebra);
	T_RUN(pkce_rfc7636_appendix_b);
	T_RUN(respond_query_and_form_post);
	T_RUN(pending_round_trip);
	T_RUN(client_metadata_exact_members);
	json_decref(client.metadata);
	return t_done();
}
