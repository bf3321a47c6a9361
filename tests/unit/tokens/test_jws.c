/* test_jws.c - tokens/tok_jws.c: RFC known answers, round trips and hostile tokens. */
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "cx_util.h"
#include "eid_limits.h"
#include "tok_jws.h"
#include "tok_key.h"
#include "tok_keyset.h"
#include "tok_test.h"

static const enum tok_alg all_algs[] = { TOK_ALG_RS256, TOK_ALG_PS256, TOK_ALG_ES256, TOK_ALG_EDDSA };

/* Lookup that always answers the one key in ctx, whatever kid/alg the token says. */
static const struct tok_key *
lookup_one(void *ctx, const char *kid, enum tok_alg alg)
{
	(void)kid;
	(void)alg;
	return ctx;
}

/* Verify with all four algorithms allowed; frees outputs, returns the code. */
static int
verify_code(const char *jws, size_t len, tok_key_lookup_fn fn, void *ctx)
{
	json_t *h = NULL;
	uint8_t *p = NULL;
	size_t plen = 0;
	int r = tok_jws_verify(jws, len, all_algs, 4, fn, ctx, &h, &p, &plen);

	if (r != 0 && (h != NULL || p != NULL || plen != 0))
		r = 99999;      /* outputs must stay empty on failure */
	json_decref(h);
	free(p);
	return r;
}

static int
verify_str(const char *jws, tok_key_lookup_fn fn, void *ctx)
{
	return verify_code(jws, strlen(jws), fn, ctx);
}

/* A compact JWS with a header given as raw JSON text, signed properly with key. */
static char *
make_token(const struct tok_key *key, const char *header, const char *payload)
{
	char h[2048], p[2048], s[2048], *out = NULL, *si = NULL;
	uint8_t *sig = NULL;
	size_t siglen = 0;

	if (cx_b64url_encode(h, sizeof(h), header, strlen(header)) != 0 ||
	    cx_b64url_encode(p, sizeof(p), payload, strlen(payload)) != 0 ||
	    asprintf(&si, "%s.%s", h, p) < 0)
		abort();
	if (tok_sig_sign(key, si, strlen(si), &sig, &siglen) != 0 ||
	    cx_b64url_encode(s, sizeof(s), sig, siglen) != 0 ||
	    asprintf(&out, "%s.%s", si, s) < 0)
		abort();
	free(si);
	free(sig);
	return out;
}

static json_t *
public_jwk_vector(const char *rel)
{
	static const char *const priv[] = { "d", "p", "q", "dp", "dq", "qi" };
	json_t *j = tt_vector_json(rel);
	size_t i;

	for (i = 0; i < sizeof(priv) / sizeof(priv[0]); i++)
		json_object_del(j, priv[i]);
	return j;
}

static void
rfc_verify(const char *jwkfile, const char *jwsfile, enum tok_alg alg, const char *want)
{
	json_t *jwk = public_jwk_vector(jwkfile), *h = NULL;
	char *jws = tt_vector_line(jwsfile);
	struct tok_key *k = NULL;
	uint8_t *p = NULL;
	size_t plen = 0;
	int r1, r2 = -1, ok;

	r1 = tok_key_from_jwk(jwk, &k);
	json_decref(jwk);
	if (r1 == 0)
		r2 = tok_jws_verify(jws, strlen(jws), &alg, 1, lookup_one, k, &h, &p, &plen);
	ok = r2 == 0 && plen == strlen(want) && memcmp(p, want, plen) == 0 &&
	    strcmp(json_string_value(json_object_get(h, "alg")), tok_alg_name(alg)) == 0;
	/* one flipped bit in the signature */
	jws[strlen(jws) - 3] ^= 0x01;
	if (verify_str(jws, lookup_one, k) != EID_ERR_BAD_SIGNATURE)
		ok = 0;
	json_decref(h);
	free(p);
	free(jws);
	tok_key_free(&k);
	T_EQ_INT(r1, 0);
	T_EQ_INT(r2, 0);
	T_ASSERT(ok);
}

#define RFC7515_PAYLOAD "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}"

T_CASE(rfc7515_a2_rs256_verify)
{
	rfc_verify("jose/rfc7515_a2_key.jwk.json", "jose/rfc7515_a2.jws", TOK_ALG_RS256, RFC7515_PAYLOAD);
}

