/*
 * test_client_assertion.c - private_key_jwt client assertions (RFC 7523, OIDC Core 9)
 * and the public-client rule, without Redis or HTTP:
 *   - srv_client_assertion_verify / _check: every acceptance and refusal rule, with
 *     assertions built here by tokens/ (tok_key_generate, tok_jwt_sign) or by hand
 *     (no kid, alg none, HS256 keyed with the public key);
 *   - srv_client_assertion_peek_iss on malformed input;
 *   - srv_oauth_client_none_allowed;
 *   - srv_client_keys with a scripted transport: registered jwks, the jwks_uri cache
 *     (TTL, rate-limited refresh, fail closed, replacement while a keyset is in use,
 *     one fetch for concurrent callers) and the URL rule of the libcurl transport.
 * Replay (jti in Redis) and real fetches are in tests/integration/test_oidc_client_auth.py.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "../t.h"
#include "cx_util.h"
#include "srv_client_keys.h"
#include "srv_oauth_client.h"
#include "tok_jws.h"
#include "tok_jwt.h"
#include "tok_key.h"
#include "tok_keyset.h"

#define ISS     "https://id.example.vn"
#define CID     "client-abc"
#define NOW     ((time_t)1800000000)

static struct tok_key *k_rs, *k_ps, *k_es, *k_ed, *k_other_es;
static struct tok_keyset *ks_all;       /* public halves of k_rs, k_ps, k_es, k_ed */

/* The public keys of the given keys, as a client would register them. */
static struct tok_keyset *
public_set(struct tok_key **keys, size_t n)
{
	struct tok_keyset *ks = NULL, *out = NULL;
	struct tok_key *k = NULL;
	json_t *jwks = NULL;
	char *txt = NULL;
	size_t i;

	if (tok_keyset_new(&ks) != 0)
		abort();
	for (i = 0; i < n; i++) {
		char *pem = NULL;
		size_t len = 0;

		if (tok_key_to_pem(keys[i], &pem, &len) != 0 ||
		    tok_key_from_pem(pem, len, tok_key_alg(keys[i]), &k) != 0 ||
		    tok_key_set_kid(k, tok_key_kid(keys[i])) != 0 || tok_keyset_add(ks, &k) != 0)
			abort();
		cx_free_str(pem);
	}
	if (tok_keyset_to_jwks_json(ks, &jwks) != 0 || (txt = json_dumps(jwks, JSON_COMPACT)) == NULL ||
	    tok_keyset_from_jwks_json(txt, strlen(txt), &out) != 0)
		abort();
	free(txt);
	json_decref(jwks);
	tok_keyset_free(&ks);
	return out;
}

/* Good claims: iss = sub = CID, aud = the token endpoint, iat = NOW, exp = NOW + 60, jti. */
static json_t *
good_claims(void)
{
	json_t *c = json_pack("{s:s,s:s,s:s,s:I,s:I,s:s}", "iss", CID, "sub", CID,
	    "aud", ISS "/token", "iat", (json_int_t)NOW, "exp", (json_int_t)NOW + 60,
	    "jti", "jti-0001");

	if (c == NULL)
		abort();
	return c;
}

static char *
sign(const struct tok_key *k, json_t *claims)
{
	char *out = NULL;

	if (tok_jwt_sign(k, "JWT", claims, &out) != 0)
		abort();
	json_decref(claims);
	return out;
}

static char *
b64u(const void *p, size_t n)
{
	char *o = malloc(CX_B64URL_LEN(n));

	if (o == NULL || cx_b64url_encode(o, CX_B64URL_LEN(n), p, n) != 0)
		abort();
	return o;
}

/* header.payload. + signature by key (NULL key: the given raw signature text). */
static char *
sign_raw(const struct tok_key *k, const char *header, json_t *claims, const char *rawsig)
{
	char *pl = json_dumps(claims, JSON_COMPACT), *h = b64u(header, strlen(header)), *p, *s, *out;
	uint8_t *sig = NULL;
	size_t siglen = 0, n;

	p = b64u(pl, strlen(pl));
	n = strlen(h) + strlen(p) + 2;
	out = malloc(n + 2048);
	snprintf(out, n + 2048, "%s.%s", h, p);
	if (k != NULL) {
		if (tok_sig_sign(k, out, strlen(out), &sig, &siglen) != 0)
			abort();
		s = b64u(sig, siglen);
	} else
		s = strdup(rawsig);
	strcat(out, ".");
	strcat(out, s);
	free(sig);
	free(s);
	free(h);
	free(p);
	free(pl);
	json_decref(claims);
	return out;
}

/* Verify against ks_all for CID at NOW; returns the result and the reason. */
static int
verify(const char *a, const struct tok_keyset *ks, const char **why)
{
	json_t *claims = NULL;
	long long exp = 0;
	int r = srv_client_assertion_verify(a, ks != NULL ? ks : ks_all, CID, ISS, NOW, &claims, &exp, why);

	if (r == 0 && (claims == NULL || exp <= 0))
		r = -9999;
	json_decref(claims);
	return r;
}

