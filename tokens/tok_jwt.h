/*
 * tok_jwt.h - JWT (RFC 7519) claims: building a claims set, signing it, and checking
 * the registered claims. The checks are pure: the time is passed in, nothing reads a
 * clock, nothing is logged.
 *
 * tok_jwt_claims_new(): {"iss","sub","aud","iat","nbf","exp"} with exp = iat + lifetime;
 * sub and aud may be NULL (left out). The caller owns *out (json_decref) and adds more.
 * tok_jwt_sign(): compact JWS of the claims (typ from the caller, e.g. "JWT"); *out is
 * malloc'd, caller frees.
 *
 * NumericDate members must be JSON numbers >= 0 (integers, or finite reals rounded
 * towards the strict side). leeway is seconds of allowed clock skew, 0..3600.
 *   tok_jwt_check_times: exp required, now < exp + leeway (else EID_ERR_JWT_EXPIRED);
 *     nbf if present: nbf <= now + leeway; iat if present: iat <= now + leeway
 *     (else EID_ERR_JWT_CLAIMS).
 *   tok_jwt_check_aud: aud a string equal to aud, or an array of at most 16 strings
 *     containing it (else EID_ERR_JWT_CLAIMS).
 *   tok_jwt_check_iss: iss a string equal to iss (else EID_ERR_JWT_CLAIMS).
 */
#ifndef TOK_JWT_H
#define TOK_JWT_H

#include <time.h>

#include <jansson.h>

#include "eid_err.h"
#include "tok_key.h"

#define TOK_JWT_MAX_AUD         16
#define TOK_JWT_MAX_LEEWAY      3600

int tok_jwt_claims_new(const char *iss, const char *sub, const char *aud, time_t iat,
    long lifetime, json_t **out) EID_WARN_UNUSED;
int tok_jwt_sign(const struct tok_key *key, const char *typ, const json_t *claims, char **out)
    EID_WARN_UNUSED;
int tok_jwt_check_times(const json_t *claims, time_t now, int leeway) EID_WARN_UNUSED;
int tok_jwt_check_aud(const json_t *claims, const char *aud) EID_WARN_UNUSED;
int tok_jwt_check_iss(const json_t *claims, const char *iss) EID_WARN_UNUSED;

#endif /* TOK_JWT_H */
