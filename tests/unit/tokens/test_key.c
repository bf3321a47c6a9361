/* test_key.c - tokens/tok_key.c and tok_sig.c: algorithms, keys, PEM, JWK, thumbprints. */
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "cx_util.h"
#include "tok_key.h"
#include "tok_test.h"

static const enum tok_alg all_algs[] = { TOK_ALG_RS256, TOK_ALG_PS256, TOK_ALG_ES256, TOK_ALG_EDDSA };

/* A JWK vector without its private members (caller decrefs). */
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

/* from_jwk on a JSON text; returns the code, frees any key. */
static int
jwk_code(const char *txt)
{
	json_t *j = json_loads(txt, 0, NULL);
	struct tok_key *k = NULL;
	int r;

	if (j == NULL)
		return 12345;
	r = tok_key_from_jwk(j, &k);
	if ((r == 0) != (k != NULL))
		r = 54321;
	tok_key_free(&k);
	json_decref(j);
	return r;
}

/* PEM of a key made directly with OpenSSL (for types we must refuse). */
static char *
openssl_pem(EVP_PKEY *pkey)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *copy = NULL;
	long n;

	if (bio != NULL && PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) == 1 &&
	    (n = BIO_get_mem_data(bio, &data)) > 0 && (copy = malloc((size_t)n + 1)) != NULL) {
		memcpy(copy, data, (size_t)n);
		copy[n] = '\0';
	}
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	return copy;
}

T_CASE(alg_names)
{
	enum tok_alg a;
	size_t i;

	for (i = 0; i < sizeof(all_algs) / sizeof(all_algs[0]); i++) {
		T_EQ_INT(tok_alg_from_name(tok_alg_name(all_algs[i]), &a), 0);
		T_EQ_INT(a, all_algs[i]);
	}
	T_EQ_STR(tok_alg_name(TOK_ALG_EDDSA), "EdDSA");
	T_EQ_STR(tok_alg_name(TOK_ALG_NONE_), "?");
	T_EQ_INT(tok_alg_from_name("none", &a), EID_ERR_ALG_NOT_ALLOWED);
	T_EQ_INT(a, TOK_ALG_NONE_);
	T_EQ_INT(tok_alg_from_name("HS256", &a), EID_ERR_ALG_NOT_ALLOWED);
	T_EQ_INT(tok_alg_from_name("rs256", &a), EID_ERR_ALG_NOT_ALLOWED);
	T_EQ_INT(tok_alg_from_name("RS384", &a), EID_ERR_ALG_NOT_ALLOWED);
	T_EQ_INT(tok_alg_from_name("Ed25519", &a), EID_ERR_ALG_NOT_ALLOWED);
	T_EQ_INT(tok_alg_from_name("", &a), EID_ERR_ALG_NOT_ALLOWED);
	T_EQ_INT(tok_alg_from_name(NULL, &a), EID_ERR_ALG_NOT_ALLOWED);
}

T_CASE(generate_sign_verify_each_alg)
{
	static const char msg[] = "eyJhbGciOiJFUzI1NiJ9.e30";
	size_t i;

	for (i = 0; i < sizeof(all_algs) / sizeof(all_algs[0]); i++) {
		struct tok_key *k = NULL;
		uint8_t *sig = NULL;
		size_t siglen = 0;
		json_t *jwk = NULL;
		int r1, r2, r3;

		T_EQ_INT(tok_key_generate(all_algs[i], &k), 0);
		T_EQ_INT(tok_key_alg(k), all_algs[i]);
		T_ASSERT(tok_key_has_private(k));
		T_EQ_INT(strlen(tok_key_kid(k)), 43);
		r1 = tok_sig_sign(k, msg, strlen(msg), &sig, &siglen);
		r2 = r1 == 0 ? tok_sig_verify(all_algs[i], k, msg, strlen(msg), sig, siglen) : -1;
		if (sig != NULL)
			sig[siglen / 2] ^= 1;
		r3 = r1 == 0 ? tok_sig_verify(all_algs[i], k, msg, strlen(msg), sig, siglen) : -1;
		free(sig);
		T_EQ_INT(tok_key_public_jwk(k, &jwk), 0);
		T_ASSERT(json_object_get(jwk, "d") == NULL);
		T_EQ_STR(json_string_value(json_object_get(jwk, "use")), "sig");
		T_EQ_STR(json_string_value(json_object_get(jwk, "alg")), tok_alg_name(all_algs[i]));
		T_EQ_STR(json_string_value(json_object_get(jwk, "kid")), tok_key_kid(k));
		json_decref(jwk);
		tok_key_free(&k);
		T_ASSERT(k == NULL);
		T_EQ_INT(r1, 0);
		T_EQ_INT(r2, 0);
		T_EQ_INT(r3, EID_ERR_BAD_SIGNATURE);
	}
	T_EQ_INT(tok_key_generate(TOK_ALG_NONE_, NULL), EID_ERR_INVALID_ARGUMENT);
}