/* One claim changed (value NULL: removed), signed ES256, verified. */
static int
verify_with(const char *name, json_t *value, const char **why)
{
	json_t *c = good_claims();
	char *a;
	int r;

	if (value == NULL)
		json_object_del(c, name);
	else
		json_object_set_new(c, name, value);
	a = sign(k_es, c);
	r = verify(a, NULL, why);
	free(a);
	return r;
}

T_CASE(accepts_each_allowed_algorithm)
{
	struct tok_key *keys[] = { k_rs, k_ps, k_es, k_ed };
	const char *why = NULL;
	size_t i;

	for (i = 0; i < 4; i++) {
		char *a = sign(keys[i], good_claims());
		int r = verify(a, NULL, &why);

		free(a);
		if (r != 0)
			T_FAIL("%s refused (%d, %s)", tok_alg_name(tok_key_alg(keys[i])), r, why);
	}
}

T_CASE(claims_and_exp_are_returned)
{
	json_t *claims = NULL;
	long long exp = 0;
	const char *why = NULL;
	char *a = sign(k_ed, good_claims());

	T_EQ_INT(srv_client_assertion_verify(a, ks_all, CID, ISS, NOW, &claims, &exp, &why), 0);
	free(a);
	T_EQ_INT(exp, NOW + 60);
	T_EQ_STR(json_string_value(json_object_get(claims, "jti")), "jti-0001");
	json_decref(claims);
}

T_CASE(no_kid_uses_the_only_key_of_the_algorithm)
{
	const char *why = NULL;
	char *a = sign_raw(k_es, "{\"alg\":\"ES256\"}", good_claims(), NULL);

	T_EQ_INT(verify(a, NULL, &why), 0);
	free(a);
}

T_CASE(no_kid_with_two_keys_of_the_algorithm_is_refused)
{
	struct tok_key *keys[] = { k_es, k_other_es };
	struct tok_keyset *two = public_set(keys, 2);
	const char *why = NULL;
	char *a = sign_raw(k_es, "{\"alg\":\"ES256\"}", good_claims(), NULL);
	int r = verify(a, two, &why);

	free(a);
	tok_keyset_free(&two);
	T_EQ_INT(r, EID_ERR_KID_UNKNOWN);
	T_EQ_STR(why, "kid");
}

T_CASE(unknown_kid_is_reported_as_such)
{
	const char *why = NULL;
	char *a = sign(k_other_es, good_claims());     /* kid not in ks_all */

	T_EQ_INT(verify(a, NULL, &why), EID_ERR_KID_UNKNOWN);
	free(a);
	T_EQ_STR(why, "kid");
}

T_CASE(another_clients_key_under_our_kid_is_refused)
{
	char hdr[256];
	const char *why = NULL;
	char *a;

	snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"kid\":\"%s\"}", tok_key_kid(k_es));
	a = sign_raw(k_other_es, hdr, good_claims(), NULL);
	T_EQ_INT(verify(a, NULL, &why), EID_ERR_DENIED);
	free(a);
	T_EQ_STR(why, "signature");
}

T_CASE(alg_none_is_refused)
{
	const char *why = NULL;
	char hdr[256];
	char *a;

	a = sign_raw(NULL, "{\"alg\":\"none\"}", good_claims(), "");
	T_EQ_INT(verify(a, NULL, &why), EID_ERR_DENIED);
	free(a);
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"none\",\"kid\":\"%s\"}", tok_key_kid(k_es));
	a = sign_raw(NULL, hdr, good_claims(), "AAAA");
	T_EQ_INT(verify(a, NULL, &why), EID_ERR_DENIED);
	free(a);
	T_EQ_STR(why, "alg");
}

/* HS256 keyed with the public key (PEM, and the raw JWK text): the classic confusion. */
T_CASE(hs256_with_the_public_key_as_secret_is_refused)
{
	const char *secrets[2];
	char *pem = NULL, *jwktxt = NULL;
	json_t *jwk = NULL;
	struct tok_key *pub = NULL;
	size_t len = 0, i;
	char hdr[256];

	if (tok_key_public_jwk(k_rs, &jwk) != 0 || (jwktxt = json_dumps(jwk, JSON_COMPACT)) == NULL ||
	    tok_key_from_jwk(jwk, &pub) != 0 || tok_key_to_pem(pub, &pem, &len) != 0)
		T_FAIL("setup");
	secrets[0] = pem;
	secrets[1] = jwktxt;
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"HS256\",\"kid\":\"%s\"}", tok_key_kid(k_rs));
	for (i = 0; i < 2; i++) {
		unsigned char mac[EVP_MAX_MD_SIZE];
		unsigned int maclen = 0;
		char *si = sign_raw(NULL, hdr, good_claims(), ""), *a, *m;
		const char *why = NULL;
		int r;

		si[strlen(si) - 1] = '\0';      /* drop the trailing '.' */
		HMAC(EVP_sha256(), secrets[i], (int)strlen(secrets[i]), (unsigned char *)si, strlen(si),
		    mac, &maclen);
		m = b64u(mac, maclen);
		a = malloc(strlen(si) + strlen(m) + 2);
		sprintf(a, "%s.%s", si, m);
		r = verify(a, NULL, &why);
		free(a);
		free(m);
		free(si);
		if (r != EID_ERR_DENIED || strcmp(why, "alg") != 0)
			T_FAIL("HS256 keyed with the public key (%zu): %d %s", i, r, why);
	}
	cx_free_str(pem);
	free(jwktxt);
	json_decref(jwk);
	tok_key_free(&pub);
}

