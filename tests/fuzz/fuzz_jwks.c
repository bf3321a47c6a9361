/*
 * fuzz_jwks.c - tok_keyset_from_jwks_json() (tokens/tok_keyset.c) on arbitrary bytes.
 * A set that loads must stay within EID_JWKS_MAX_KEYS, hold no private keys, and
 * survive an export and re-import with the same number of keys.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eid_limits.h"
#include "tok_keyset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_roundtrip(const struct tok_keyset *ks)
{
	struct tok_keyset *back = NULL;
	json_t *j = NULL;
	char *txt = NULL;
	size_t i;

	if (tok_keyset_count(ks) > EID_JWKS_MAX_KEYS)
		abort();
	for (i = 0; i < tok_keyset_count(ks); i++)
		if (tok_key_has_private(tok_keyset_get(ks, i)))
			abort();
	if (tok_keyset_to_jwks_json(ks, &j) != 0 || (txt = json_dumps(j, JSON_COMPACT)) == NULL)
		abort();
	if (tok_keyset_from_jwks_json(txt, strlen(txt), &back) != 0 ||
	    tok_keyset_count(back) != tok_keyset_count(ks))
		abort();
	tok_keyset_free(&back);
	free(txt);
	json_decref(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tok_keyset *ks = NULL;

	if (tok_keyset_from_jwks_json((const char *)data, size, &ks) == 0) {
		check_roundtrip(ks);
		tok_keyset_free(&ks);
	} else if (ks != NULL) {
		abort();
	}
	return 0;
}
