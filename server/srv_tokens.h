/*
 * srv_tokens.h - access tokens: JWTs per RFC 9068 ("JWT Profile for OAuth 2.0 Access
 * Tokens"), signed with the active ES256 key, verified against our published keys, and
 * revoked through a Redis denylist.
 *
 *   header  {"alg":"ES256","kid":<active ES256 kid>,"typ":"at+jwt"}
 *   claims  iss (cfg->issuer), sub, aud, client_id, scope, iat, exp = iat + lifetime,
 *           jti (128 random bits, base64url)
 *
 * Issuing needs no Redis (client_credentials keeps working through an outage);
 * verification consults the denylist, so it fails with EID_ERR_REDIS_DOWN then.
 * Revocation stores "eid:atrev:<hash(jti)>" with a TTL equal to the token's remaining
 * lifetime, so the denylist empties itself.
 *
 * The claim checks are pure functions of (header, claims, issuer, now) so tests can
 * script the time.
 */
#ifndef SRV_TOKENS_H
#define SRV_TOKENS_H

#include <time.h>

#include <jansson.h>

#include "cx_buf.h"
#include "eid_err.h"
#include "srv_app.h"
#include "tok_key.h"

#define SRV_ACCESS_TOKEN_LIFETIME   300     /* seconds */
#define SRV_ACCESS_TOKEN_TYP        "at+jwt"
#define SRV_ACCESS_TOKEN_LEEWAY     30      /* clock skew between eidd nodes, seconds */
#define SRV_TOKEN_JTI_BYTES         16

struct srv_access_token_params {
	const char *client_id;
	const char *sub;            /* the client id for client_credentials */
	const char *aud;            /* NULL: the issuer */
	const char *scope;          /* space-separated, may be NULL */
	long lifetime;              /* 0: SRV_ACCESS_TOKEN_LIFETIME */
	/* user tokens (authorization_code, refresh_token); NULL/0 for client_credentials */
	const char *account_id;     /* sealed into the "eid_ref" claim (see below) */
	const char *acr;
	long long auth_time;
	const char *jti;            /* NULL: a fresh one */
};

/*
 * Sign claims as a compact JWS with the active key of alg (header alg, kid, typ; typ
 * NULL: "JWT"). *out is malloc'd. EID_ERR_KEY when no key of that alg is active.
 */
int srv_tokens_sign_jwt(struct srv_app *app, enum tok_alg alg, const char *typ,
    const json_t *claims, char **out) EID_WARN_UNUSED;

/*
 * The claims set of a new access token (pure: time and jti given). Caller json_decref.
 */
int srv_tokens_access_claims(const char *issuer, const struct srv_access_token_params *p,
    time_t now, const char *jti, json_t **out) EID_WARN_UNUSED;
/*
 * The same claims (and "eid_ref" last when eid_ref is not NULL, as issuing adds it)
 * appended to out as the compact JSON text json_dumps gives for them, without building
 * a jansson object (pure; tok_jsonw). EID_ERR_UNSUPPORTED when a value needs escaping
 * or a parameter is missing or out of range: the caller then takes the jansson way,
 * which escapes and reports. Else 0, EID_ERR_NOMEM or EID_ERR_TOO_LARGE (out's cap).
 */
int srv_tokens_access_text(const char *issuer, const struct srv_access_token_params *p,
    time_t now, const char *jti, const char *eid_ref, struct cx_dynbuf *out) EID_WARN_UNUSED;

/*
 * Sign a new access token. *token is malloc'd (caller frees), *expires_in the lifetime.
 * EID_ERR_KEY when there is no active ES256 key.
 */
int srv_tokens_issue_access(struct srv_app *app, const struct srv_access_token_params *p,
    char **token, long *expires_in) EID_WARN_UNUSED;

/*
 * A user token names the citizen to /userinfo without revealing the account id to the
 * client (which may read the JWT): "eid_ref" is base64url(nonce || secretbox(account_id))
 * under SRV_SUBKEY_TOKEN_REF. srv_tokens_account_ref opens it: *account malloc'd.
 */
int srv_tokens_account_ref(const struct srv_secret *secret, const json_t *claims, char **account)
    EID_WARN_UNUSED;

#define SRV_ID_TOKEN_LIFETIME 600

struct srv_id_token_params {
	const char *client_id;
	const char *sub;
	const char *nonce;          /* NULL: none */
	const char *acr;
	const json_t *amr;          /* array of strings */
	long long auth_time;
	const char *sid;            /* NULL: none */
	const char *access_token;   /* for at_hash; NULL: none */
	enum tok_alg alg;
};

