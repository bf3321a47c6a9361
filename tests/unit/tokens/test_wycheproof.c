/*
 * test_wycheproof.c - every case of the Wycheproof files tokens/ relies on.
 *
 * usage: test_wycheproof DIR   (DIR = tests/vectors/wycheproof)
 * One TAP case per file. "valid" must be accepted, "invalid" rejected, "acceptable" may
 * go either way. In the JWS/JWK files, a "valid" case for an algorithm outside our
 * allowlist (HS*, RS384, ES512, ...) passes only if we refuse it. Each file prints its
 * counts as a "# " line; a mismatch prints its tcId and fails the case.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cx_util.h"
#include "tok_jws.h"
#include "tok_key.h"
#include "tok_keyset.h"
#include "../t.h"

static const char *wy_dir;

struct wy_counts {
	int total, valid_ok, invalid_ok, accept_yes, accept_no, unsupported_ok, mismatches;
	int keys_refused, private_refused;
};

static json_t *
wy_load(const char *file)
{
	char path[4096];
	json_error_t err;
	json_t *j;

	snprintf(path, sizeof(path), "%s/%s", wy_dir, file);
	if ((j = json_load_file(path, 0, &err)) == NULL)
		printf("# cannot load %s: %s (line %d)\n", path, err.text, err.line);
	return j;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hex string to a malloc'd buffer (at least 1 byte allocated). */