T_CASE(tampered_payload_is_refused)
{
	const char *why = NULL;
	char *a = sign(k_rs, good_claims()), *good, *evil, *d1, *d2, *p, *t;
	json_t *c = good_claims();

	json_object_set_new(c, "sub", json_string("other-client"));
	evil = json_dumps(c, JSON_COMPACT);
	json_decref(c);
	p = b64u(evil, strlen(evil));
	d1 = strchr(a, '.');
	d2 = strchr(d1 + 1, '.');
	good = a;
	t = malloc(strlen(a) + strlen(p) + 2);
	snprintf(t, strlen(a) + strlen(p) + 2, "%.*s.%s%s", (int)(d1 - good), good, p, d2);
	T_EQ_INT(verify(t, NULL, &why), EID_ERR_DENIED);
	T_EQ_STR(why, "signature");
	free(t);
	free(p);
	free(evil);
	free(a);
}

T_CASE(iss_and_sub_must_both_be_the_client)
{
	const char *why = NULL;

	T_EQ_INT(verify_with("iss", json_string("client-xyz"), &why), EID_ERR_DENIED);
	T_EQ_STR(why, "iss");
	T_EQ_INT(verify_with("sub", json_string("client-xyz"), &why), EID_ERR_DENIED);
	T_EQ_STR(why, "sub");
	T_EQ_INT(verify_with("iss", NULL, &why), EID_ERR_DENIED);
	T_EQ_INT(verify_with("sub", NULL, &why), EID_ERR_DENIED);
	T_EQ_INT(verify_with("sub", json_integer(1), &why), EID_ERR_DENIED);
	/* a prefix or a longer id is another client */
	T_EQ_INT(verify_with("iss", json_string("client-ab"), &why), EID_ERR_DENIED);
	T_EQ_INT(verify_with("sub", json_string("client-abcd"), &why), EID_ERR_DENIED);
}

T_CASE(client_id_parameter_must_match_iss)
{
	json_t *claims = NULL;
	long long exp = 0;
	const char *why = NULL;
	char *a = sign(k_es, good_claims());

	/* the caller passes the client_id parameter: another id fails on iss */
	T_EQ_INT(srv_client_assertion_verify(a, ks_all, "client-xyz", ISS, NOW, &claims, &exp, &why),
	    EID_ERR_DENIED);
	free(a);
	T_ASSERT(claims == NULL);
	T_EQ_STR(why, "iss");
}

T_CASE(aud_token_endpoint_or_issuer)
{
	const char *why = NULL;

	T_EQ_INT(verify_with("aud", json_string(ISS), &why), 0);
	T_EQ_INT(verify_with("aud", json_pack("[ss]", "https://other.example", ISS "/token"), &why), 0);
	T_EQ_INT(verify_with("aud", json_pack("[s]", ISS), &why), 0);
	T_EQ_INT(verify_with("aud", json_string("https://other.example/token"), &why), EID_ERR_DENIED);
	T_EQ_STR(why, "aud");
	T_EQ_INT(verify_with("aud", json_string(ISS "/token/"), &why), EID_ERR_DENIED);
	T_EQ_INT(verify_with("aud", json_string(ISS "/introspect"), &why), EID_ERR_DENIED);
	T_EQ_INT(verify_with("aud", json_string(ISS "/"), &why), EID_ERR_DENIED);
	T_EQ_INT(verify_with("aud", json_pack("[]"), &why), EID_ERR_DENIED);
	T_EQ_INT(verify_with("aud", json_pack("[is]", 1, ISS), &why), EID_ERR_DENIED);
	T_EQ_INT(verify_with("aud", NULL, &why), EID_ERR_DENIED);
}

T_CASE(aud_array_is_capped)
{
	json_t *aud = json_array();
	const char *why = NULL;
	int i;

	for (i = 0; i < 16; i++)
		json_array_append_new(aud, json_string("https://x.example"));
	json_array_append_new(aud, json_string(ISS "/token"));     /* 17th */
	T_EQ_INT(verify_with("aud", aud, &why), EID_ERR_DENIED);
	T_EQ_STR(why, "aud");
}

