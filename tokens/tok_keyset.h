/*
 * tok_keyset.h - an owning set of JOSE keys (ours for signing, or a client's JWKS).
 *
 * Ownership: tok_keyset_add() always consumes the key: on success the set owns it, on
 * failure it is freed; either way the caller's pointer is NULLed. tok_keyset_free()
 * frees every key and NULLs the caller's pointer. Keys returned by tok_keyset_find()
 * are borrowed and live as long as the set. JSON returned is the caller's (json_decref).
 *
 * Kids are unique in a set (EID_ERR_EXISTS on add). A lookup without a kid finds a key
 * only when exactly one key of the asked algorithm is in the set.
 *
 * tok_keyset_from_jwks_json() parses an untrusted JWKS document: at most
 * EID_JWKS_MAX_BYTES and EID_JWKS_MAX_KEYS keys, depth EID_JSON_MAX_DEPTH, duplicate
 * JSON keys refused. A key is skipped (not an error) when its kty or crv is not
 * supported, its "alg" is outside our allowlist, its "use" is not "sig" or its
 * "key_ops" lacks "verify". A key with private members ("d", "p", "q", "dp", "dq", "qi",
 * "oth", "k") makes the whole set an error (EID_ERR_JWK): a client must never send us
 * private keys. So do a malformed or weak key (EID_ERR_JWK / EID_ERR_KEY) and duplicate
 * kids (EID_ERR_EXISTS).
 */
#ifndef TOK_KEYSET_H
#define TOK_KEYSET_H

#include <stddef.h>

#include <jansson.h>

#include "eid_err.h"
#include "tok_key.h"

struct tok_keyset;

int tok_keyset_new(struct tok_keyset **out) EID_WARN_UNUSED;
void tok_keyset_free(struct tok_keyset **ks);
int tok_keyset_add(struct tok_keyset *ks, struct tok_key **key) EID_WARN_UNUSED;
size_t tok_keyset_count(const struct tok_keyset *ks);
/* The i-th key (borrowed), NULL past the end. */
const struct tok_key *tok_keyset_get(const struct tok_keyset *ks, size_t i);
/* The key with this kid and alg; kid NULL: the only key of alg, if exactly one. */
const struct tok_key *tok_keyset_find(const struct tok_keyset *ks, const char *kid,
    enum tok_alg alg);
/* tok_key_lookup_fn for tok_jws_verify() with ctx = the keyset. */
const struct tok_key *tok_keyset_lookup(void *ks, const char *kid, enum tok_alg alg);
/* {"keys":[public JWKs]} */
int tok_keyset_to_jwks_json(const struct tok_keyset *ks, json_t **out) EID_WARN_UNUSED;
int tok_keyset_from_jwks_json(const char *json, size_t len, struct tok_keyset **out)
    EID_WARN_UNUSED;

#endif /* TOK_KEYSET_H */
