/* tok_keyset.c - an owning set of keys; JWKS import and export (see tok_keyset.h). */
#include <stdlib.h>
#include <string.h>

#include "eid_limits.h"
#include "tok_keyset.h"
#include "tok_util.h"

struct tok_keyset {
	struct tok_key *keys[EID_JWKS_MAX_KEYS];
	size_t n;
};

int
tok_keyset_new(struct tok_keyset **out)
{
	if (out == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	if ((*out = calloc(1, sizeof(**out))) == NULL)
		return EID_ERR_NOMEM;
	return 0;
}

void
tok_keyset_free(struct tok_keyset **ks)
{
	size_t i;

	if (ks == NULL || *ks == NULL)
		return;
	for (i = 0; i < (*ks)->n; i++)
		tok_key_free(&(*ks)->keys[i]);
	free(*ks);
	*ks = NULL;
}

int
tok_keyset_add(struct tok_keyset *ks, struct tok_key **key)
{
	size_t i;
	int r = 0;

	if (key == NULL || *key == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	if (ks == NULL) {
		r = EID_ERR_INVALID_ARGUMENT;
		goto out;
	}
	if (ks->n >= EID_JWKS_MAX_KEYS) {
		r = EID_ERR_TOO_LARGE;
		goto out;
	}
	for (i = 0; i < ks->n; i++)
		if (strcmp(tok_key_kid(ks->keys[i]), tok_key_kid(*key)) == 0) {
			r = EID_ERR_EXISTS;
			goto out;
		}
	ks->keys[ks->n++] = *key;
	*key = NULL;
out:
	tok_key_free(key);
	return r;
}

size_t
tok_keyset_count(const struct tok_keyset *ks)
{
	return ks != NULL ? ks->n : 0;
}

const struct tok_key *
tok_keyset_get(const struct tok_keyset *ks, size_t i)
{
	return ks != NULL && i < ks->n ? ks->keys[i] : NULL;
}

const struct tok_key *
tok_keyset_find(const struct tok_keyset *ks, const char *kid, enum tok_alg alg)
{
	const struct tok_key *found = NULL;
	size_t i;

	if (ks == NULL)
		return NULL;
	for (i = 0; i < ks->n; i++) {
		if (tok_key_alg(ks->keys[i]) != alg)
			continue;
		if (kid != NULL && strcmp(tok_key_kid(ks->keys[i]), kid) == 0)
			return ks->keys[i];
		if (kid == NULL) {
			if (found != NULL)
				return NULL;    /* ambiguous without a kid */
			found = ks->keys[i];
		}
	}
	return found;
}

const struct tok_key *
tok_keyset_lookup(void *ks, const char *kid, enum tok_alg alg)
{
	return tok_keyset_find(ks, kid, alg);
}

int
tok_keyset_to_jwks_json(const struct tok_keyset *ks, json_t **out)
{
	json_t *root = NULL, *arr = NULL, *jwk = NULL;
	size_t i;
	int r = EID_ERR_NOMEM;

	if (ks == NULL || out == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	*out = NULL;
	if ((root = json_object()) == NULL || (arr = json_array()) == NULL ||
	    json_object_set(root, "keys", arr) != 0)
		goto out;
	for (i = 0; i < ks->n; i++) {
		if ((r = tok_key_public_jwk(ks->keys[i], &jwk)) != 0)
			goto out;
		if (json_array_append_new(arr, jwk) != 0) {
			jwk = NULL;
			r = EID_ERR_NOMEM;
			goto out;
		}
		jwk = NULL;
	}
	*out = root;
	root = NULL;
	r = 0;
out:
	json_decref(arr);
	json_decref(root);
	return r;
}

int
tok_keyset_from_jwks_json(const char *json, size_t len, struct tok_keyset **out)
{
	json_t *root = NULL, *keys, *jwk;
	struct tok_keyset *ks = NULL;
	struct tok_key *key = NULL;
	size_t i;
	int r;

	if (out == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	*out = NULL;
	if (json == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	if (len > EID_JWKS_MAX_BYTES)
		return EID_ERR_TOO_LARGE;
	if ((r = tok_json_load_object(json, len, EID_JWKS_MAX_BYTES, &root)) != 0) {
		r = r == EID_ERR_NOMEM ? r : EID_ERR_JWK;
		goto out;
	}
	keys = json_object_get(root, "keys");
	if (!json_is_array(keys)) {
		r = EID_ERR_JWK;
		goto out;
	}
	if (json_array_size(keys) > EID_JWKS_MAX_KEYS) {
		r = EID_ERR_TOO_LARGE;
		goto out;
	}
	if ((r = tok_keyset_new(&ks)) != 0)
		goto out;
	json_array_foreach(keys, i, jwk) {
		r = tok_key_from_jwk(jwk, &key);
		if (r == EID_ERR_UNSUPPORTED || r == EID_ERR_ALG_NOT_ALLOWED)
			continue;       /* not for us: skip */
		if (r != 0 || (r = tok_keyset_add(ks, &key)) != 0)
			goto out;
	}
	*out = ks;
	ks = NULL;
	r = 0;
out:
	tok_keyset_free(&ks);
	json_decref(root);
	return r;
}