T_CASE(exp_required_and_in_the_future)
{
	const char *why = NULL;

	T_EQ_INT(verify_with("exp", NULL, &why), EID_ERR_DENIED);
	T_EQ_STR(why, "exp");
	T_EQ_INT(verify_with("exp", json_integer(NOW - SRV_CLIENT_ASSERTION_LEEWAY - 1), &why), EID_ERR_DENIED);
	T_EQ_STR(why, "expired");
	T_EQ_INT(verify_with("exp", json_integer(NOW - 3600), &why), EID_ERR_DENIED);
	/* within the leeway (the RP's clock is slow): accepted */
	T_EQ_INT(verify_with("exp", json_integer(NOW - 5), &why), 0);
	T_EQ_INT(verify_with("exp", json_string("1900000000"), &why), EID_ERR_DENIED);
	T_EQ_INT(verify_with("exp", json_real(NOW + 59.5), &why), 0);
}

T_CASE(iat_and_nbf_not_in_the_future)
{
	const char *why = NULL;
	json_t *c;
	char *a;
	int r;

	T_EQ_INT(verify_with("iat", json_integer(NOW + SRV_CLIENT_ASSERTION_LEEWAY + 5), &why), EID_ERR_DENIED);
	T_EQ_STR(why, "times");
	T_EQ_INT(verify_with("iat", json_integer(NOW + 10), &why), 0);     /* within leeway */
	T_EQ_INT(verify_with("nbf", json_integer(NOW + SRV_CLIENT_ASSERTION_LEEWAY + 5), &why), EID_ERR_DENIED);
	T_EQ_INT(verify_with("nbf", json_integer(NOW - 10), &why), 0);
	T_EQ_INT(verify_with("iat", json_string("now"), &why), EID_ERR_DENIED);
	T_EQ_INT(verify_with("nbf", json_integer(-1), &why), EID_ERR_DENIED);
	/* nbf at or after exp */
	c = good_claims();
	json_object_set_new(c, "nbf", json_integer(NOW + 20));
	json_object_set_new(c, "exp", json_integer(NOW + 20));
	a = sign(k_es, c);
	r = verify(a, NULL, &why);
	free(a);
	T_EQ_INT(r, EID_ERR_DENIED);
}

T_CASE(long_lived_assertions_are_refused)
{
	const char *why = NULL;
	json_t *c;
	char *a;
	int r;

	T_EQ_INT(verify_with("exp", json_integer(NOW + SRV_CLIENT_ASSERTION_MAX_LIFETIME), &why), 0);
	T_EQ_INT(verify_with("exp", json_integer(NOW + SRV_CLIENT_ASSERTION_MAX_LIFETIME + 1), &why),
	    EID_ERR_DENIED);
	T_EQ_STR(why, "lifetime");
	T_EQ_INT(verify_with("exp", json_integer(NOW + 86400 * 365), &why), EID_ERR_DENIED);
	/* without iat the lifetime counts from now (plus the leeway) */
	c = good_claims();
	json_object_del(c, "iat");
	json_object_set_new(c, "exp", json_integer(NOW + 300));
	a = sign(k_es, c);
	r = verify(a, NULL, &why);
	free(a);
	T_EQ_INT(r, 0);
	c = good_claims();
	json_object_del(c, "iat");
	json_object_set_new(c, "exp", json_integer(NOW + SRV_CLIENT_ASSERTION_MAX_LIFETIME +
	    SRV_CLIENT_ASSERTION_LEEWAY + 1));
	a = sign(k_es, c);
	r = verify(a, NULL, &why);
	free(a);
	T_EQ_INT(r, EID_ERR_DENIED);
	T_EQ_STR(why, "lifetime");
	/* an old iat with a far exp: still the lifetime that counts */
	c = good_claims();
	json_object_set_new(c, "iat", json_integer(NOW - 3000));
	json_object_set_new(c, "exp", json_integer(NOW + 60));
	a = sign(k_es, c);
	r = verify(a, NULL, &why);
	free(a);
	T_EQ_INT(r, EID_ERR_DENIED);
}