T_CASE(rfc7515_a3_es256_verify)
{
	rfc_verify("jose/rfc7515_a3_key.jwk.json", "jose/rfc7515_a3.jws", TOK_ALG_ES256, RFC7515_PAYLOAD);
}

T_CASE(rfc8037_a5_eddsa_verify)
{
	rfc_verify("jose/rfc8037_a1_key.jwk.json", "jose/rfc8037_a4.jws", TOK_ALG_EDDSA,
	    "Example of Ed25519 signing");
}

T_CASE(sign_verify_roundtrip_all_algs)
{
	size_t i;

	for (i = 0; i < 4; i++) {
		struct tok_keyset *ks = NULL;
		struct tok_key *k = NULL;
		char *jws = NULL, kid[64];
		json_t *h = NULL;
		uint8_t *p = NULL;
		size_t plen = 0;
		int r;

		T_EQ_INT(tok_keyset_new(&ks), 0);
		T_EQ_INT(tok_key_generate(all_algs[i], &k), 0);
		snprintf(kid, sizeof(kid), "%s", tok_key_kid(k));
		T_EQ_INT(tok_jws_sign(k, "JWT", "{\"sub\":\"x\"}", 11, &jws), 0);
		T_EQ_INT(tok_keyset_add(ks, &k), 0);
		r = tok_jws_verify(jws, strlen(jws), &all_algs[i], 1, tok_keyset_lookup, ks, &h, &p, &plen);
		free(jws);
		tok_keyset_free(&ks);
		if (r != 0)
			T_FAIL("%s: verify %d", tok_alg_name(all_algs[i]), r);
		T_EQ_MEM(p, plen, "{\"sub\":\"x\"}", 11);
		T_EQ_INT(p[plen], '\0');
		T_EQ_STR(json_string_value(json_object_get(h, "alg")), tok_alg_name(all_algs[i]));
		T_EQ_STR(json_string_value(json_object_get(h, "kid")), kid);
		T_EQ_STR(json_string_value(json_object_get(h, "typ")), "JWT");
		json_decref(h);
		free(p);
	}
}

T_CASE(sign_header_order_and_empty_payload)
{
	struct tok_key *k = NULL;
	char *jws = NULL, hdr[512];
	uint8_t raw[512];
	size_t n = 0;
	int r;

	T_EQ_INT(tok_key_generate(TOK_ALG_EDDSA, &k), 0);
	T_EQ_INT(tok_key_set_kid(k, "k1"), 0);
	T_EQ_INT(tok_jws_sign(k, NULL, "", 0, &jws), 0);
	r = cx_b64url_decode(raw, sizeof(raw), &n, jws, (size_t)(strchr(jws, '.') - jws));
	snprintf(hdr, sizeof(hdr), "%.*s", (int)n, (const char *)raw);
	T_EQ_INT(r, 0);
	T_EQ_STR(hdr, "{\"alg\":\"EdDSA\",\"kid\":\"k1\"}");
	T_EQ_INT(verify_str(jws, lookup_one, k), 0);
	free(jws);
	tok_key_free(&k);
}

T_CASE(alg_none_refused)
{
	struct tok_key *k = NULL;
	static const enum tok_alg with_none[] = { TOK_ALG_NONE_, TOK_ALG_ES256 };
	json_t *h = NULL;
	uint8_t *p = NULL;
	size_t plen = 0;
	/* {"alg":"none"}.{"a":1}. and with a junk signature */
	const char *t1 = "eyJhbGciOiJub25lIn0.eyJhIjoxfQ.";
	const char *t2 = "eyJhbGciOiJub25lIn0.eyJhIjoxfQ.AAAA";
	int r;

	T_EQ_INT(tok_key_generate(TOK_ALG_ES256, &k), 0);
	T_EQ_INT(verify_str(t1, lookup_one, k), EID_ERR_JWS);
	T_EQ_INT(verify_str(t2, lookup_one, k), EID_ERR_ALG_NOT_ALLOWED);
	/* even if a caller's allowlist holds the NONE_ sentinel */
	r = tok_jws_verify(t2, strlen(t2), with_none, 2, lookup_one, k, &h, &p, &plen);
	tok_key_free(&k);
	T_EQ_INT(r, EID_ERR_ALG_NOT_ALLOWED);
	T_ASSERT(h == NULL && p == NULL);
}

