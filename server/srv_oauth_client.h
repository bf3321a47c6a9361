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
 * private_key_jwt (RFC 7523): client_assertion_type + client_assertion parameters.
 * none: a client_id parameter alone (public clients).
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
 *
 * Ownership: struct srv_client_credentials owns its strings; the secret is wiped by
 * srv_client_credentials_clear(). The assertion is kept for the private_key_jwt slice.
 */
#ifndef SRV_OAUTH_CLIENT_H
#define SRV_OAUTH_CLIENT_H

#include "eid_err.h"
#include "srv_app.h"

/* Largest Basic credentials token68 we read (base64 text); more is refused. */
#define SRV_OAUTH_BASIC_MAX_B64     1024
/* Largest client_secret accepted (ours are 43 characters). */
#define SRV_OAUTH_SECRET_MAX        256

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
 * Request checks shared by the token-type endpoints (pure): POST body of type
 * application/x-www-form-urlencoded, and no parameter given twice (RFC 6749 3.2).
 * 0, or EID_ERR_DENIED with *err filled.
 */
int srv_oauth_check_form(const struct srv_req *req, struct srv_oauth_error *err) EID_WARN_UNUSED;

#endif /* SRV_OAUTH_CLIENT_H */
