/*
 * test_webauthn.c - srv_webauthn (passkey registration and sign-in verification) against
 * the signed ceremonies in tests/vectors/webauthn/ (made by webauthn_vectors.py): every
 * vector must meet its expectation (accepted with the expected credential, or refused
 * for exactly the expected reason), the negative cases the issue names must be present,
 * and the caller-side rules (counter, replay of an assertion, origin from the issuer
 * URL, challenge generation, attestation roots) behave.
 * argv[1]: tests/vectors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cx_util.h"
#include "srv_webauthn.h"
#include "../t.h"

static const char *vdir;                    /* tests/vectors */
static json_t *regs, *asserts;              /* the two vector files */
static X509_STORE *roots;                   /* tests/vectors/webauthn/roots.pem */
static uint8_t challenge[SRV_WEBAUTHN_CHALLENGE_LEN];
static const uint8_t *get_challenge = challenge;     /* the one sign-ins are checked against */
static uint8_t user_handle[SRV_WEBAUTHN_MAX_USER_HANDLE];
static size_t user_handle_len;

/* A base64url string of the vector into a fresh buffer (aborts on a bad vector). */
static uint8_t *
b64(const json_t *o, const char *key, size_t *len)
{
	const char *s = json_string_value(json_object_get(o, key));
	uint8_t *p = NULL;

	if (s == NULL || cx_b64url_decode_alloc(&p, len, s, strlen(s), 64 * 1024) != 0) {
		fprintf(stderr, "vector field %s missing or malformed\n", key);
		abort();
	}
	return p;
}

static int
jint(const json_t *o, const char *key)
{
	return (int)json_integer_value(json_object_get(o, key));
}

static const char *
jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static const json_t *
find_case(const json_t *file, const char *name)
{
	size_t i;
	json_t *c;

	json_array_foreach(json_object_get(file, "cases"), i, c)
		if (strcmp(jstr(c, "name"), name) == 0)
			return c;
	return NULL;
}

static void
params_for(const json_t *c, struct srv_webauthn_params *p)
{
	memset(p, 0, sizeof(*p));
	p->rp_id = jstr(regs, "rp_id");
	p->origin = jstr(regs, "origin");
	p->challenge = challenge;
	p->require_uv = jint(c, "require_uv");
	p->require_attestation = jint(c, "require_attestation");
	p->attestation_roots = jint(c, "roots") ? roots : NULL;
}

static const char *
att_name(enum srv_webauthn_attestation a)
{
	switch (a) {
	case SRV_WEBAUTHN_ATT_NONE: return "none";
	case SRV_WEBAUTHN_ATT_SELF: return "self";
	case SRV_WEBAUTHN_ATT_UNVERIFIED: return "unverified";
	case SRV_WEBAUTHN_ATT_TRUSTED: return "trusted";
	}
	return "?";
}

/* Registration vector c: returns 0 and fills *cred on success, else the error. */
static int
do_registration(const json_t *c, struct srv_webauthn_credential *cred, const char **why)
{
	struct srv_webauthn_params p;
	uint8_t *cd, *ao;
	size_t cdlen, aolen;
	int r;

	params_for(c, &p);
	cd = b64(c, "client_data_json", &cdlen);
	ao = b64(c, "attestation_object", &aolen);
	r = srv_webauthn_verify_registration(&p, cd, cdlen, ao, aolen, cred, why);
	free(cd);
	free(ao);
	return r;
}

/* Assertion vector c against the credential its registration vector yields. */
static int
do_assertion(const json_t *c, uint32_t stored_count, struct srv_webauthn_assertion_result *res,
    const char **why)
{
	struct srv_webauthn_params p;
	struct srv_webauthn_credential reg;
	struct srv_webauthn_stored st;
	struct srv_webauthn_assertion a;
	const json_t *rc = find_case(regs, jstr(c, "credential"));
	const char *rwhy;
	uint8_t *cid, *cd, *ad, *sig, *uh = NULL;
	size_t cidlen, cdlen, adlen, siglen, uhlen = 0;
	int r;

	if (rc == NULL || do_registration(rc, &reg, &rwhy) != 0) {
		fprintf(stderr, "registration %s of %s does not verify (%s)\n",
		    jstr(c, "credential"), jstr(c, "name"), rc != NULL ? rwhy : "missing");
		abort();
	}
	memset(&st, 0, sizeof(st));
	st.cred_id = reg.cred_id;
	st.cred_id_len = reg.cred_id_len;
	st.cose_key = reg.cose_key;
	st.cose_key_len = reg.cose_key_len;
	st.alg = reg.alg;
	st.sign_count = stored_count;
	st.be = reg.be;
	st.user_handle = user_handle;
	st.user_handle_len = user_handle_len;

	memset(&p, 0, sizeof(p));
	p.rp_id = jstr(asserts, "rp_id");
	p.origin = jstr(asserts, "origin");
	p.challenge = get_challenge;
	p.require_uv = jint(c, "require_uv");

	cid = b64(c, "cred_id", &cidlen);
	cd = b64(c, "client_data_json", &cdlen);
	ad = b64(c, "authenticator_data", &adlen);
	sig = b64(c, "signature", &siglen);
	if (json_is_string(json_object_get(c, "user_handle")))
		uh = b64(c, "user_handle", &uhlen);
	memset(&a, 0, sizeof(a));
	a.cred_id = cid;
	a.cred_id_len = cidlen;
	a.client_data_json = cd;
	a.client_data_len = cdlen;
	a.authenticator_data = ad;
	a.authenticator_data_len = adlen;
	a.signature = sig;
	a.signature_len = siglen;
	a.user_handle = uh;
	a.user_handle_len = uhlen;
	r = srv_webauthn_verify_assertion(&p, &st, &a, res, why);
	free(cid);
	free(cd);
	free(ad);
	free(sig);
	free(uh);
	return r;
}