/* HS256 "signed" with the RSA public key as the HMAC secret: the classic confusion. */
T_CASE(hs256_with_rsa_public_key_refused)
{
	json_t *jwk = public_jwk_vector("jose/rfc7515_a2_key.jwk.json");
	struct tok_key *k = NULL;
	char *pem = NULL, *tok = NULL, hb[256], pb[64], sb[128];
	uint8_t mac[32];
	unsigned int maclen = 0;
	size_t pemlen = 0;
	int r1, r2, r3;
	char si[512];
	const char *hdr = "{\"alg\":\"HS256\"}";

	r1 = tok_key_from_jwk(jwk, &k);
	json_decref(jwk);
	T_EQ_INT(r1, 0);
	T_EQ_INT(tok_key_to_pem(k, &pem, &pemlen), 0);
	T_ASSERT(cx_b64url_encode(hb, sizeof(hb), hdr, strlen(hdr)) == 0);
	T_ASSERT(cx_b64url_encode(pb, sizeof(pb), "{\"sub\":\"admin\"}", 15) == 0);
	snprintf(si, sizeof(si), "%s.%s", hb, pb);
	T_ASSERT(HMAC(EVP_sha256(), pem, (int)pemlen, (const uint8_t *)si, strlen(si), mac, &maclen) != NULL);
	T_ASSERT(cx_b64url_encode(sb, sizeof(sb), mac, maclen) == 0);
	T_ASSERT(asprintf(&tok, "%s.%s", si, sb) > 0);
	r2 = verify_str(tok, lookup_one, k);
	r3 = verify_str(tok, tok_keyset_lookup, NULL);
	free(tok);
	cx_free_str(pem);
	tok_key_free(&k);
	T_EQ_INT(r2, EID_ERR_ALG_NOT_ALLOWED);
	T_EQ_INT(r3, EID_ERR_ALG_NOT_ALLOWED);
}

T_CASE(alg_allowlist_and_key_binding)
{
	struct tok_key *ec = NULL, *rsa = NULL;
	struct tok_keyset *ks = NULL;
	static const enum tok_alg only_es[] = { TOK_ALG_ES256 };
	char *jws = NULL, *forged = NULL, hdr[256];
	json_t *h = NULL;
	uint8_t *p = NULL;
	size_t plen = 0;
	int r[5];

	T_EQ_INT(tok_key_generate(TOK_ALG_ES256, &ec), 0);
	T_EQ_INT(tok_key_generate(TOK_ALG_RS256, &rsa), 0);
	T_EQ_INT(tok_jws_sign(rsa, NULL, "x", 1, &jws), 0);
	/* RS256 token, caller allows only ES256 */
	r[0] = tok_jws_verify(jws, strlen(jws), only_es, 1, lookup_one, rsa, &h, &p, &plen);
	/* lookup hands back a key of another algorithm */
	r[1] = verify_str(jws, lookup_one, ec);
	/* no allowlist at all */
	r[2] = tok_jws_verify(jws, strlen(jws), NULL, 0, lookup_one, rsa, &h, &p, &plen);
	r[3] = verify_str(jws, lookup_one, rsa);
	/* header claims RS256 with the EC key's kid: the set has no RS256 key by that kid */
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"kid\":\"%s\"}", tok_key_kid(ec));
	forged = make_token(rsa, hdr, "x");
	T_EQ_INT(tok_keyset_new(&ks), 0);
	T_EQ_INT(tok_keyset_add(ks, &ec), 0);
	r[4] = verify_str(forged, tok_keyset_lookup, ks);
	free(jws);
	free(forged);
	tok_keyset_free(&ks);
	tok_key_free(&rsa);
	T_EQ_INT(r[0], EID_ERR_ALG_NOT_ALLOWED);
	T_EQ_INT(r[1], EID_ERR_ALG_NOT_ALLOWED);
	T_EQ_INT(r[2], EID_ERR_ALG_NOT_ALLOWED);
	T_EQ_INT(r[3], 0);
	T_EQ_INT(r[4], EID_ERR_KID_UNKNOWN);
}

