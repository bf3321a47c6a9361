/*
 * test_tokens_text.c - server/srv_tokens.c without jansson on the hot path: the claims
 * text of access and ID tokens (srv_tokens_access_text, srv_tokens_id_text) and the
 * /token answer (srv_tokens_respond) are the very bytes the jansson way gives, and a
 * value that needs escaping or a parameter that the jansson way refuses sends the
 * caller there (EID_ERR_UNSUPPORTED). Pure: no store, no socket.
 */
#include <string.h>

#include "../t.h"
#include "srv_req.h"
#include "srv_tokens.h"

#define ISS "https://eid.example/"
#define NOW ((time_t)1763935200)
#define REF "bm9uY2Utbm9uY2Utbm9uY2UtYm94LWJveC1ib3gtYm94"

/* The jansson way's text: the claims (+ eid_ref as issuing adds it), dumped as signing does. */
static char *
access_jansson(const struct srv_access_token_params *p, time_t now, const char *jti,
    const char *ref, int *r)
{
	json_t *c = NULL;
	char *s = NULL;

	if ((*r = srv_tokens_access_claims(ISS, p, now, jti, &c)) != 0)
		return NULL;
	if (ref != NULL)
		json_object_set_new(c, "eid_ref", json_string(ref));
	s = json_dumps(c, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(c);
	return s;
}

/* 0 if the direct text equals the jansson text; else which step differed. */
static int
access_same(const struct srv_access_token_params *p, time_t now, const char *jti, const char *ref)
{
	struct cx_dynbuf b;
	char *want;
	int r, rj;

	cx_dynbuf_init(&b, 8192);
	r = srv_tokens_access_text(ISS, p, now, jti, ref, &b);
	want = access_jansson(p, now, jti, ref, &rj);
	if (r == 0)
		r = want != NULL && strcmp(want, cx_dynbuf_str(&b)) == 0 ? 0 : 1000;
	if (r == 1000 && want != NULL)
		printf("# direct %s\n# jansson %s\n", cx_dynbuf_str(&b), want);
	free(want);
	cx_dynbuf_free(&b);
	return r;
}

T_CASE(access_claims_text)
{
	struct srv_access_token_params cc = { .client_id = "c_abc", .sub = "c_abc",
		.scope = "document_verify" };
	struct srv_access_token_params user = { .client_id = "c_web", .sub = "pairwise-sub_x",
		.aud = "urn:rs:one", .scope = "openid profile", .lifetime = 120, .account_id = "a1",
		.acr = "urn:eid:loa:high", .auth_time = 1763935100, .jti = "jti" };

	T_EQ_INT(access_same(&cc, NOW, "AAAAAAAAAAAAAAAAAAAAAA", NULL), 0);
	T_EQ_INT(access_same(&user, NOW, "BBBBBBBBBBBBBBBBBBBBBB", REF), 0);
	cc.scope = NULL;
	T_EQ_INT(access_same(&cc, 0, "j", NULL), 0);
	/* the jansson way for what needs escaping or is refused */
	user.scope = "openid \"profile\"";
	T_EQ_INT(access_same(&user, NOW, "j", REF), EID_ERR_UNSUPPORTED);
	user.scope = "openid";
	user.sub = "Nguy\xe1\xbb\x85n";
	T_EQ_INT(access_same(&user, NOW, "j", REF), EID_ERR_UNSUPPORTED);
	user.sub = "s";
	user.client_id = NULL;
	T_EQ_INT(access_same(&user, NOW, "j", REF), EID_ERR_UNSUPPORTED);
	user.client_id = "c";
	T_EQ_INT(access_same(&user, -1, "j", REF), EID_ERR_UNSUPPORTED);
	T_EQ_INT(access_same(&user, (time_t)253402300800LL, "j", REF), EID_ERR_UNSUPPORTED);
	T_EQ_INT(access_same(&user, (time_t)253402300800LL - 120, "j", REF), 0);
	T_EQ_INT(access_same(&user, NOW, NULL, REF), EID_ERR_UNSUPPORTED);
}

static int
id_same(const struct srv_id_token_params *p, time_t now)
{
	struct cx_dynbuf b;
	json_t *c = NULL;
	char *want = NULL;
	int r;

	cx_dynbuf_init(&b, 8192);
	r = srv_tokens_id_text(ISS, p, now, &b);
	if (srv_tokens_id_claims(ISS, p, now, &c) == 0)
		want = json_dumps(c, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (r == 0)
		r = want != NULL && strcmp(want, cx_dynbuf_str(&b)) == 0 ? 0 : 1000;
	if (r == 1000 && want != NULL)
		printf("# direct %s\n# jansson %s\n", cx_dynbuf_str(&b), want);
	json_decref(c);
	free(want);
	cx_dynbuf_free(&b);
	return r;
}

T_CASE(id_claims_text)
{
	json_t *amr = json_pack("[s,s]", "pwd", "otp"), *bad = json_pack("[s,i]", "pwd", 2);
	struct srv_id_token_params p = { .client_id = "c_web", .sub = "pairwise-sub_x",
		.nonce = "n-1", .acr = "urn:eid:loa:substantial", .amr = amr,
		.auth_time = 1763935100, .sid = "sid-123",
		.access_token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", .alg = TOK_ALG_ES256 };

	T_ASSERT(amr != NULL && bad != NULL);
	T_EQ_INT(id_same(&p, NOW), 0);
	p.alg = TOK_ALG_EDDSA;          /* at_hash from SHA-512 */
	T_EQ_INT(id_same(&p, NOW), 0);
	p.nonce = p.sid = p.access_token = NULL;
	p.amr = NULL;
	p.auth_time = 0;
	T_EQ_INT(id_same(&p, NOW), 0);
	/* the jansson way */
	p.nonce = "a nonce with \\ in it";
	T_EQ_INT(id_same(&p, NOW), EID_ERR_UNSUPPORTED);
	p.nonce = "n";
	p.amr = bad;
	T_EQ_INT(id_same(&p, NOW), EID_ERR_UNSUPPORTED);
	p.amr = amr;
	p.acr = NULL;
	T_EQ_INT(id_same(&p, NOW), EID_ERR_UNSUPPORTED);
	json_decref(amr);
	json_decref(bad);
}

T_CASE(at_hash_values)
{
	static const char at[] = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln";
	char out[64], small[23];

	/* left half of SHA-256 (SHA-512 for EdDSA), base64url: computed with Python's hashlib */
	T_EQ_INT(srv_tokens_at_hash(TOK_ALG_ES256, at, out, sizeof(out)), 0);
	T_EQ_STR(out, "n0nRczkT_BagJ1MOYOK44g");
	T_EQ_INT(srv_tokens_at_hash(TOK_ALG_EDDSA, at, out, sizeof(out)), 0);
	T_EQ_STR(out, "a-6qb0mjbCR2jIHhBRvM2PfXdmk_2BSCkrr1EQWbk9A");
	T_EQ_INT(srv_tokens_at_hash(TOK_ALG_ES256, at, small, sizeof(small) - 1), EID_ERR_TOO_LARGE);
	T_EQ_INT(srv_tokens_at_hash(TOK_ALG_ES256, at, small, sizeof(small)), 0);
	T_EQ_STR(small, "n0nRczkT_BagJ1MOYOK44g");
}

/* The answer srv_tokens_respond writes, and the one jansson gives for the same members. */
static int
respond_same(const char *at, long exp, const char *scope, const char *idt, const char *rt)
{
	struct srv_resp resp;
	json_t *o;
	char *want;
	int r;

	srv_resp_init(&resp);
	r = srv_tokens_respond(&resp, at, exp, scope, idt, rt);
	o = json_pack("{s:s,s:s,s:I,s:s}", "access_token", at, "token_type", "Bearer",
	    "expires_in", (json_int_t)exp, "scope", scope);
	if (o != NULL && idt != NULL)
		json_object_set_new(o, "id_token", json_string(idt));
	if (o != NULL && rt != NULL)
		json_object_set_new(o, "refresh_token", json_string(rt));
	want = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	if (r == 0 && (want == NULL || strcmp(want, cx_dynbuf_str(&resp.body)) != 0 ||
	    resp.status != 200 || !resp.no_store || strcmp(resp.content_type, "application/json") != 0)) {
		printf("# got %s\n# want %s\n", cx_dynbuf_str(&resp.body), want != NULL ? want : "-");
		r = 1000;
	}
	json_decref(o);
	free(want);
	srv_resp_clear(&resp);
	return r;
}

T_CASE(token_answer)
{
	static const char at[] = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln";

	T_EQ_INT(respond_same(at, 300, "document_verify", NULL, NULL), 0);
	T_EQ_INT(respond_same(at, 300, "openid profile", "eyJ.eyJ.sig", NULL), 0);
	T_EQ_INT(respond_same(at, 300, "openid profile", "eyJ.eyJ.sig", "rt_abc-123"), 0);
	T_EQ_INT(respond_same(at, 300, "openid profile", NULL, "rt_abc-123"), 0);
	/* escapes go through jansson, with the same result */
	T_EQ_INT(respond_same(at, 60, "a\"b \xc3\xa9", NULL, "r\\t"), 0);
	/* jansson refuses a missing scope, and so does the answer */
	T_EQ_INT(respond_same(at, 300, NULL, NULL, NULL), EID_ERR_NOMEM);
}

int
main(void)
{
	T_RUN(access_claims_text);
	T_RUN(id_claims_text);
	T_RUN(at_hash_values);
	T_RUN(token_answer);
	return t_done();
}
