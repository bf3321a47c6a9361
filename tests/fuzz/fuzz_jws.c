/*
 * fuzz_jws.c - tok_jws_verify() (tokens/tok_jws.c) on arbitrary bytes, against a fixed
 * key set: the RFC 7515 A.2 RSA key (RS256 and, under another kid, PS256) and the
 * A.3 P-256 key (ES256), public parts only. Every algorithm is allowed, so the parser,
 * the header rules, the key lookup and all signature paths are reachable. A success
 * must hand back a header object and a NUL-terminated payload within the caps.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eid_limits.h"
#include "tok_jws.h"
#include "tok_keyset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RSA_N "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"

static const char jwks[] =
	"{\"keys\":["
	"{\"kty\":\"RSA\",\"alg\":\"RS256\",\"n\":\"" RSA_N "\",\"e\":\"AQAB\"},"
	"{\"kty\":\"RSA\",\"alg\":\"PS256\",\"kid\":\"ps\",\"n\":\"" RSA_N "\",\"e\":\"AQAB\"},"
	"{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"ec\","
	"\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
	"\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}]}";

static const enum tok_alg allowed[] = { TOK_ALG_RS256, TOK_ALG_PS256, TOK_ALG_ES256, TOK_ALG_EDDSA };

/* Kid-less tokens (the RFC examples) get the only key of their algorithm. */
static const struct tok_key *
lookup(void *ctx, const char *kid, enum tok_alg alg)
{
	const struct tok_keyset *ks = ctx;
	const struct tok_key *k = tok_keyset_find(ks, kid, alg);

	return k;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tok_keyset *ks;
	json_t *hdr = NULL;
	uint8_t *payload = NULL;
	size_t plen = 0;
	int r;

	if (ks == NULL && tok_keyset_from_jwks_json(jwks, strlen(jwks), &ks) != 0)
		abort();
	r = tok_jws_verify((const char *)data, size, allowed, 4, lookup, ks, &hdr, &payload, &plen);
	if (r == 0) {
		if (!json_is_object(hdr) || payload == NULL || plen > EID_JWS_MAX_BYTES ||
		    payload[plen] != '\0')
			abort();
	} else if (hdr != NULL || payload != NULL || plen != 0) {
		abort();
	}
	json_decref(hdr);
	free(payload);
	return 0;
}