T_CASE(kid_unknown)
{
	struct tok_key *k = NULL, *other = NULL;
	struct tok_keyset *ks = NULL;
	char *jws = NULL;
	int r;

	T_EQ_INT(tok_key_generate(TOK_ALG_EDDSA, &k), 0);
	T_EQ_INT(tok_key_generate(TOK_ALG_EDDSA, &other), 0);
	T_EQ_INT(tok_jws_sign(k, NULL, "x", 1, &jws), 0);
	T_EQ_INT(tok_keyset_new(&ks), 0);
	T_EQ_INT(tok_keyset_add(ks, &other), 0);
	r = verify_str(jws, tok_keyset_lookup, ks);
	free(jws);
	tok_keyset_free(&ks);
	tok_key_free(&k);
	T_EQ_INT(r, EID_ERR_KID_UNKNOWN);
}

T_CASE(segments_and_size)
{
	struct tok_key *k = NULL;
	char *jws = NULL, buf[4096], *big = NULL, *bigjws = NULL;
	size_t n, i;
	int r[12], bigr;
	const char *dot2;

	T_EQ_INT(tok_key_generate(TOK_ALG_ES256, &k), 0);
	T_EQ_INT(tok_jws_sign(k, NULL, "{\"a\":1}", 7, &jws), 0);
	n = strlen(jws);
	dot2 = strrchr(jws, '.');
	i = 0;
	r[i++] = verify_code(jws, n, lookup_one, k);                          /* control */
	r[i++] = verify_code(jws, (size_t)(dot2 - jws), lookup_one, k);       /* 2 parts */
	r[i++] = verify_code(jws, (size_t)(dot2 - jws) + 1, lookup_one, k);   /* empty sig */
	r[i++] = verify_code(jws, n - 1, lookup_one, k);                      /* truncated */
	snprintf(buf, sizeof(buf), "%s.", jws);
	r[i++] = verify_str(buf, lookup_one, k);                              /* 4 parts */
	snprintf(buf, sizeof(buf), "%s.AAAA.AAAA", jws);
	r[i++] = verify_str(buf, lookup_one, k);                              /* 5 parts */
	snprintf(buf, sizeof(buf), ".%s", strchr(jws, '.') + 1);
	r[i++] = verify_str(buf, lookup_one, k);                              /* no header */
	r[i++] = verify_code("", 0, lookup_one, k);
	r[i++] = verify_str("..", lookup_one, k);
	snprintf(buf, sizeof(buf), "%sAA", jws);
	r[i++] = verify_str(buf, lookup_one, k);                              /* sig 66 bytes */
	/* a NUL inside the given length */
	memcpy(buf, jws, n);
	buf[5] = '\0';
	r[i++] = verify_code(buf, n, lookup_one, k);
	big = malloc(EID_JWS_MAX_BYTES + 2);
	memset(big, 'A', EID_JWS_MAX_BYTES + 1);
	big[EID_JWS_MAX_BYTES + 1] = '\0';
	bigr = verify_code(big, EID_JWS_MAX_BYTES + 1, lookup_one, k);
	r[i++] = tok_jws_sign(k, NULL, big, EID_JWS_MAX_BYTES, &bigjws) == EID_ERR_TOO_LARGE &&
	    bigjws == NULL ? 0 : -1;
	free(big);
	free(jws);
	tok_key_free(&k);
	T_EQ_INT(r[0], 0);
	for (n = 1; n < 10; n++)
		if (r[n] != EID_ERR_JWS && r[n] != EID_ERR_BAD_SIGNATURE)
			T_FAIL("variant %zu: %d", n, r[n]);
	T_EQ_INT(r[1], EID_ERR_JWS);
	T_EQ_INT(r[4], EID_ERR_JWS);
	T_EQ_INT(r[5], EID_ERR_JWS);
	T_EQ_INT(r[9], EID_ERR_BAD_SIGNATURE);
	T_EQ_INT(r[10], EID_ERR_JWS);
	T_EQ_INT(bigr, EID_ERR_TOO_LARGE);
	T_EQ_INT(r[11], 0);
}