/* ---- one TAP line per vector ------------------------------------------------------------ */

static const json_t *cur;                   /* the vector the next check runs on */

static void
check_registration(void)
{
	struct srv_webauthn_credential cred;
	const char *why = NULL, *expect = jstr(cur, "expect");
	uint8_t *v;
	size_t n;
	int r = do_registration(cur, &cred, &why);

	T_ASSERT(why != NULL);
	if (strcmp(expect, "ok") != 0) {
		T_ASSERT(r < 0);
		T_EQ_STR(why, expect);
		T_EQ_INT(cred.cred_id_len, 0);      /* *out zeroed on failure */
		return;
	}
	T_EQ_INT(r, 0);
	T_EQ_STR(why, "ok");
	v = b64(cur, "cred_id", &n);
	T_EQ_MEM(cred.cred_id, cred.cred_id_len, v, n);
	free(v);
	v = b64(cur, "cose_key", &n);
	T_EQ_MEM(cred.cose_key, cred.cose_key_len, v, n);
	free(v);
	v = b64(cur, "aaguid", &n);
	T_EQ_MEM(cred.aaguid, (size_t)SRV_WEBAUTHN_AAGUID_LEN, v, n);
	free(v);
	T_EQ_INT(cred.alg, jint(cur, "alg"));
	T_EQ_INT(cred.sign_count, jint(cur, "sign_count"));
	T_EQ_INT(cred.uv, jint(cur, "uv"));
	T_EQ_INT(cred.be, jint(cur, "be"));
	T_EQ_INT(cred.bs, jint(cur, "bs"));
	T_EQ_STR(att_name(cred.attestation), jstr(cur, "attestation"));
}

static void
check_assertion(void)
{
	struct srv_webauthn_assertion_result res;
	const char *why = NULL, *expect = jstr(cur, "expect");
	int r = do_assertion(cur, (uint32_t)jint(cur, "stored_count"), &res, &why);

	T_ASSERT(why != NULL);
	if (strcmp(expect, "ok") != 0) {
		T_ASSERT(r < 0);
		T_EQ_STR(why, expect);
		return;
	}
	T_EQ_INT(r, 0);
	T_EQ_STR(why, "ok");
	T_EQ_INT(res.sign_count, jint(cur, "sign_count"));
}

static void
run_vectors(const json_t *file, const char *kind, void (*check)(void))
{
	size_t i;
	json_t *c;

	json_array_foreach(json_object_get(file, "cases"), i, c) {
		cur = c;
		t_case_failed = 0;
		check();
		t_count++;
		if (t_case_failed)
			t_failed++;
		printf("%s %d - %s %s (%s)\n", t_case_failed ? "not ok" : "ok", t_count, kind,
		    jstr(c, "name"), jstr(c, "expect"));
		fflush(stdout);
	}
}

/* ---- the negative cases the issue requires are in the vectors --------------------------- */

static int
has_case(const json_t *file, const char *name, const char *expect)
{
	const json_t *c = find_case(file, name);

	return c != NULL && strcmp(jstr(c, "expect"), expect) == 0;
}

