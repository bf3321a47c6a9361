/*
 * srv_oauth_client.h - client authentication at the token-type endpoints (/token,
 * /introspect, /revoke): RFC 6749 section 2.3 and OpenID Connect Core section 9.
 *
 * Two steps, kept apart so the first is testable without a store:
 *
 *   srv_oauth_client_parse()         pure: which method the request uses and the
 *                                    credentials it carries (no store, no clock)
 *   srv_oauth_client_authenticate()  parse, look the client up, check the method is the
 *                                    one the client registered, check the secret
 *
 * client_secret_basic (RFC 6749 2.3.1): "Authorization: Basic base64(id ':' secret)",
 * where id and secret were each application/x-www-form-urlencoded before joining, so
 * both are form-decoded after the split at the first ':'.
 * client_secret_post: client_id and client_secret form parameters.
 * private_key_jwt (RFC 7523 2.2, 3; OIDC Core 9): client_assertion_type (exactly
 *   SRV_CLIENT_ASSERTION_TYPE) + client_assertion, a JWS signed with one of the client's
 *   registered keys (srv_client_keys: "jwks" or a cached "jwks_uri"). Checked in order:
 *   the client (from the client_id parameter, else the unverified "iss") exists, is
 *   enabled and registered private_key_jwt; the signature, with the allowlist RS256,
 *   PS256, ES256, EdDSA ("none" and HS* never, so the public key cannot serve as an HMAC
 *   secret) and the key picked by "kid" (or the only key of the header's algorithm); an
 *   unknown kid refetches a jwks_uri once, rate-limited; then the claims
 *   (srv_client_assertion_check, pure); last the "jti" is recorded in Redis (SET NX until
 *   exp + leeway), so a replay fails. Redis down is EID_ERR_REDIS* (503), not a 401.
 * none: a client_id parameter alone; accepted only for a client registered with
 *   token_endpoint_auth_method "none" (a public client), and only at /token and /revoke
 *   (RFC 7009 2.1 lets public clients revoke; introspection, RFC 7662 2.1, needs a
 *   client that can really authenticate, so /introspect never accepts it).
 *
 * Exactly one method per request: Basic together with client_secret or an assertion,
 * or a client_secret together with an assertion, is invalid_request; so is a repeated
 * credential parameter. With Basic, a client_id parameter is allowed only when it names
 * the same client.
 *
 * Every failure to authenticate (unknown client, wrong secret, disabled client, method
 * other than the registered one) is the same 401 invalid_client with the same text and
 * a WWW-Authenticate: Basic challenge (RFC 6749 5.2, RFC 7235 3.1): the answer never
 * says which part was wrong. The secret hash is computed even for an unknown client.
 * The reason goes to the log only (event client_auth_failed, a short code such as
 * "aud" or "replay"), never the credentials or the assertion.
 *
 * Ownership: struct srv_client_credentials owns its strings; the secret and the
 * assertion are wiped by srv_client_credentials_clear().
 */
#ifndef SRV_OAUTH_CLIENT_H
#define SRV_OAUTH_CLIENT_H

#include <time.h>

#include <jansson.h>

#include "eid_err.h"
#include "srv_app.h"
#include "tok_keyset.h"

/* Largest Basic credentials token68 we read (base64 text); more is refused. */
#define SRV_OAUTH_BASIC_MAX_B64     1024
/* Largest client_secret accepted (ours are 43 characters). */
#define SRV_OAUTH_SECRET_MAX        256

/* RFC 7523 2.2 */
#define SRV_CLIENT_ASSERTION_TYPE   "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
/* Clock skew allowed on exp, nbf and iat of a client assertion (seconds). */
#define SRV_CLIENT_ASSERTION_LEEWAY 30
/* Longest lifetime (exp - iat, or exp - now without iat) of a client assertion. */
#define SRV_CLIENT_ASSERTION_MAX_LIFETIME 600
/* Longest jti we record. */
#define SRV_CLIENT_ASSERTION_JTI_MAX 256

enum srv_client_auth {
	SRV_CLIENT_AUTH_MISSING = 0,        /* no credentials at all */
	SRV_CLIENT_AUTH_SECRET_BASIC,
	SRV_CLIENT_AUTH_SECRET_POST,
	SRV_CLIENT_AUTH_PRIVATE_KEY_JWT,
	SRV_CLIENT_AUTH_NONE,               /* public client: client_id only */
};

struct srv_client_credentials {
	enum srv_client_auth method;
	char *client_id;            /* decoded; NULL for MISSING */
	char *secret;               /* basic/post only; wiped on clear */
	char *assertion;            /* private_key_jwt only */
};

/* The registered-metadata name of a method ("client_secret_basic", ...), or NULL. */
const char *srv_client_auth_name(enum srv_client_auth m);

/*
 * Pure parse of the request's client credentials into *out (which the caller clears).
 * Results:
 *   0                          *out filled (method may be MISSING)
 *   EID_ERR_INVALID_ARGUMENT   more than one method, or a repeated credential parameter,
 *                              or a client_id parameter naming another client than Basic
 *   EID_ERR_ENCODING           Basic credentials that are not strict base64, or a bad
 *                              %-escape in either part
 *   EID_ERR_FORMAT             Basic credentials without ':', with an empty client id,
 *                              an Authorization scheme other than Basic, or a NUL byte
 *   EID_ERR_TOO_LARGE          Basic credentials, id or secret over the caps
 *   EID_ERR_NOMEM
 */