T_CASE(pem_roundtrip_private_and_public)
{
	struct tok_key *k = NULL, *k2 = NULL, *pub = NULL, *pub2 = NULL;
	char *pem = NULL, *ppem = NULL;
	size_t len = 0, plen = 0;
	json_t *jwk = NULL;
	int ok;

	T_EQ_INT(tok_key_generate(TOK_ALG_ES256, &k), 0);
	T_EQ_INT(tok_key_to_pem(k, &pem, &len), 0);
	T_ASSERT(strstr(pem, "-----BEGIN PRIVATE KEY-----") != NULL);
	T_EQ_INT(strlen(pem), len);
	T_EQ_INT(tok_key_from_pem(pem, len, TOK_ALG_ES256, &k2), 0);
	cx_free_str(pem);
	T_ASSERT(tok_key_has_private(k2));
	T_EQ_STR(tok_key_kid(k2), tok_key_kid(k));
	/* the public half, via JWK, exports as SPKI */
	T_EQ_INT(tok_key_public_jwk(k, &jwk), 0);
	T_EQ_INT(tok_key_from_jwk(jwk, &pub), 0);
	json_decref(jwk);
	T_ASSERT(!tok_key_has_private(pub));
	T_EQ_INT(tok_key_to_pem(pub, &ppem, &plen), 0);
	ok = strstr(ppem, "-----BEGIN PUBLIC KEY-----") != NULL;
	T_EQ_INT(tok_key_from_pem(ppem, plen, TOK_ALG_ES256, &pub2), 0);
	cx_free_str(ppem);
	T_ASSERT(ok);
	T_ASSERT(!tok_key_has_private(pub2));
	T_EQ_STR(tok_key_kid(pub2), tok_key_kid(k));
	{
		uint8_t *sig = NULL;
		size_t siglen = 0;
		int r;

		T_EQ_INT(tok_sig_sign(pub2, "x", 1, &sig, &siglen), EID_ERR_KEY);
		T_EQ_INT(tok_sig_sign(k2, "x", 1, &sig, &siglen), 0);
		r = tok_sig_verify(TOK_ALG_ES256, pub2, "x", 1, sig, siglen);
		free(sig);
		T_EQ_INT(r, 0);
	}
	tok_key_free(&k);
	tok_key_free(&k2);
	tok_key_free(&pub);
	tok_key_free(&pub2);
}