T_CASE(required_negative_cases_present)
{
	/* wrong origin, wrong rp id, type swapped, UP=0, UV=0 where required: both ceremonies */
	T_ASSERT(has_case(regs, "reg_wrong_origin", "origin mismatch"));
	T_ASSERT(has_case(asserts, "get_wrong_origin", "origin mismatch"));
	T_ASSERT(has_case(regs, "reg_wrong_rp_id", "rp id hash mismatch"));
	T_ASSERT(has_case(asserts, "get_wrong_rp_id", "rp id hash mismatch"));
	T_ASSERT(has_case(regs, "reg_type_get", "type mismatch"));
	T_ASSERT(has_case(asserts, "get_type_create", "type mismatch"));
	T_ASSERT(has_case(regs, "reg_up_missing", "user presence missing"));
	T_ASSERT(has_case(asserts, "get_up_missing", "user presence missing"));
	T_ASSERT(has_case(regs, "reg_uv_required_missing", "user verification missing"));
	T_ASSERT(has_case(asserts, "get_uv_required_missing", "user verification missing"));
	/* challenge, counter, user handle, signature, credential id */
	T_ASSERT(has_case(regs, "reg_challenge_mismatch", "challenge mismatch"));
	T_ASSERT(has_case(asserts, "get_challenge_mismatch", "challenge mismatch"));
	T_ASSERT(has_case(asserts, "get_counter_backwards", "counter went backwards"));
	T_ASSERT(has_case(asserts, "get_other_user_handle", "user handle mismatch"));
	T_ASSERT(has_case(asserts, "get_es256_tampered_signature", "signature invalid"));
	T_ASSERT(has_case(asserts, "get_eddsa_tampered_signature", "signature invalid"));
	T_ASSERT(has_case(asserts, "get_rs256_tampered_signature", "signature invalid"));
	T_ASSERT(has_case(asserts, "get_unknown_credential_id", "credential id mismatch"));
}

/* The UV=0 sign-in is accepted when not required and refused when required: the flag
 * alone makes the difference. */
T_CASE(uv_only_required_at_level_2)
{
	struct srv_webauthn_assertion_result res;
	const json_t *c = find_case(asserts, "get_uv_absent_not_required");
	json_t *copy;
	const char *why;

	T_ASSERT(c != NULL);
	T_EQ_INT(do_assertion(c, 5, &res, &why), 0);
	T_EQ_INT(res.uv, 0);
	copy = json_deep_copy(c);
	json_object_set_new(copy, "require_uv", json_integer(1));
	T_EQ_INT(do_assertion(copy, 5, &res, &why), EID_ERR_DENIED);
	json_decref(copy);
	T_EQ_STR(why, "user verification missing");
}

/* The same assertion presented twice: after the first, the stored counter is the one it
 * carried, so the second is a replay (or a clone) and is refused. */
T_CASE(replayed_assertion_refused)
{
	struct srv_webauthn_assertion_result res;
	const json_t *c = find_case(asserts, "get_es256");
	const char *why;
	uint32_t stored = 5;

	T_ASSERT(c != NULL);
	T_EQ_INT(do_assertion(c, stored, &res, &why), 0);
	stored = res.sign_count;
	T_EQ_INT(stored, 6);
	T_EQ_INT(do_assertion(c, stored, &res, &why), EID_ERR_REPLAY);
	T_EQ_STR(why, "counter did not increase");
}

/* A good assertion made for one challenge is refused against any other. */
T_CASE(assertion_for_another_challenge_refused)
{
	struct srv_webauthn_assertion_result res;
	const json_t *c = find_case(asserts, "get_es256");
	const char *why;
	uint8_t other[SRV_WEBAUTHN_CHALLENGE_LEN];
	int r;

	T_ASSERT(c != NULL);
	memcpy(other, challenge, sizeof(other));
	other[31] ^= 0x01;
	get_challenge = other;
	r = do_assertion(c, 5, &res, &why);
	get_challenge = challenge;
	T_EQ_INT(r, EID_ERR_DENIED);
	T_EQ_STR(why, "challenge mismatch");
}

/* The stored key decides: a stored credential with another user's handle is refused even
 * though the signature is good. */
T_CASE(stored_user_handle_mismatch_refused)
{
	struct srv_webauthn_assertion_result res;
	const json_t *c = find_case(asserts, "get_es256");
	const char *why;

	T_ASSERT(c != NULL);
	user_handle[0] ^= 0x80;
	T_EQ_INT(do_assertion(c, 5, &res, &why), EID_ERR_DENIED);
	user_handle[0] ^= 0x80;
	T_EQ_STR(why, "user handle mismatch");
}

T_CASE(counter_rule)
{
	const char *why;

	T_EQ_INT(srv_webauthn_check_counter(0, 0, &why), 0);
	T_EQ_INT(srv_webauthn_check_counter(0, 1, &why), 0);
	T_EQ_INT(srv_webauthn_check_counter(5, 6, &why), 0);
	T_EQ_INT(srv_webauthn_check_counter(5, 0xffffffffu, &why), 0);
	T_EQ_INT(srv_webauthn_check_counter(5, 5, &why), EID_ERR_REPLAY);
	T_EQ_STR(why, "counter did not increase");
	T_EQ_INT(srv_webauthn_check_counter(5, 4, &why), EID_ERR_REPLAY);
	T_EQ_STR(why, "counter went backwards");
	T_EQ_INT(srv_webauthn_check_counter(5, 0, &why), EID_ERR_REPLAY);
	T_EQ_STR(why, "counter went backwards");
}