T_CASE(jti_required)
{
	char big[SRV_CLIENT_ASSERTION_JTI_MAX + 2];
	const char *why = NULL;

	T_EQ_INT(verify_with("jti", NULL, &why), EID_ERR_DENIED);
	T_EQ_STR(why, "jti");
	T_EQ_INT(verify_with("jti", json_string(""), &why), EID_ERR_DENIED);
	T_EQ_INT(verify_with("jti", json_integer(7), &why), EID_ERR_DENIED);
	memset(big, 'j', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	T_EQ_INT(verify_with("jti", json_string(big), &why), EID_ERR_DENIED);
	big[sizeof(big) - 2] = '\0';     /* exactly the cap */
	T_EQ_INT(verify_with("jti", json_string(big), &why), 0);
	T_EQ_INT(verify_with("jti", json_stringn("a\0b", 3), &why), EID_ERR_DENIED);
}

T_CASE(check_refuses_a_header_outside_the_allowlist)
{
	const char *algs[] = { "none", "HS256", "HS512", "RS384", "ES512", "", "rs256" };
	json_t *c = good_claims(), *h;
	long long exp;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		h = json_pack("{s:s}", "alg", algs[i]);
		if (srv_client_assertion_check(h, c, CID, ISS, NOW, &exp, &why) != EID_ERR_DENIED ||
		    strcmp(why, "alg") != 0)
			T_FAIL("alg %s accepted", algs[i]);
		json_decref(h);
	}
	h = json_pack("{s:s}", "alg", "EdDSA");
	T_EQ_INT(srv_client_assertion_check(h, c, CID, ISS, NOW, &exp, &why), 0);
	json_decref(h);
	json_decref(c);
}

T_CASE(malformed_assertions_are_refused)
{
	const char *bad[] = { "", "garbage", "a.b", "a.b.c", "...", "a.b.c.d", "a.b.c.d.e",
	    "eyJhbGciOiJFUzI1NiJ9..", "!!!.###.$$$" };
	const char *why;
	char *huge;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (verify(bad[i], NULL, &why) != EID_ERR_DENIED)
			T_FAIL("malformed assertion %zu accepted", i);
	huge = malloc(100 * 1024 + 1);
	memset(huge, 'A', 100 * 1024);
	huge[10] = '.';
	huge[50000] = '.';
	huge[100 * 1024] = '\0';
	T_EQ_INT(verify(huge, NULL, &why), EID_ERR_DENIED);
	free(huge);
}