int srv_oauth_client_parse(const struct srv_req *req, struct srv_client_credentials *out)
    EID_WARN_UNUSED;
void srv_client_credentials_clear(struct srv_client_credentials *c);

/* An OAuth error decided by a pure step, turned into a response by srv_oauth_error_respond. */
struct srv_oauth_error {
	unsigned status;            /* 400 or 401 */
	const char *error;          /* RFC 6749 5.2 code, static */
	const char *description;    /* static text, never data */
};

/* JSON {"error","error_description"}; 401 also gets WWW-Authenticate: Basic realm="eid". */
int srv_oauth_error_respond(struct srv_resp *resp, const struct srv_oauth_error *e) EID_WARN_UNUSED;

/*
 * Authenticate the calling client. Results:
 *   0                 *client is the authenticated client (caller: srv_client_free)
 *   EID_ERR_DENIED    *err says what to answer (400 invalid_request / 401 invalid_client)
 *   other             a store failure (EID_ERR_DB*, ...): the caller returns it
 */
int srv_oauth_client_authenticate(struct srv_app *app, const struct srv_req *req,
    struct srv_client **client, struct srv_oauth_error *err) EID_WARN_UNUSED;

/*
 * The claim and header rules of a private_key_jwt assertion whose signature has been
 * verified (pure; now is the caller's clock):
 *   header alg one of RS256, PS256, ES256, EdDSA;
 *   iss and sub both strings equal to client_id;
 *   aud (a string, or an array of at most 16 strings) contains issuer + "/token" or the
 *     issuer itself (both allowed by OIDC Core 9 and RFC 7523 3);
 *   exp present and now < exp + leeway; nbf and iat, when present, not after now +
 *     leeway, nbf before exp; exp - iat (exp - now without iat, plus leeway) at most
 *     SRV_CLIENT_ASSERTION_MAX_LIFETIME: long-lived assertions are refused;
 *   jti a string of 1..SRV_CLIENT_ASSERTION_JTI_MAX bytes without NUL.
 * 0 and *exp (seconds) set, or EID_ERR_DENIED with *why a short static reason code for
 * the log ("alg", "iss", "sub", "aud", "exp", "expired", "times", "lifetime", "jti").
 */
int srv_client_assertion_check(const json_t *header, const json_t *claims, const char *client_id,
    const char *issuer, time_t now, long long *exp, const char **why) EID_WARN_UNUSED;

/*
 * The pure verification of an assertion against a keyset: tok_jws_verify with the
 * allowlist RS256, PS256, ES256, EdDSA and the key chosen by kid (or the only key of the
 * header's algorithm), then srv_client_assertion_check. Results: 0 with *claims
 * (caller json_decref) and *exp; EID_ERR_KID_UNKNOWN (no such key: the caller may
 * refresh a fetched keyset and try again); EID_ERR_DENIED; EID_ERR_NOMEM. *why gets a
 * reason code for the log on failure ("jws", "alg", "kid", "signature", "claims" or one
 * of srv_client_assertion_check's). Replay (jti) is the caller's: it needs Redis.
 */
int srv_client_assertion_verify(const char *assertion, const struct tok_keyset *ks,
    const char *client_id, const char *issuer, time_t now, json_t **claims, long long *exp,
    const char **why) EID_WARN_UNUSED;

/*
 * The "iss" of an assertion, read WITHOUT verifying it: only to find which client's
 * keys to verify with. *client_id is malloc'd (caller frees). 0, EID_ERR_JWS (not a
 * compact JWS, no string iss of 1..EID_CLIENT_ID_MAX bytes), EID_ERR_NOMEM.
 */
int srv_client_assertion_peek_iss(const char *assertion, char **client_id) EID_WARN_UNUSED;

/*
 * The client record, through a per-thread cache (srv_gencache.h): srv_store_client_get's
 * results and ownership (*out is the caller's, srv_client_free), without a store query
 * and a JSON parse of the metadata on every request. The cache is labelled with the store's
 * "clients_generation" setting, which eidctl bumps on each client change; a thread
 * compares it with the store at most every SRV_CLIENT_CACHE_RECHECK_MS and empties its
 * cache when it moved. So a change made with eidctl reaches every request within that
 * time, without a restart (an added client at once: misses go to the store). Without
 * that setting (a store no eidctl has written to) the store is read every time. A
 * thread keeps at most SRV_CLIENT_CACHE_SLOTS records of one store; unknown clients are
 * not remembered. Client authentication (srv_oauth_client_authenticate) and bearer
 * checks (srv_tokens_bearer) use it.
 */
#define SRV_CLIENT_CACHE_SLOTS      32
#define SRV_CLIENT_CACHE_RECHECK_MS 200
int srv_oauth_client_get(struct srv_app *app, const char *client_id, struct srv_client **out)
    EID_WARN_UNUSED;
/* Free the calling thread's client cache (threads free theirs when they end; tests). */
void srv_oauth_client_cache_clear(void);

/* 1 if the client may authenticate with "none" at this path (see above), else 0. Pure. */
int srv_oauth_client_none_allowed(const struct srv_client *c, const char *path);

/*
 * Request checks shared by the token-type endpoints (pure): POST body of type
 * application/x-www-form-urlencoded, and no parameter given twice (RFC 6749 3.2).
 * 0, or EID_ERR_DENIED with *err filled.
 */
int srv_oauth_check_form(const struct srv_req *req, struct srv_oauth_error *err) EID_WARN_UNUSED;

#endif /* SRV_OAUTH_CLIENT_H */