T_CASE(origin_from_issuer_url)
{
	char origin[128], rp[64];

	T_EQ_INT(srv_webauthn_origin_from_url("https://ID.Example.vn/oidc", origin,
	    sizeof(origin), rp, sizeof(rp)), 0);
	T_EQ_STR(origin, "https://id.example.vn");
	T_EQ_STR(rp, "id.example.vn");
	T_EQ_INT(srv_webauthn_origin_from_url("http://localhost:8443", origin, sizeof(origin),
	    rp, sizeof(rp)), 0);
	T_EQ_STR(origin, "http://localhost:8443");
	T_EQ_STR(rp, "localhost");
	T_ASSERT(srv_webauthn_origin_from_url("id.example.vn", origin, sizeof(origin), rp,
	    sizeof(rp)) == EID_ERR_FORMAT);
	T_ASSERT(srv_webauthn_origin_from_url("https://user@id.example.vn", origin,
	    sizeof(origin), rp, sizeof(rp)) == EID_ERR_FORMAT);
	T_ASSERT(srv_webauthn_origin_from_url("https://", origin, sizeof(origin), rp,
	    sizeof(rp)) == EID_ERR_FORMAT);
	T_ASSERT(srv_webauthn_origin_from_url("https://id.example.vn", origin, 8, rp,
	    sizeof(rp)) == EID_ERR_TOO_LARGE);
}

T_CASE(challenges_are_random)
{
	uint8_t a[SRV_WEBAUTHN_CHALLENGE_LEN], b[SRV_WEBAUTHN_CHALLENGE_LEN];
	static const uint8_t zero[SRV_WEBAUTHN_CHALLENGE_LEN];

	srv_webauthn_challenge_new(a);
	srv_webauthn_challenge_new(b);
	T_ASSERT(memcmp(a, b, sizeof(a)) != 0);
	T_ASSERT(memcmp(a, zero, sizeof(a)) != 0);
}

/* Attestation required without roots is a caller error, not an acceptance. */
T_CASE(attestation_required_needs_roots)
{
	struct srv_webauthn_credential cred;
	const json_t *c = find_case(regs, "reg_packed_full_trusted");
	json_t *copy;
	const char *why;
	int r;

	T_ASSERT(c != NULL);
	copy = json_deep_copy(c);
	json_object_set_new(copy, "roots", json_integer(0));
	r = do_registration(copy, &cred, &why);
	json_decref(copy);
	T_EQ_INT(r, EID_ERR_INVALID_ARGUMENT);
}

T_CASE(roots_load_refuses_missing_file)
{
	X509_STORE *s = NULL;

	T_ASSERT(srv_webauthn_roots_load("/nonexistent/roots.pem", &s) < 0);
	T_ASSERT(s == NULL);
}

int
main(int argc, char **argv)
{
	json_error_t err;
	char *path = NULL;
	const char *uh;
	size_t n;

	if (argc < 2 || cx_init() != 0)
		return 2;
	vdir = argv[1];
	if (asprintf(&path, "%s/webauthn/registration.json", vdir) < 0 ||
	    (regs = json_load_file(path, 0, &err)) == NULL)
		return 2;
	free(path);
	if (asprintf(&path, "%s/webauthn/assertion.json", vdir) < 0 ||
	    (asserts = json_load_file(path, 0, &err)) == NULL)
		return 2;
	free(path);
	if (asprintf(&path, "%s/webauthn/roots.pem", vdir) < 0 ||
	    srv_webauthn_roots_load(path, &roots) != 0)
		return 2;
	free(path);
	if (cx_b64url_decode(challenge, sizeof(challenge), &n, jstr(regs, "challenge"),
	    strlen(jstr(regs, "challenge"))) != 0 || n != sizeof(challenge))
		return 2;
	uh = jstr(asserts, "user_handle");
	if (cx_b64url_decode(user_handle, sizeof(user_handle), &user_handle_len, uh,
	    strlen(uh)) != 0)
		return 2;

	run_vectors(regs, "registration", check_registration);
	run_vectors(asserts, "assertion", check_assertion);
	T_RUN(required_negative_cases_present);
	T_RUN(uv_only_required_at_level_2);
	T_RUN(replayed_assertion_refused);
	T_RUN(assertion_for_another_challenge_refused);
	T_RUN(stored_user_handle_mismatch_refused);
	T_RUN(counter_rule);
	T_RUN(origin_from_issuer_url);
	T_RUN(challenges_are_random);
	T_RUN(attestation_required_needs_roots);
	T_RUN(roots_load_refuses_missing_file);

	X509_STORE_free(roots);
	json_decref(regs);
	json_decref(asserts);
	return t_done();
}