T_CASE(peek_iss)
{
	char *id = NULL, *a;
	json_t *c;
	char longid[EID_CLIENT_ID_MAX + 2];

	a = sign(k_es, good_claims());
	T_EQ_INT(srv_client_assertion_peek_iss(a, &id), 0);
	T_EQ_STR(id, CID);
	free(id);
	free(a);
	T_EQ_INT(srv_client_assertion_peek_iss("garbage", &id), EID_ERR_JWS);
	T_ASSERT(id == NULL);
	T_EQ_INT(srv_client_assertion_peek_iss("a..c", &id), EID_ERR_JWS);
	T_EQ_INT(srv_client_assertion_peek_iss("a.b.c.d", &id), EID_ERR_JWS);
	T_EQ_INT(srv_client_assertion_peek_iss("a.e30.c", &id), EID_ERR_JWS);  /* {} */
	c = good_claims();
	json_object_set_new(c, "iss", json_integer(5));
	a = sign(k_es, c);
	T_EQ_INT(srv_client_assertion_peek_iss(a, &id), EID_ERR_JWS);
	free(a);
	memset(longid, 'x', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	c = good_claims();
	json_object_set_new(c, "iss", json_string(longid));
	a = sign(k_es, c);
	T_EQ_INT(srv_client_assertion_peek_iss(a, &id), EID_ERR_JWS);
	free(a);
	/* deep nesting is refused before jansson sees it */
	{
		char deep[200], *p, *seg;
		size_t i;

		p = deep;
		for (i = 0; i < 40; i++)
			*p++ = '[';
		*p = '\0';
		seg = b64u(deep, strlen(deep));
		a = malloc(strlen(seg) + 10);
		sprintf(a, "e30.%s.c", seg);
		T_EQ_INT(srv_client_assertion_peek_iss(a, &id), EID_ERR_JWS);
		free(a);
		free(seg);
	}
}

static struct srv_client *
client_with(const char *method, int disabled)
{
	struct srv_client *c = calloc(1, sizeof(*c));

	c->client_id = strdup(CID);
	c->metadata = method != NULL ? json_pack("{s:s}", "token_endpoint_auth_method", method) : json_object();
	c->disabled = disabled;
	return c;
}

T_CASE(none_only_for_public_clients_at_token_and_revoke)
{
	struct srv_client *pub = client_with("none", 0), *off = client_with("none", 1);
	struct srv_client *sec = client_with("client_secret_basic", 0), *dflt = client_with(NULL, 0);
	struct srv_client *pkj = client_with("private_key_jwt", 0);

	T_EQ_INT(srv_oauth_client_none_allowed(pub, "/token"), 1);
	T_EQ_INT(srv_oauth_client_none_allowed(pub, "/revoke"), 1);
	T_EQ_INT(srv_oauth_client_none_allowed(pub, "/introspect"), 0);
	T_EQ_INT(srv_oauth_client_none_allowed(pub, "/token/"), 0);
	T_EQ_INT(srv_oauth_client_none_allowed(pub, NULL), 0);
	T_EQ_INT(srv_oauth_client_none_allowed(off, "/token"), 0);
	T_EQ_INT(srv_oauth_client_none_allowed(sec, "/token"), 0);
	T_EQ_INT(srv_oauth_client_none_allowed(dflt, "/token"), 0);   /* default: secret_basic */
	T_EQ_INT(srv_oauth_client_none_allowed(pkj, "/revoke"), 0);
	T_EQ_INT(srv_oauth_client_none_allowed(NULL, "/token"), 0);
	srv_client_free(&pub);
	srv_client_free(&off);
	srv_client_free(&sec);
	srv_client_free(&dflt);
	srv_client_free(&pkj);
}

/* ---- srv_client_keys with a scripted transport ---- */

static pthread_mutex_t fake_mu = PTHREAD_MUTEX_INITIALIZER;
static char *fake_body;         /* what the "RP" serves */
static int fake_err;            /* or this error */
static int fake_fetches;
static int fake_delay_ms;

static int
fake_fetch(const char *uri, char **body, size_t *len)
{
	int err;

	(void)uri;
	pthread_mutex_lock(&fake_mu);
	fake_fetches++;
	err = fake_err;
	*body = err == 0 ? strdup(fake_body) : NULL;
	pthread_mutex_unlock(&fake_mu);
	if (fake_delay_ms > 0)
		usleep((useconds_t)fake_delay_ms * 1000);
	if (err != 0)
		return err;
	*len = strlen(*body);
	return 0;
}

static void
serve(struct tok_key **keys, size_t n, int err)
{
	struct tok_keyset *ks = public_set(keys, n);
	json_t *j = NULL;

	if (tok_keyset_to_jwks_json(ks, &j) != 0)
		abort();
	pthread_mutex_lock(&fake_mu);
	free(fake_body);
	fake_body = json_dumps(j, JSON_COMPACT);
	fake_err = err;
	pthread_mutex_unlock(&fake_mu);
	json_decref(j);
	tok_keyset_free(&ks);
}

static struct srv_client *
uri_client(const char *id)
{
	struct srv_client *c = calloc(1, sizeof(*c));

	c->client_id = strdup(id);
	c->metadata = json_pack("{s:s,s:s}", "token_endpoint_auth_method", "private_key_jwt",
	    "jwks_uri", "https://rp.example/jwks");
	return c;
}

static void
keys_reset(void)
{
	srv_client_keys_cache_clear();
	srv_client_keys_set_fetch(fake_fetch);
	fake_fetches = 0;
	fake_delay_ms = 0;
}

static int
has_kid(const struct srv_client_keys *k, const struct tok_key *key)
{
	return tok_keyset_find(srv_client_keys_keyset(k), tok_key_kid(key), tok_key_alg(key)) != NULL;
}

T_CASE(registered_jwks_is_used_and_wins)
{
	struct tok_key *keys[] = { k_ed };
	struct tok_keyset *ks = public_set(keys, 1);
	struct srv_client *c = uri_client(CID);
	struct srv_client_keys *k = NULL;
	json_t *jwks = NULL;

	keys_reset();
	if (tok_keyset_to_jwks_json(ks, &jwks) != 0)
		T_FAIL("setup");
	json_object_set_new(c->metadata, "jwks", jwks);
	T_EQ_INT(srv_client_keys_get(c, NOW, 0, &k), 0);
	T_ASSERT(has_kid(k, k_ed));
	T_EQ_INT(srv_client_keys_fetched(k), 0);
	T_EQ_INT(fake_fetches, 0);
	srv_client_keys_release(&k);
	T_ASSERT(k == NULL);
	/* a registered JWKS with a private member is refused as a whole */
	json_object_set_new(json_array_get(json_object_get(json_object_get(c->metadata, "jwks"), "keys"), 0),
	    "d", json_string("AAAA"));
	T_ASSERT(srv_client_keys_get(c, NOW, 0, &k) != 0 && k == NULL);
	/* and without jwks or jwks_uri there are no keys */
	json_object_clear(c->metadata);
	T_EQ_INT(srv_client_keys_get(c, NOW, 0, &k), EID_ERR_NOT_FOUND);
	srv_client_free(&c);
	tok_keyset_free(&ks);
}

T_CASE(jwks_uri_is_cached_for_the_ttl)
{
	struct tok_key *keys[] = { k_es };
	struct srv_client *c = uri_client(CID);
	struct srv_client_keys *k1 = NULL, *k2 = NULL;

	keys_reset();
	serve(keys, 1, 0);
	T_EQ_INT(srv_client_keys_get(c, NOW, 0, &k1), 0);
	T_ASSERT(has_kid(k1, k_es) && srv_client_keys_fetched(k1));
	T_EQ_INT(srv_client_keys_get(c, NOW + SRV_CLIENT_KEYS_TTL - 1, 0, &k2), 0);
	T_ASSERT(k1 == k2);
	T_EQ_INT(fake_fetches, 1);
	srv_client_keys_release(&k2);
	T_EQ_INT(srv_client_keys_get(c, NOW + SRV_CLIENT_KEYS_TTL, 0, &k2), 0);
	T_EQ_INT(fake_fetches, 2);
	T_ASSERT(k1 != k2);
	/* k1 was replaced in the cache but is still ours to use */
	T_ASSERT(has_kid(k1, k_es));
	srv_client_keys_release(&k1);
	srv_client_keys_release(&k2);
	srv_client_free(&c);
}

T_CASE(refresh_is_rate_limited_per_entry)
{
	struct tok_key *old[] = { k_es }, *rotated[] = { k_other_es };
	struct srv_client *c = uri_client(CID), *d = uri_client("client-other");
	struct srv_client_keys *k = NULL;
	int i;

	keys_reset();
	serve(old, 1, 0);
	T_EQ_INT(srv_client_keys_get(c, NOW, 0, &k), 0);
	srv_client_keys_release(&k);
	serve(rotated, 1, 0);
	/* a flood of refresh requests within the interval: no fetch */
	for (i = 0; i < 50; i++) {
		T_EQ_INT(srv_client_keys_get(c, NOW + i % SRV_CLIENT_KEYS_REFETCH_MIN, SRV_CLIENT_KEYS_REFRESH, &k), 0);
		T_ASSERT(has_kid(k, k_es) && !has_kid(k, k_other_es));
		srv_client_keys_release(&k);
	}
	T_EQ_INT(fake_fetches, 1);
	/* another client has its own entry and its own budget */
	T_EQ_INT(srv_client_keys_get(d, NOW + 1, 0, &k), 0);
	T_ASSERT(has_kid(k, k_other_es));
	srv_client_keys_release(&k);
	T_EQ_INT(fake_fetches, 2);
	/* after the interval one refresh goes out and brings the rotated key */
	T_EQ_INT(srv_client_keys_get(c, NOW + SRV_CLIENT_KEYS_REFETCH_MIN, SRV_CLIENT_KEYS_REFRESH, &k), 0);
	T_ASSERT(has_kid(k, k_other_es) && !has_kid(k, k_es));
	srv_client_keys_release(&k);
	T_EQ_INT(fake_fetches, 3);
	T_EQ_INT(srv_client_keys_get(c, NOW + SRV_CLIENT_KEYS_REFETCH_MIN + 1, SRV_CLIENT_KEYS_REFRESH, &k), 0);
	srv_client_keys_release(&k);
	T_EQ_INT(fake_fetches, 3);
	srv_client_free(&c);
	srv_client_free(&d);
}

T_CASE(failed_fetches_fail_closed_and_are_rate_limited)
{
	struct tok_key *keys[] = { k_es };
	struct srv_client *c = uri_client(CID);
	struct srv_client_keys *k = NULL;

	keys_reset();
	serve(keys, 1, EID_ERR_TIMEOUT);
	T_EQ_INT(srv_client_keys_get(c, NOW, 0, &k), EID_ERR_TIMEOUT);
	T_ASSERT(k == NULL);
	/* the RP is down: we do not ask again before the interval */
	T_EQ_INT(srv_client_keys_get(c, NOW + 1, 0, &k), EID_ERR_TIMEOUT);
	T_EQ_INT(fake_fetches, 1);
	serve(keys, 1, 0);
	T_EQ_INT(srv_client_keys_get(c, NOW + SRV_CLIENT_KEYS_REFETCH_MIN, 0, &k), 0);
	srv_client_keys_release(&k);
	T_EQ_INT(fake_fetches, 2);
	/* a failed refresh keeps the keys that are still within their TTL */
	serve(keys, 1, EID_ERR_HTTP);
	T_EQ_INT(srv_client_keys_get(c, NOW + 2 * SRV_CLIENT_KEYS_REFETCH_MIN, SRV_CLIENT_KEYS_REFRESH, &k), 0);
	T_ASSERT(has_kid(k, k_es));
	srv_client_keys_release(&k);
	T_EQ_INT(fake_fetches, 3);
	/* ... but once expired they are not used */
	T_EQ_INT(srv_client_keys_get(c, NOW + SRV_CLIENT_KEYS_REFETCH_MIN + SRV_CLIENT_KEYS_TTL, 0, &k),
	    EID_ERR_HTTP);
	T_ASSERT(k == NULL);
	srv_client_free(&c);
}

T_CASE(fetched_body_must_be_a_usable_jwks)
{
	const char *bodies[] = { "", "not json", "{}", "{\"keys\":{}}", "{\"keys\":[]}",
	    "{\"keys\":[{\"kty\":\"oct\",\"k\":\"AAAA\"}]}", "[1,2]" };
	struct srv_client *c;
	struct srv_client_keys *k = NULL;
	char id[32];
	size_t i;

	keys_reset();
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		snprintf(id, sizeof(id), "client-%zu", i);
		c = uri_client(id);
		pthread_mutex_lock(&fake_mu);
		free(fake_body);
		fake_body = strdup(bodies[i]);
		fake_err = 0;
		pthread_mutex_unlock(&fake_mu);
		if (srv_client_keys_get(c, NOW, 0, &k) == 0 || k != NULL)
			T_FAIL("body %zu accepted", i);
		srv_client_free(&c);
	}
}