T_CASE(strict_base64url)
{
	struct tok_key *k = NULL;
	char *jws = NULL, buf[4096];
	size_t n, h;
	int r[7], i = 0;

	T_EQ_INT(tok_key_generate(TOK_ALG_EDDSA, &k), 0);
	T_EQ_INT(tok_jws_sign(k, NULL, "{\"a\":1}", 7, &jws), 0);
	n = strlen(jws);
	h = (size_t)(strchr(jws, '.') - jws);
	r[i++] = verify_str(jws, lookup_one, k);
	snprintf(buf, sizeof(buf), "%s=", jws);                       /* padding on sig */
	r[i++] = verify_str(buf, lookup_one, k);
	snprintf(buf, sizeof(buf), "%.*s=%s", (int)h, jws, jws + h);  /* padding on header */
	r[i++] = verify_str(buf, lookup_one, k);
	snprintf(buf, sizeof(buf), "%.*s %s", (int)h, jws, jws + h);  /* whitespace */
	r[i++] = verify_str(buf, lookup_one, k);
	snprintf(buf, sizeof(buf), "%s\n", jws);
	r[i++] = verify_str(buf, lookup_one, k);
	memcpy(buf, jws, n + 1);                                     /* '+' in the signature */
	buf[n - 5] = '+';
	r[i++] = verify_str(buf, lookup_one, k);
	memcpy(buf, jws, n + 1);                                     /* '/' in the header */
	buf[3] = '/';
	r[i++] = verify_str(buf, lookup_one, k);
	free(jws);
	tok_key_free(&k);
	T_EQ_INT(r[0], 0);
	for (i = 1; i < 7; i++)
		if (r[i] != EID_ERR_JWS)
			T_FAIL("variant %d: %d", i, r[i]);
}

T_CASE(header_json_rules)
{
	struct tok_key *k = NULL, *attacker = NULL;
	json_t *ajwk = NULL;
	char hdr[4096], *t = NULL, *ajs = NULL;
	int r[12], i = 0, d;

	T_EQ_INT(tok_key_generate(TOK_ALG_ES256, &k), 0);
	T_EQ_INT(tok_key_generate(TOK_ALG_ES256, &attacker), 0);
#define TRY(h, key) do { \
	t = make_token((key), (h), "{}"); \
	r[i++] = verify_str(t, lookup_one, k); \
	free(t); \
} while (0)
	TRY("{\"alg\":\"ES256\"}", k);                                  /* 0 control */
	TRY("{\"alg\":\"ES256\",\"alg\":\"ES256\"}", k);                /* 1 duplicate key */
	TRY("[\"ES256\"]", k);                                          /* 2 not an object */
	TRY("\"ES256\"", k);                                            /* 3 */
	TRY("{\"alg\":\"ES256\"", k);                                   /* 4 truncated JSON */
	TRY("{\"alg\":\"ES256\",\"crit\":[\"exp\"],\"exp\":1}", k);     /* 5 crit */
	TRY("{\"alg\":\"ES256\",\"crit\":[]}", k);                      /* 6 empty crit: ok */
	TRY("{\"alg\":\"ES256\",\"crit\":\"b64\"}", k);                 /* 7 */
	TRY("{\"alg\":[\"ES256\"]}", k);                                /* 8 alg not a string */
	TRY("{\"alg\":\"ES256\",\"kid\":5}", k);                        /* 9 kid not a string */
	/* 10: depth beyond EID_JSON_MAX_DEPTH */
	d = snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"x\":");
	for (i = 0; i < EID_JSON_MAX_DEPTH; i++)
		hdr[d++] = '[';
	for (i = 0; i < EID_JSON_MAX_DEPTH; i++)
		hdr[d++] = ']';
	hdr[d++] = '}';
	hdr[d] = '\0';
	i = 10;
	TRY(hdr, k);
	/* 11: an embedded attacker "jwk" is never used */
	T_EQ_INT(tok_key_public_jwk(attacker, &ajwk), 0);
	ajs = json_dumps(ajwk, JSON_COMPACT);
	json_decref(ajwk);
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"jwk\":%s,\"jku\":\"https://evil.example/\"}", ajs);
	free(ajs);
	TRY(hdr, attacker);
#undef TRY
	tok_key_free(&k);
	tok_key_free(&attacker);
	T_EQ_INT(r[0], 0);
	T_EQ_INT(r[1], EID_ERR_JWS);
	T_EQ_INT(r[2], EID_ERR_JWS);
	T_EQ_INT(r[3], EID_ERR_JWS);
	T_EQ_INT(r[4], EID_ERR_JWS);
	T_EQ_INT(r[5], EID_ERR_JWS);
	T_EQ_INT(r[6], 0);
	T_EQ_INT(r[7], EID_ERR_JWS);
	T_EQ_INT(r[8], EID_ERR_JWS);
	T_EQ_INT(r[9], EID_ERR_JWS);
	T_EQ_INT(r[10], EID_ERR_JWS);
	T_EQ_INT(r[11], EID_ERR_BAD_SIGNATURE);
}

