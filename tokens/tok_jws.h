/*
 * tok_jws.h - compact JWS (RFC 7515) signing and verification.
 *
 * Signing writes the protected header {"alg","kid"[,"typ"]} in that order; the payload
 * bytes are used as given. *out is a malloc'd NUL-terminated string; the caller frees.
 *
 * Verification treats the token as hostile:
 *   - at most EID_JWS_MAX_BYTES, exactly three '.'-separated segments, header and
 *     signature non-empty (an empty payload is legal);
 *   - each segment strict base64url (no padding, no whitespace, no '+' or '/');
 *   - the header is a JSON object (duplicate keys refused, depth at most
 *     EID_JSON_MAX_DEPTH); "alg" is a string in the caller's allowlist (never "none" or
 *     HS*, whatever the list says) and equal to the chosen key's algorithm; "kid", when
 *     present, is a string; "crit" is refused unless absent or an empty array; "jwk",
 *     "jku", "x5u", "x5c" are ignored (never fetched or used as a key);
 *   - the key comes only from the caller's lookup callback, given kid (NULL if absent)
 *     and the header's alg; NULL from it means EID_ERR_KID_UNKNOWN.
 * Results: 0, EID_ERR_TOO_LARGE, EID_ERR_JWS (form), EID_ERR_ALG_NOT_ALLOWED,
 * EID_ERR_KID_UNKNOWN, EID_ERR_BAD_SIGNATURE, EID_ERR_NOMEM.
 * On success only, *header (caller json_decref) and *payload (malloc'd, NUL-terminated
 * after *plen bytes; caller frees) are set; on failure they are NULL and *plen 0.
 */
#ifndef TOK_JWS_H
#define TOK_JWS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "eid_err.h"
#include "tok_key.h"

typedef const struct tok_key *(*tok_key_lookup_fn)(void *ctx, const char *kid, enum tok_alg alg);

int tok_jws_sign(const struct tok_key *key, const char *typ, const void *payload, size_t len,
    char **out) EID_WARN_UNUSED;
int tok_jws_verify(const char *compact, size_t len, const enum tok_alg *allowed, size_t nallowed,
    tok_key_lookup_fn lookup, void *ctx, json_t **header, uint8_t **payload, size_t *plen)
    EID_WARN_UNUSED;

#endif /* TOK_JWS_H */