T_CASE(pem_refuses_wrong_type_and_format)
{
	size_t rlen, elen;
	char *rsa = tt_vector("jose/rfc7515_a2_private.pem", &rlen);
	char *ed = tt_vector("jose/rfc8037_a1_private.pem", &elen);
	char *relabel = NULL, *p384 = NULL, *rsa1024 = NULL, *big = NULL;
	struct tok_key *k = NULL;
	int r[10], i = 0;

	r[i++] = tok_key_from_pem(rsa, rlen, TOK_ALG_ES256, &k);
	r[i++] = tok_key_from_pem(rsa, rlen, TOK_ALG_EDDSA, &k);
	r[i++] = tok_key_from_pem(ed, elen, TOK_ALG_RS256, &k);
	r[i++] = tok_key_from_pem(rsa, rlen, TOK_ALG_NONE_, &k);
	r[i++] = tok_key_from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
	    58, TOK_ALG_ES256, &k);
	/* legacy label: refused even though the DER is fine */
	relabel = malloc(rlen + 16);
	snprintf(relabel, rlen + 16, "%s", rsa);
	memcpy(strstr(relabel, "BEGIN PRIVATE"), "BEGIN XPRIVATE", 14);
	r[i++] = tok_key_from_pem(relabel, strlen(relabel), TOK_ALG_RS256, &k);
	p384 = openssl_pem(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384"));
	r[i++] = p384 ? tok_key_from_pem(p384, strlen(p384), TOK_ALG_ES256, &k) : -999;
	rsa1024 = openssl_pem(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024));
	r[i++] = rsa1024 ? tok_key_from_pem(rsa1024, strlen(rsa1024), TOK_ALG_RS256, &k) : -999;
	big = calloc(1, TOK_KEY_PEM_MAX_BYTES + 2);
	memset(big, 'A', TOK_KEY_PEM_MAX_BYTES + 1);
	r[i++] = tok_key_from_pem(big, TOK_KEY_PEM_MAX_BYTES + 1, TOK_ALG_RS256, &k);
	r[i++] = tok_key_from_pem(rsa, rlen, TOK_ALG_PS256, &k);   /* fits: RSA serves PS256 */
	tok_key_free(&k);
	free(rsa);
	free(ed);
	free(relabel);
	free(p384);
	free(rsa1024);
	free(big);
	T_EQ_INT(r[0], EID_ERR_KEY);
	T_EQ_INT(r[1], EID_ERR_KEY);
	T_EQ_INT(r[2], EID_ERR_KEY);
	T_EQ_INT(r[3], EID_ERR_ALG_NOT_ALLOWED);
	T_EQ_INT(r[4], EID_ERR_KEY);
	T_EQ_INT(r[5], EID_ERR_KEY);
	T_EQ_INT(r[6], EID_ERR_KEY);
	T_EQ_INT(r[7], EID_ERR_KEY);
	T_EQ_INT(r[8], EID_ERR_TOO_LARGE);
	T_EQ_INT(r[9], 0);
}