T_CASE(ecdsa_signature_wrong_length)
{
	struct tok_key *k = NULL;
	char *jws = NULL, buf[4096], sb[256];
	uint8_t sig[128];
	size_t n = 0, h;
	int r[4];

	T_EQ_INT(tok_key_generate(TOK_ALG_ES256, &k), 0);
	T_EQ_INT(tok_jws_sign(k, NULL, "x", 1, &jws), 0);
	h = (size_t)(strrchr(jws, '.') - jws);
	T_EQ_INT(cx_b64url_decode(sig, sizeof(sig), &n, jws + h + 1, strlen(jws + h + 1)), 0);
	T_EQ_INT(n, 64);
	T_ASSERT(cx_b64url_encode(sb, sizeof(sb), sig, 63) == 0);
	snprintf(buf, sizeof(buf), "%.*s.%s", (int)h, jws, sb);
	r[0] = verify_str(buf, lookup_one, k);
	sig[64] = 0;
	T_ASSERT(cx_b64url_encode(sb, sizeof(sb), sig, 65) == 0);
	snprintf(buf, sizeof(buf), "%.*s.%s", (int)h, jws, sb);
	r[1] = verify_str(buf, lookup_one, k);
	memmove(sig + 1, sig, 64);              /* a leading zero byte */
	sig[0] = 0;
	T_ASSERT(cx_b64url_encode(sb, sizeof(sb), sig, 65) == 0);
	snprintf(buf, sizeof(buf), "%.*s.%s", (int)h, jws, sb);
	r[2] = verify_str(buf, lookup_one, k);
	memset(sig, 0x30, 72);                  /* DER-looking 72 bytes */
	T_ASSERT(cx_b64url_encode(sb, sizeof(sb), sig, 72) == 0);
	snprintf(buf, sizeof(buf), "%.*s.%s", (int)h, jws, sb);
	r[3] = verify_str(buf, lookup_one, k);
	free(jws);
	tok_key_free(&k);
	T_EQ_INT(r[0], EID_ERR_BAD_SIGNATURE);
	T_EQ_INT(r[1], EID_ERR_BAD_SIGNATURE);
	T_EQ_INT(r[2], EID_ERR_BAD_SIGNATURE);
	T_EQ_INT(r[3], EID_ERR_BAD_SIGNATURE);
}

T_CASE(bad_arguments)
{
	json_t *h = NULL;
	uint8_t *p = NULL;
	size_t plen = 0;
	char *out = NULL;

	T_EQ_INT(tok_jws_verify(NULL, 0, all_algs, 4, lookup_one, NULL, &h, &p, &plen),
	    EID_ERR_INVALID_ARGUMENT);
	T_EQ_INT(tok_jws_verify("a.b.c", 5, all_algs, 4, NULL, NULL, &h, &p, &plen),
	    EID_ERR_INVALID_ARGUMENT);
	T_EQ_INT(tok_jws_verify("a.b.c", 5, all_algs, 4, lookup_one, NULL, NULL, &p, &plen),
	    EID_ERR_INVALID_ARGUMENT);
	T_EQ_INT(tok_jws_sign(NULL, NULL, "x", 1, &out), EID_ERR_INVALID_ARGUMENT);
	T_ASSERT(out == NULL);
}

int
main(void)
{
	if (cx_init() != 0)
		return 1;
	T_RUN(rfc7515_a2_rs256_verify);
	T_RUN(rfc7515_a3_es256_verify);
	T_RUN(rfc8037_a5_eddsa_verify);
	T_RUN(sign_verify_roundtrip_all_algs);
	T_RUN(sign_header_order_and_empty_payload);
	T_RUN(alg_none_refused);
	T_RUN(hs256_with_rsa_public_key_refused);
	T_RUN(alg_allowlist_and_key_binding);
	T_RUN(kid_unknown);
	T_RUN(segments_and_size);
	T_RUN(strict_base64url);
	T_RUN(header_json_rules);
	T_RUN(ecdsa_signature_wrong_length);
	T_RUN(bad_arguments);
	return t_done();
}