struct racer {
	struct srv_client *c;
	int r;
	struct srv_client_keys *k;
};

static void *
race(void *arg)
{
	struct racer *x = arg;

	x->r = srv_client_keys_get(x->c, NOW, 0, &x->k);
	return NULL;
}

T_CASE(concurrent_callers_share_one_fetch)
{
	struct tok_key *keys[] = { k_es };
	struct racer x[8];
	pthread_t th[8];
	struct srv_client *c = uri_client(CID);
	size_t i;

	keys_reset();
	serve(keys, 1, 0);
	fake_delay_ms = 150;
	for (i = 0; i < 8; i++) {
		x[i].c = c;
		x[i].k = NULL;
		if (pthread_create(&th[i], NULL, race, &x[i]) != 0)
			T_FAIL("pthread_create");
	}
	for (i = 0; i < 8; i++)
		pthread_join(th[i], NULL);
	fake_delay_ms = 0;
	T_EQ_INT(fake_fetches, 1);
	for (i = 0; i < 8; i++) {
		T_EQ_INT(x[i].r, 0);
		T_ASSERT(x[i].k == x[0].k);
	}
	/* the cache goes away while references are held: they stay valid */
	srv_client_keys_cache_clear();
	T_ASSERT(has_kid(x[3].k, k_es));
	for (i = 0; i < 8; i++)
		srv_client_keys_release(&x[i].k);
	srv_client_free(&c);
}