T_CASE(rfc7638_thumbprint)
{
	json_t *j = tt_vector_json("jose/rfc7638_3_1.jwk.json");
	struct tok_key *k = NULL, *k2 = NULL;
	char tp[64];
	int r;

	r = tok_key_from_jwk(j, &k);
	json_object_del(j, "kid");
	if (r == 0)
		r = tok_key_from_jwk(j, &k2);
	json_decref(j);
	T_EQ_INT(r, 0);
	T_EQ_STR(tok_key_kid(k), "2011-04-29");         /* a JWK's kid is kept */
	T_EQ_INT(tok_key_thumbprint(k, tp, sizeof(tp)), 0);
	T_EQ_STR(tp, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	T_EQ_STR(tok_key_kid(k2), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	T_EQ_INT(tok_key_alg(k), TOK_ALG_RS256);
	T_EQ_INT(tok_key_thumbprint(k, tp, 10), EID_ERR_TOO_LARGE);
	tok_key_free(&k);
	tok_key_free(&k2);
}

T_CASE(rfc8037_thumbprint_and_rfc7515_a3_key)
{
	json_t *ed = public_jwk_vector("jose/rfc8037_a1_key.jwk.json");
	json_t *ec = public_jwk_vector("jose/rfc7515_a3_key.jwk.json");
	struct tok_key *k = NULL, *k2 = NULL;
	int r1, r2;

	r1 = tok_key_from_jwk(ed, &k);
	r2 = tok_key_from_jwk(ec, &k2);
	json_decref(ed);
	json_decref(ec);
	T_EQ_INT(r1, 0);
	T_EQ_INT(r2, 0);
	T_EQ_STR(tok_key_kid(k), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
	T_EQ_INT(tok_key_alg(k), TOK_ALG_EDDSA);
	T_EQ_INT(tok_key_alg(k2), TOK_ALG_ES256);
	tok_key_free(&k);
	tok_key_free(&k2);
}

T_CASE(jwk_private_members_refused)
{
	json_t *a2 = tt_vector_json("jose/rfc7515_a2_key.jwk.json");
	json_t *ed = tt_vector_json("jose/rfc8037_a1_key.jwk.json");
	struct tok_key *k = NULL;
	int r1, r2;

	r1 = tok_key_from_jwk(a2, &k);
	r2 = tok_key_from_jwk(ed, &k);
	json_decref(a2);
	json_decref(ed);
	T_EQ_INT(r1, EID_ERR_JWK);
	T_EQ_INT(r2, EID_ERR_JWK);
	T_ASSERT(k == NULL);
	T_EQ_INT(jwk_code("{\"kty\":\"oct\",\"k\":\"AAAA\"}"), EID_ERR_JWK);
}

#define EC_X "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\""
#define EC_Y "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\""
#define EC_Y_BAD "\"y\":\"y_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\""
#define ED_X "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\""

T_CASE(jwk_shape_checks)
{
	T_EQ_INT(jwk_code("{\"kty\":\"EC\",\"crv\":\"P-256\"," EC_X "," EC_Y "}"), 0);
	T_EQ_INT(jwk_code("{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"ES256\",\"use\":\"sig\","
	    "\"key_ops\":[\"verify\"]," EC_X "," EC_Y "}"), 0);
	T_EQ_INT(jwk_code("{\"kty\":\"OKP\",\"crv\":\"Ed25519\"," ED_X "}"), 0);
	/* unsupported: skipped by a keyset */
	T_EQ_INT(jwk_code("{\"kty\":\"oct\"}"), EID_ERR_UNSUPPORTED);
	T_EQ_INT(jwk_code("{\"kty\":\"EC\",\"crv\":\"P-384\"," EC_X "," EC_Y "}"), EID_ERR_UNSUPPORTED);
	T_EQ_INT(jwk_code("{\"kty\":\"OKP\",\"crv\":\"X25519\"," ED_X "}"), EID_ERR_UNSUPPORTED);
	T_EQ_INT(jwk_code("{\"kty\":\"EC\",\"crv\":\"P-256\",\"use\":\"enc\"," EC_X "," EC_Y "}"),
	    EID_ERR_UNSUPPORTED);
	T_EQ_INT(jwk_code("{\"kty\":\"EC\",\"crv\":\"P-256\",\"key_ops\":[\"sign\"]," EC_X "," EC_Y "}"),
	    EID_ERR_UNSUPPORTED);
	T_EQ_INT(jwk_code("{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"HS256\"," EC_X "," EC_Y "}"),
	    EID_ERR_ALG_NOT_ALLOWED);
	T_EQ_INT(jwk_code("{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"none\"," EC_X "," EC_Y "}"),
	    EID_ERR_ALG_NOT_ALLOWED);
	/* malformed or inconsistent */
	T_EQ_INT(jwk_code("{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"RS256\"," EC_X "," EC_Y "}"),
	    EID_ERR_JWK);
	T_EQ_INT(jwk_code("{\"kty\":\"RSA\",\"crv\":\"P-256\",\"alg\":\"ES256\"," EC_X "," EC_Y "}"),
	    EID_ERR_JWK);
	T_EQ_INT(jwk_code("{\"kty\":\"EC\",\"crv\":\"P-256\"," EC_X "}"), EID_ERR_JWK);
	T_EQ_INT(jwk_code("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AAAA\"," EC_Y "}"), EID_ERR_JWK);
	T_EQ_INT(jwk_code("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU=\","
	    EC_Y "}"), EID_ERR_JWK);
	T_EQ_INT(jwk_code("{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":7," EC_X "," EC_Y "}"), EID_ERR_JWK);
	T_EQ_INT(jwk_code("{\"kty\":\"EC\",\"crv\":\"P-256\",\"use\":1," EC_X "," EC_Y "}"), EID_ERR_JWK);
	T_EQ_INT(jwk_code("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AAAA\"}"), EID_ERR_JWK);
	T_EQ_INT(jwk_code("{\"crv\":\"P-256\"," EC_X "," EC_Y "}"), EID_ERR_JWK);
	T_EQ_INT(jwk_code("[]"), EID_ERR_JWK);
	/* not on the curve */
	T_EQ_INT(jwk_code("{\"kty\":\"EC\",\"crv\":\"P-256\"," EC_X "," EC_Y_BAD "}"), EID_ERR_KEY);
	/* RSA: exponent 1, even exponent, too small */
	T_EQ_INT(jwk_code("{\"kty\":\"RSA\",\"e\":\"AQ\",\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw\"}"),
	    EID_ERR_KEY);
	T_EQ_INT(jwk_code("{\"kty\":\"RSA\",\"e\":\"AQAA\",\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw\"}"),
	    EID_ERR_KEY);
	T_EQ_INT(jwk_code("{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQ\"}"),
	    EID_ERR_KEY);
}

T_CASE(jwk_roca_key_refused)
{
	json_t *j = tt_vector_json("jose/roca_public.jwk.json");
	struct tok_key *k = NULL;
	int r = tok_key_from_jwk(j, &k);

	json_decref(j);
	/* 2049-bit modulus, e = 65537: only the ROCA fingerprint refuses it */
	T_EQ_INT(r, EID_ERR_KEY);
	T_ASSERT(k == NULL);
}

static int
b64url_to_bytes(const char *s, uint8_t *out, size_t outsz, size_t *n)
{
	return cx_b64url_decode(out, outsz, n, s, strlen(s));
}

/* RFC 7515 A.2 and RFC 8037 A.4 are deterministic: our signature must match. */
static void
sign_kat(const char *pemfile, enum tok_alg alg, const char *jwsfile)
{
	size_t plen = 0, want_len = 0, siglen = 0;
	char *pem = tt_vector(pemfile, &plen);
	char *jws = tt_vector_line(jwsfile);
	char *dot = strrchr(jws, '.');
	struct tok_key *k = NULL;
	uint8_t want[512], *sig = NULL;
	int r1, r2, r3;

	r1 = tok_key_from_pem(pem, plen, alg, &k);
	cx_wipe(pem, plen);
	free(pem);
	r2 = b64url_to_bytes(dot + 1, want, sizeof(want), &want_len);
	r3 = r1 == 0 ? tok_sig_sign(k, jws, (size_t)(dot - jws), &sig, &siglen) : -1;
	free(jws);
	tok_key_free(&k);
	if (r1 != 0 || r2 != 0 || r3 != 0) {
		free(sig);
		T_FAIL("load %d, decode %d, sign %d", r1, r2, r3);
	}
	if (siglen != want_len || memcmp(sig, want, siglen) != 0) {
		free(sig);
		T_FAIL("signature differs from the RFC's");
	}
	free(sig);
}

T_CASE(rfc7515_a2_rs256_sign_known_answer)
{
	sign_kat("jose/rfc7515_a2_private.pem", TOK_ALG_RS256, "jose/rfc7515_a2.jws");
}

T_CASE(rfc8037_a4_eddsa_sign_known_answer)
{
	sign_kat("jose/rfc8037_a1_private.pem", TOK_ALG_EDDSA, "jose/rfc8037_a4.jws");
}

T_CASE(es256_signature_shape)
{
	static const uint8_t order[32] = {
		0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2,
		0xfc, 0x63, 0x25, 0x51,
	};
	struct tok_key *k = NULL;
	uint8_t *sig = NULL, buf[72];
	size_t siglen = 0;
	int r[8];

	T_EQ_INT(tok_key_generate(TOK_ALG_ES256, &k), 0);
	T_EQ_INT(tok_sig_sign(k, "m", 1, &sig, &siglen), 0);
	T_EQ_INT(siglen, 64);
	memcpy(buf, sig, 64);
	buf[64] = 0;
	r[0] = tok_sig_verify(TOK_ALG_ES256, k, "m", 1, buf, 64);
	r[1] = tok_sig_verify(TOK_ALG_ES256, k, "m", 1, buf, 63);
	r[2] = tok_sig_verify(TOK_ALG_ES256, k, "m", 1, buf, 65);
	memset(buf, 0, 32);                                  /* r = 0 */
	r[3] = tok_sig_verify(TOK_ALG_ES256, k, "m", 1, buf, 64);
	memcpy(buf, sig, 64);
	memcpy(buf + 32, order, 32);                         /* s = n */
	r[4] = tok_sig_verify(TOK_ALG_ES256, k, "m", 1, buf, 64);
	memcpy(buf, sig, 64);
	r[5] = tok_sig_verify(TOK_ALG_PS256, k, "m", 1, buf, 64);   /* alg is not the key's */
	r[6] = tok_sig_verify(TOK_ALG_NONE_, k, "m", 1, buf, 64);
	r[7] = tok_sig_verify(TOK_ALG_ES256, k, "m", 1, buf, 0);
	free(sig);
	tok_key_free(&k);
	T_EQ_INT(r[0], 0);
	T_EQ_INT(r[1], EID_ERR_BAD_SIGNATURE);
	T_EQ_INT(r[2], EID_ERR_BAD_SIGNATURE);
	T_EQ_INT(r[3], EID_ERR_BAD_SIGNATURE);
	T_EQ_INT(r[4], EID_ERR_BAD_SIGNATURE);
	T_EQ_INT(r[5], EID_ERR_ALG_NOT_ALLOWED);
	T_EQ_INT(r[6], EID_ERR_ALG_NOT_ALLOWED);
	T_EQ_INT(r[7], EID_ERR_BAD_SIGNATURE);
}

T_CASE(rs256_and_ps256_are_distinct)
{
	size_t plen = 0, l1 = 0, l2 = 0;
	char *pem = tt_vector("jose/rfc7515_a2_private.pem", &plen);
	struct tok_key *rs = NULL, *ps = NULL;
	uint8_t *s1 = NULL, *s2 = NULL;
	int r[6];

	r[0] = tok_key_from_pem(pem, plen, TOK_ALG_RS256, &rs);
	r[1] = tok_key_from_pem(pem, plen, TOK_ALG_PS256, &ps);
	cx_wipe(pem, plen);
	free(pem);
	T_EQ_INT(r[0], 0);
	T_EQ_INT(r[1], 0);
	r[2] = tok_sig_sign(ps, "m", 1, &s1, &l1);
	r[3] = tok_sig_sign(ps, "m", 1, &s2, &l2);
	r[4] = (r[2] == 0 && r[3] == 0) ? tok_sig_verify(TOK_ALG_PS256, ps, "m", 1, s1, l1) : -1;
	/* the same RSA key bound to RS256 must not accept a PSS signature */
	r[5] = r[2] == 0 ? tok_sig_verify(TOK_ALG_RS256, rs, "m", 1, s1, l1) : -1;
	T_ASSERT(r[2] == 0 && r[3] == 0 && l1 == 256 && l2 == 256);
	T_ASSERT(memcmp(s1, s2, l1) != 0);                  /* PSS is randomised */
	free(s1);
	free(s2);
	tok_key_free(&rs);
	tok_key_free(&ps);
	T_EQ_INT(r[4], 0);
	T_EQ_INT(r[5], EID_ERR_BAD_SIGNATURE);
}

T_CASE(set_kid)
{
	struct tok_key *k = NULL;
	char longkid[300];
	json_t *jwk = NULL;

	memset(longkid, 'a', sizeof(longkid) - 1);
	longkid[sizeof(longkid) - 1] = '\0';
	T_EQ_INT(tok_key_generate(TOK_ALG_EDDSA, &k), 0);
	T_EQ_INT(tok_key_set_kid(k, ""), EID_ERR_INVALID_ARGUMENT);
	T_EQ_INT(tok_key_set_kid(k, "a\nb"), EID_ERR_INVALID_ARGUMENT);
	T_EQ_INT(tok_key_set_kid(k, longkid), EID_ERR_INVALID_ARGUMENT);
	T_EQ_INT(tok_key_set_kid(k, NULL), EID_ERR_INVALID_ARGUMENT);
	T_EQ_INT(tok_key_set_kid(k, "2026-key-1"), 0);
	T_EQ_STR(tok_key_kid(k), "2026-key-1");
	T_EQ_INT(tok_key_public_jwk(k, &jwk), 0);
	T_EQ_STR(json_string_value(json_object_get(jwk, "kid")), "2026-key-1");
	T_EQ_STR(json_string_value(json_object_get(jwk, "crv")), "Ed25519");
	json_decref(jwk);
	tok_key_free(&k);
	tok_key_free(&k);       /* twice: NULL is fine */
	tok_key_free(NULL);
	T_ASSERT(tok_key_kid(NULL) == NULL);
	T_EQ_INT(tok_key_alg(NULL), TOK_ALG_NONE_);
}

int
main(void)
{
	if (cx_init() != 0)
		return 1;
	T_RUN(alg_names);
	T_RUN(generate_sign_verify_each_alg);
	T_RUN(pem_roundtrip_private_and_public);
	T_RUN(pem_refuses_wrong_type_and_format);
	T_RUN(rfc7638_thumbprint);
	T_RUN(rfc8037_thumbprint_and_rfc7515_a3_key);
	T_RUN(jwk_private_members_refused);
	T_RUN(jwk_shape_checks);
	T_RUN(jwk_roca_key_refused);
	T_RUN(rfc7515_a2_rs256_sign_known_answer);
	T_RUN(rfc8037_a4_eddsa_sign_known_answer);
	T_RUN(es256_signature_shape);
	T_RUN(rs256_and_ps256_are_distinct);
	T_RUN(set_kid);
	return t_done();
}