/* The at_hash of an access token for alg (OIDC Core 3.1.3.6; SHA-512 for EdDSA). */
int srv_tokens_at_hash(enum tok_alg alg, const char *access_token, char *out, size_t outsz)
    EID_WARN_UNUSED;
/* The ID token claims (pure). Caller json_decref. */
int srv_tokens_id_claims(const char *issuer, const struct srv_id_token_params *p, time_t now,
    json_t **out) EID_WARN_UNUSED;
/* The same as compact JSON text appended to out, as srv_tokens_access_text (amr must be
 * an array of plain strings for this way). */
int srv_tokens_id_text(const char *issuer, const struct srv_id_token_params *p, time_t now,
    struct cx_dynbuf *out) EID_WARN_UNUSED;
/*
 * The 200 answer of /token (RFC 6749 5.1), no-store: access_token, token_type Bearer,
 * expires_in, scope, then id_token and refresh_token when not NULL, in that order.
 * Written directly when every value is plain (tok_jsonw), else through jansson.
 */
int srv_tokens_respond(struct srv_resp *resp, const char *access_token, long expires_in,
    const char *scope, const char *id_token, const char *refresh_token) EID_WARN_UNUSED;
/* Sign a new ID token with the active key of p->alg. *token malloc'd. */
int srv_tokens_issue_id(struct srv_app *app, const struct srv_id_token_params *p, char **token)
    EID_WARN_UNUSED;

/*
 * The RFC 9068 checks once the signature is good (pure): typ "at+jwt" (or
 * "application/at+jwt", case-insensitive), iss, aud containing the issuer, exp/iat
 * against now, and client_id, sub, jti present as strings.
 * 0 or EID_ERR_JWT_CLAIMS / EID_ERR_JWT_EXPIRED.
 */
int srv_tokens_check_access(const json_t *header, const json_t *claims, const char *issuer,
    time_t now) EID_WARN_UNUSED;

/*
 * Verify an access token: size cap, ES256 only, a key from our published set, the
 * claim checks, and the denylist. On 0 *claims is the caller's (json_decref).
 * Results: 0; EID_ERR_DENIED when revoked; EID_ERR_REDIS* when the denylist cannot be
 * read; any other code means "not a valid access token".
 */
int srv_tokens_verify_access(struct srv_app *app, const char *token, json_t **claims)
    EID_WARN_UNUSED;

/* Same without the denylist lookup (for revocation itself). */
int srv_tokens_verify_access_signed(struct srv_app *app, const char *token, json_t **claims)
    EID_WARN_UNUSED;

/*
 * Verify an ID token we issued, as an id_token_hint (OIDC RP-Initiated Logout 1.0): our
 * signature with any of our published keys and algorithms, iss our issuer, aud present;
 * exp is NOT checked (a hint may be expired). On 0 *claims is the caller's.
 */
int srv_tokens_verify_id_hint(struct srv_app *app, const char *token, json_t **claims)
    EID_WARN_UNUSED;

/* Put the token's jti on the denylist until its exp. 0 or EID_ERR_REDIS*. */
int srv_tokens_revoke_access(struct srv_app *app, const json_t *claims) EID_WARN_UNUSED;

/*
 * Bearer authentication of a resource request (RFC 6750 section 2.1, 3): the token comes
 * from "Authorization: Bearer <b64token>" only (not from the query or the body). The
 * token must verify (srv_tokens_verify_access, so revoked tokens fail), its client must
 * still exist and not be disabled, and its space-separated scope must contain
 * required_scope (NULL: no scope needed). Results:
 *   0                  *claims is the caller's (json_decref)
 *   EID_ERR_DENIED     resp holds the answer: 401 + WWW-Authenticate: Bearer realm="eid"
 *                      (no credentials, or another scheme); 401 error="invalid_token"
 *                      (invalid, expired, revoked, client gone); 400 invalid_request
 *                      (Authorization given twice); 403 error="insufficient_scope",
 *                      scope="<required_scope>". Each with a JSON error body.
 *   other              EID_ERR_REDIS* (denylist unreadable), EID_ERR_DB*, EID_ERR_NOMEM:
 *                      the caller returns it (-> 503 / 500)
 */
int srv_tokens_bearer(struct srv_app *app, const struct srv_req *req, const char *required_scope,
    json_t **claims, struct srv_resp *resp) EID_WARN_UNUSED;

#endif /* SRV_TOKENS_H */