T_CASE(http_transport_refuses_other_urls_without_network)
{
	const char *bad[] = { "http://rp.example/jwks", "ftp://rp.example/jwks", "file:///etc/passwd",
	    "https://user@rp.example/jwks", "gopher://127.0.0.1/", "https://rp.example/jwks#x", "" };
	char *body = NULL;
	size_t len = 0, i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (srv_client_keys_fetch_http(bad[i], &body, &len) != EID_ERR_UNSUPPORTED || body != NULL)
			T_FAIL("URL %s not refused", bad[i]);
}

int
main(void)
{
	struct tok_key *four[4];

	if (tok_key_generate(TOK_ALG_RS256, &k_rs) != 0 || tok_key_generate(TOK_ALG_PS256, &k_ps) != 0 ||
	    tok_key_generate(TOK_ALG_ES256, &k_es) != 0 || tok_key_generate(TOK_ALG_EDDSA, &k_ed) != 0 ||
	    tok_key_generate(TOK_ALG_ES256, &k_other_es) != 0)
		abort();
	four[0] = k_rs;
	four[1] = k_ps;
	four[2] = k_es;
	four[3] = k_ed;
	ks_all = public_set(four, 4);

	T_RUN(accepts_each_allowed_algorithm);
	T_RUN(claims_and_exp_are_returned);
	T_RUN(no_kid_uses_the_only_key_of_the_algorithm);
	T_RUN(no_kid_with_two_keys_of_the_algorithm_is_refused);
	T_RUN(unknown_kid_is_reported_as_such);
	T_RUN(another_clients_key_under_our_kid_is_refused);
	T_RUN(alg_none_is_refused);
	T_RUN(hs256_with_the_public_key_as_secret_is_refused);
	T_RUN(tampered_payload_is_refused);
	T_RUN(iss_and_sub_must_both_be_the_client);
	T_RUN(client_id_parameter_must_match_iss);
	T_RUN(aud_token_endpoint_or_issuer);
	T_RUN(aud_array_is_capped);
	T_RUN(exp_required_and_in_the_future);
	T_RUN(iat_and_nbf_not_in_the_future);
	T_RUN(long_lived_assertions_are_refused);
	T_RUN(jti_required);
	T_RUN(check_refuses_a_header_outside_the_allowlist);
	T_RUN(malformed_assertions_are_refused);
	T_RUN(peek_iss);
	T_RUN(none_only_for_public_clients_at_token_and_revoke);
	T_RUN(registered_jwks_is_used_and_wins);
	T_RUN(jwks_uri_is_cached_for_the_ttl);
	T_RUN(refresh_is_rate_limited_per_entry);
	T_RUN(failed_fetches_fail_closed_and_are_rate_limited);
	T_RUN(fetched_body_must_be_a_usable_jwks);
	T_RUN(concurrent_callers_share_one_fetch);
	T_RUN(http_transport_refuses_other_urls_without_network);

	srv_client_keys_cache_clear();
	free(fake_body);
	tok_keyset_free(&ks_all);
	tok_key_free(&k_rs);
	tok_key_free(&k_ps);
	tok_key_free(&k_es);
	tok_key_free(&k_ed);
	tok_key_free(&k_other_es);
	return t_done();
}
