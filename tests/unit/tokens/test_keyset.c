/* test_keyset.c - tokens/tok_keyset.c: ownership, lookup, JWKS export and hostile import. */
#include <stdint.h>
#include <string.h>

#include "cx_util.h"
#include "eid_limits.h"
#include "tok_keyset.h"
#include "tok_test.h"

#define EC_KEY(extra) "{\"kty\":\"EC\",\"crv\":\"P-256\"," extra \
	"\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\"," \
	"\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}"

static int
jwks_code(const char *txt, size_t *count)
{
	struct tok_keyset *ks = NULL;
	int r = tok_keyset_from_jwks_json(txt, strlen(txt), &ks);

	if ((r == 0) != (ks != NULL))
		r = 54321;
	if (count != NULL)
		*count = tok_keyset_count(ks);
	tok_keyset_free(&ks);
	return r;
}

T_CASE(add_find_ownership)
{
	struct tok_keyset *ks = NULL;
	struct tok_key *es = NULL, *rs = NULL, *ed = NULL, *es2 = NULL, *dup = NULL;
	const struct tok_key *f;
	char kid[64];

	T_EQ_INT(tok_keyset_new(&ks), 0);
	T_EQ_INT(tok_key_generate(TOK_ALG_ES256, &es), 0);
	T_EQ_INT(tok_key_generate(TOK_ALG_RS256, &rs), 0);
	T_EQ_INT(tok_key_generate(TOK_ALG_EDDSA, &ed), 0);
	snprintf(kid, sizeof(kid), "%s", tok_key_kid(es));
	T_EQ_INT(tok_keyset_add(ks, &es), 0);
	T_ASSERT(es == NULL);
	T_EQ_INT(tok_keyset_add(ks, &rs), 0);
	T_EQ_INT(tok_keyset_add(ks, &ed), 0);
	T_EQ_INT(tok_keyset_count(ks), 3);
	f = tok_keyset_find(ks, kid, TOK_ALG_ES256);
	T_ASSERT(f != NULL && strcmp(tok_key_kid(f), kid) == 0);
	T_ASSERT(tok_keyset_find(ks, kid, TOK_ALG_RS256) == NULL);
	T_ASSERT(tok_keyset_find(ks, "nope", TOK_ALG_ES256) == NULL);
	T_ASSERT(tok_keyset_find(ks, NULL, TOK_ALG_ES256) == f);
	T_ASSERT(tok_keyset_find(ks, NULL, TOK_ALG_PS256) == NULL);
	T_ASSERT(tok_keyset_get(ks, 3) == NULL);
	/* a second ES256 key makes a kid-less lookup ambiguous */
	T_EQ_INT(tok_key_generate(TOK_ALG_ES256, &es2), 0);
	T_EQ_INT(tok_keyset_add(ks, &es2), 0);
	T_ASSERT(tok_keyset_find(ks, NULL, TOK_ALG_ES256) == NULL);
	/* duplicate kid: refused and the key is consumed anyway */
	T_EQ_INT(tok_key_generate(TOK_ALG_EDDSA, &dup), 0);
	T_EQ_INT(tok_key_set_kid(dup, kid), 0);
	T_EQ_INT(tok_keyset_add(ks, &dup), EID_ERR_EXISTS);
	T_ASSERT(dup == NULL);
	T_EQ_INT(tok_keyset_count(ks), 4);
	tok_keyset_free(&ks);
	T_ASSERT(ks == NULL);
	tok_keyset_free(&ks);
}

T_CASE(add_cap)
{
	struct tok_keyset *ks = NULL;
	struct tok_key *k = NULL;
	int i;

	T_EQ_INT(tok_keyset_new(&ks), 0);
	for (i = 0; i < EID_JWKS_MAX_KEYS; i++) {
		T_EQ_INT(tok_key_generate(TOK_ALG_EDDSA, &k), 0);
		T_EQ_INT(tok_keyset_add(ks, &k), 0);
	}
	T_EQ_INT(tok_key_generate(TOK_ALG_EDDSA, &k), 0);
	T_EQ_INT(tok_keyset_add(ks, &k), EID_ERR_TOO_LARGE);
	T_ASSERT(k == NULL);
	tok_keyset_free(&ks);
}

T_CASE(jwks_export_import_roundtrip)
{
	struct tok_keyset *ks = NULL, *back = NULL;
	struct tok_key *k = NULL;
	json_t *jwks = NULL;
	char *txt = NULL;
	size_t i;
	int r;

	T_EQ_INT(tok_keyset_new(&ks), 0);
	for (i = 0; i < 4; i++) {
		static const enum tok_alg a[] = { TOK_ALG_RS256, TOK_ALG_PS256, TOK_ALG_ES256, TOK_ALG_EDDSA };

		T_EQ_INT(tok_key_generate(a[i], &k), 0);
		T_EQ_INT(tok_keyset_add(ks, &k), 0);
	}
	T_EQ_INT(tok_keyset_to_jwks_json(ks, &jwks), 0);
	txt = json_dumps(jwks, JSON_COMPACT);
	json_decref(jwks);
	T_ASSERT(txt != NULL);
	T_ASSERT(strstr(txt, "\"d\"") == NULL && strstr(txt, "\"p\"") == NULL);
	r = tok_keyset_from_jwks_json(txt, strlen(txt), &back);
	free(txt);
	T_EQ_INT(r, 0);
	T_EQ_INT(tok_keyset_count(back), 4);
	for (i = 0; i < 4; i++) {
		const struct tok_key *a = tok_keyset_get(ks, i);
		const struct tok_key *b = tok_keyset_find(back, tok_key_kid(a), tok_key_alg(a));

		T_ASSERT(b != NULL && !tok_key_has_private(b));
	}
	tok_keyset_free(&ks);
	tok_keyset_free(&back);
}