static uint8_t *
unhex(const char *s, size_t *len)
{
	size_t n = strlen(s), i;
	uint8_t *p = malloc(n / 2 + 1);

	if (p == NULL || n % 2 != 0) {
		free(p);
		return NULL;
	}
	for (i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			free(p);
			return NULL;
		}
		p[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return p;
}

/* Record one verdict; returns 1 on a mismatch. */
static int
wy_judge(struct wy_counts *c, const char *file, json_int_t tcid, const char *result,
    int accepted, int supported, int rc)
{
	c->total++;
	if (strcmp(result, "acceptable") == 0) {
		if (accepted)
			c->accept_yes++;
		else
			c->accept_no++;
		return 0;
	}
	if (strcmp(result, "valid") == 0 && supported && accepted) {
		c->valid_ok++;
		return 0;
	}
	if (strcmp(result, "valid") == 0 && !supported && !accepted) {
		c->unsupported_ok++;
		return 0;
	}
	if (strcmp(result, "invalid") == 0 && !accepted) {
		c->invalid_ok++;
		return 0;
	}
	printf("# %s tcId %lld: expected %s%s, got rc %d (%s)\n", file, (long long)tcid, result,
	    supported ? "" : " (unsupported alg: must refuse)", rc, eid_strerror(rc));
	c->mismatches++;
	return 1;
}

static void
wy_print(const char *file, const struct wy_counts *c)
{
	printf("# %s: %d cases: valid accepted %d, invalid rejected %d, acceptable %d "
	    "(accepted %d, rejected %d), unsupported-alg refused %d, mismatches %d",
	    file, c->total, c->valid_ok, c->invalid_ok, c->accept_yes + c->accept_no, c->accept_yes,
	    c->accept_no, c->unsupported_ok, c->mismatches);
	if (c->keys_refused || c->private_refused)
		printf(", group keys refused %d, private keysets refused %d", c->keys_refused,
		    c->private_refused);
	printf("\n");
}

/* The group's JWK (if any) must load to the same key as its PEM. */
static int
wy_jwk_matches(const json_t *group, const struct tok_key *key)
{
	const json_t *jwk = json_object_get(group, "publicKeyJwk");
	struct tok_key *k2 = NULL;
	char t1[64], t2[64];
	int ok;

	if (jwk == NULL)
		jwk = json_object_get(group, "keyJwk");
	if (jwk == NULL)
		return 1;
	if (tok_key_from_jwk(jwk, &k2) != 0)
		return 0;
	ok = tok_key_thumbprint(key, t1, sizeof(t1)) == 0 &&
	    tok_key_thumbprint(k2, t2, sizeof(t2)) == 0 && strcmp(t1, t2) == 0;
	tok_key_free(&k2);
	return ok;
}

static void
wy_sig_group(const char *file, const json_t *group, enum tok_alg alg, struct wy_counts *c)
{
	const json_t *pem = json_object_get(group, "publicKeyPem"), *tc;
	struct tok_key *key = NULL;
	size_t i;

	if (!json_is_string(pem))
		T_FAIL("%s: group without publicKeyPem", file);
	if (tok_key_from_pem(json_string_value(pem), json_string_length(pem), alg, &key) != 0)
		c->keys_refused++;
	else if (!wy_jwk_matches(group, key))
		printf("# %s: group JWK and PEM disagree\n", file), c->mismatches++;
	json_array_foreach(json_object_get(group, "tests"), i, tc) {
		size_t mlen = 0, slen = 0;
		uint8_t *msg = unhex(json_string_value(json_object_get(tc, "msg")), &mlen);
		uint8_t *sig = unhex(json_string_value(json_object_get(tc, "sig")), &slen);
		int rc = EID_ERR_KEY;

		if (msg == NULL || sig == NULL) {
			free(msg);
			free(sig);
			tok_key_free(&key);
			T_FAIL("%s: bad hex", file);
		}
		if (key != NULL)
			rc = tok_sig_verify(alg, key, msg, mlen, sig, slen);
		wy_judge(c, file, json_integer_value(json_object_get(tc, "tcId")),
		    json_string_value(json_object_get(tc, "result")), rc == 0, 1, rc);
		free(msg);
		free(sig);
	}
	tok_key_free(&key);
}

static void
wy_sig_file(const char *file, enum tok_alg alg)
{
	struct wy_counts c;
	json_t *root = wy_load(file), *group;
	size_t i;

	memset(&c, 0, sizeof(c));
	if (root == NULL)
		T_FAIL("cannot load %s", file);
	json_array_foreach(json_object_get(root, "testGroups"), i, group)
		wy_sig_group(file, group, alg, &c);
	wy_print(file, &c);
	if (c.total != json_integer_value(json_object_get(root, "numberOfTests"))) {
		json_decref(root);
		T_FAIL("%s: ran %d cases, file says %lld", file, c.total,
		    (long long)json_integer_value(json_object_get(root, "numberOfTests")));
	}
	json_decref(root);
	T_ASSERT(c.mismatches == 0);
}

/* Is the token's header "alg" one we support at all? (Classification only.) */
static int
wy_alg_supported(const char *jws)
{
	const char *dot = strchr(jws, '.');
	uint8_t buf[4096];
	size_t n = 0;
	json_t *h;
	enum tok_alg alg;
	int ok = 0;

	if (dot == NULL || cx_b64url_decode(buf, sizeof(buf), &n, jws, (size_t)(dot - jws)) != 0)
		return 0;
	if ((h = json_loadb((const char *)buf, n, 0, NULL)) == NULL)
		return 0;
	ok = json_is_string(json_object_get(h, "alg")) &&
	    tok_alg_from_name(json_string_value(json_object_get(h, "alg")), &alg) == 0;
	json_decref(h);
	return ok;
}

/* A JWK or JWKS member of a group as a keyset; NULL (refused) gives an empty set. */
static int
wy_keyset(const json_t *src, struct tok_keyset **ks)
{
	json_t *wrap = NULL;
	char *txt;
	int r;

	if (json_object_get(src, "keys") != NULL)
		wrap = json_incref((json_t *)src);
	else
		wrap = json_pack("{s:[O]}", "keys", src);
	txt = json_dumps(wrap, JSON_COMPACT);
	json_decref(wrap);
	if (txt == NULL)
		return EID_ERR_NOMEM;
	r = tok_keyset_from_jwks_json(txt, strlen(txt), ks);
	free(txt);
	return r;
}

static int
jwk_has_private(const json_t *k)
{
	static const char *const priv[] = { "d", "p", "q", "dp", "dq", "qi", "k" };
	size_t j;

	for (j = 0; j < sizeof(priv) / sizeof(priv[0]); j++)
		if (json_object_get(k, priv[j]) != NULL)
			return 1;
	return 0;
}

static int
has_private_member(const json_t *src)
{
	const json_t *keys = json_object_get(src, "keys"), *k;
	size_t i;

	if (keys == NULL)
		return jwk_has_private(src);
	json_array_foreach(keys, i, k)
		if (jwk_has_private(k))
			return 1;
	return 0;
}

static void
wy_jose_group(const char *file, const json_t *group, struct wy_counts *c)
{
	static const enum tok_alg all[] = { TOK_ALG_RS256, TOK_ALG_PS256, TOK_ALG_ES256, TOK_ALG_EDDSA };
	const json_t *pub = json_object_get(group, "public");
	const json_t *priv = json_object_get(group, "private"), *tc;
	struct tok_keyset *ks = NULL, *pks = NULL;
	size_t i;

	/* private key material must never load */
	if (priv != NULL) {
		if (has_private_member(priv)) {
			if (wy_keyset(priv, &pks) == 0) {
				printf("# %s: a private keyset was accepted\n", file);
				c->mismatches++;
			} else {
				c->private_refused++;
			}
			tok_keyset_free(&pks);
		}
	}
	if (wy_keyset(pub != NULL ? pub : priv, &ks) != 0) {
		c->keys_refused++;
		if (tok_keyset_new(&ks) != 0)
			T_FAIL("nomem");
	}
	json_array_foreach(json_object_get(group, "tests"), i, tc) {
		const char *jws = json_string_value(json_object_get(tc, "jws"));
		json_t *hdr = NULL;
		uint8_t *payload = NULL;
		size_t plen = 0;
		int rc;

		rc = tok_jws_verify(jws, strlen(jws), all, 4, tok_keyset_lookup, ks, &hdr, &payload,
		    &plen);
		wy_judge(c, file, json_integer_value(json_object_get(tc, "tcId")),
		    json_string_value(json_object_get(tc, "result")), rc == 0, wy_alg_supported(jws), rc);
		json_decref(hdr);
		free(payload);
	}
	tok_keyset_free(&ks);
}

static void
wy_jose_file(const char *file)
{
	struct wy_counts c;
	json_t *root = wy_load(file), *group;
	size_t i;

	memset(&c, 0, sizeof(c));
	if (root == NULL)
		T_FAIL("cannot load %s", file);
	json_array_foreach(json_object_get(root, "testGroups"), i, group)
		wy_jose_group(file, group, &c);
	wy_print(file, &c);
	if (c.total != json_integer_value(json_object_get(root, "numberOfTests"))) {
		json_decref(root);
		T_FAIL("%s: ran %d cases", file, c.total);
	}
	json_decref(root);
	T_ASSERT(c.mismatches == 0);
}

T_CASE(wycheproof_rsa_signature_2048_sha256)
{
	wy_sig_file("rsa_signature_2048_sha256_test.json", TOK_ALG_RS256);
}

T_CASE(wycheproof_rsa_pss_2048_sha256_mgf1_32)
{
	wy_sig_file("rsa_pss_2048_sha256_mgf1_32_test.json", TOK_ALG_PS256);
}

T_CASE(wycheproof_ecdsa_secp256r1_sha256_p1363)
{
	wy_sig_file("ecdsa_secp256r1_sha256_p1363_test.json", TOK_ALG_ES256);
}

T_CASE(wycheproof_ed25519)
{
	wy_sig_file("ed25519_test.json", TOK_ALG_EDDSA);
}

T_CASE(wycheproof_json_web_signature)
{
	wy_jose_file("json_web_signature_test.json");
}

T_CASE(wycheproof_json_web_key)
{
	wy_jose_file("json_web_key_test.json");
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s WYCHEPROOF_DIR\n", argv[0]);
		return 2;
	}
	if (cx_init() != 0)
		return 1;
	wy_dir = argv[1];
	T_RUN(wycheproof_rsa_signature_2048_sha256);
	T_RUN(wycheproof_rsa_pss_2048_sha256_mgf1_32);
	T_RUN(wycheproof_ecdsa_secp256r1_sha256_p1363);
	T_RUN(wycheproof_ed25519);
	T_RUN(wycheproof_json_web_signature);
	T_RUN(wycheproof_json_web_key);
	return t_done();
}