T_CASE(jwks_private_members_refused)
{
	size_t n = 0;

	T_EQ_INT(jwks_code("{\"keys\":[" EC_KEY("\"d\":\"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI\",") "]}", &n),
	    EID_ERR_JWK);
	T_EQ_INT(jwks_code("{\"keys\":[{\"kty\":\"oct\",\"k\":\"AAAA\"}]}", &n), EID_ERR_JWK);
	T_EQ_INT(jwks_code("{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"qi\":\"AQ\"}]}", &n),
	    EID_ERR_JWK);
}

T_CASE(jwks_skips_what_is_not_for_us)
{
	size_t n = 99;

	T_EQ_INT(jwks_code("{\"keys\":["
	    "{\"kty\":\"oct\",\"alg\":\"HS256\"},"
	    EC_KEY("\"use\":\"enc\",\"kid\":\"a\",") ","
	    EC_KEY("\"key_ops\":[\"encrypt\"],\"kid\":\"b\",") ","
	    EC_KEY("\"alg\":\"ES384\",\"kid\":\"c\",") ","
	    "{\"kty\":\"OKP\",\"crv\":\"X448\",\"x\":\"AAAA\"},"
	    EC_KEY("\"kid\":\"good\",\"use\":\"sig\",") "], \"other\":1}", &n), 0);
	T_EQ_INT(n, 1);
	T_EQ_INT(jwks_code("{\"keys\":[]}", &n), 0);
	T_EQ_INT(n, 0);
}

T_CASE(jwks_hostile_documents)
{
	char *big = NULL, *many = NULL, *deep = NULL;
	size_t n = 0, i, off;
	int r[4];

	T_EQ_INT(jwks_code("", &n), EID_ERR_JWK);
	T_EQ_INT(jwks_code("[]", &n), EID_ERR_JWK);
	T_EQ_INT(jwks_code("{\"keys\":{}}", &n), EID_ERR_JWK);
	T_EQ_INT(jwks_code("{\"keys\":[1]}", &n), EID_ERR_JWK);
	T_EQ_INT(jwks_code("{\"keys\":[],\"keys\":[]}", &n), EID_ERR_JWK);
	T_EQ_INT(jwks_code("{\"keys\":[]} x", &n), EID_ERR_JWK);
	T_EQ_INT(jwks_code("{\"keys\":[" EC_KEY("\"kid\":\"a\",") "," EC_KEY("\"kid\":\"a\",") "]}", &n),
	    EID_ERR_EXISTS);
	T_EQ_INT(jwks_code("{\"keys\":[" EC_KEY("\"kid\":\"a\",\"kid\":\"b\",") "]}", &n), EID_ERR_JWK);
	many = malloc(64 * (EID_JWKS_MAX_KEYS + 2));
	big = malloc(EID_JWKS_MAX_BYTES + 64);
	deep = malloc(4096);
	if (many == NULL || big == NULL || deep == NULL) {
		free(many);
		free(big);
		free(deep);
		T_FAIL("nomem");
	}
	/* too many keys */
	off = (size_t)sprintf(many, "{\"keys\":[");
	for (i = 0; i <= EID_JWKS_MAX_KEYS; i++)
		off += (size_t)sprintf(many + off, "%s{\"kty\":\"oct\"}", i ? "," : "");
	sprintf(many + off, "]}");
	r[0] = jwks_code(many, &n);
	/* too many bytes */
	off = (size_t)sprintf(big, "{\"keys\":[],\"pad\":\"");
	memset(big + off, 'a', EID_JWKS_MAX_BYTES);
	strcpy(big + off + EID_JWKS_MAX_BYTES, "\"}");
	r[1] = jwks_code(big, &n);
	/* too deep */
	off = (size_t)sprintf(deep, "{\"keys\":[],\"x\":");
	for (i = 0; i < 100; i++)
		deep[off++] = '[';
	for (i = 0; i < 100; i++)
		deep[off++] = ']';
	strcpy(deep + off, "}");
	r[2] = jwks_code(deep, &n);
	r[3] = tok_keyset_from_jwks_json(NULL, 0, NULL);
	free(many);
	free(big);
	free(deep);
	T_EQ_INT(r[0], EID_ERR_TOO_LARGE);
	T_EQ_INT(r[1], EID_ERR_TOO_LARGE);
	T_EQ_INT(r[2], EID_ERR_JWK);
	T_EQ_INT(r[3], EID_ERR_INVALID_ARGUMENT);
}

T_CASE(jwks_weak_key_refused)
{
	json_t *roca = tt_vector_json("jose/roca_public.jwk.json");
	json_t *doc = json_pack("{s:[O]}", "keys", roca);
	char *txt = json_dumps(doc, JSON_COMPACT);
	int r = jwks_code(txt, NULL);

	free(txt);
	json_decref(doc);
	json_decref(roca);
	T_EQ_INT(r, EID_ERR_KEY);
}

int
main(void)
{
	if (cx_init() != 0)
		return 1;
	T_RUN(add_find_ownership);
	T_RUN(add_cap);
	T_RUN(jwks_export_import_roundtrip);
	T_RUN(jwks_private_members_refused);
	T_RUN(jwks_skips_what_is_not_for_us);
	T_RUN(jwks_hostile_documents);
	T_RUN(jwks_weak_key_refused);
	return t_done();
}
