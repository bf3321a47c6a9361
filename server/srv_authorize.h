/*
 * srv_authorize.h - the authorization request (OpenID Connect Core 3.1.2, RFC 6749 4.1,
 * RFC 7636 PKCE, RFC 9207 iss) as pure functions: parse and check it, decide what the
 * citizen must do next, and build the redirect back to the relying party.
 *
 *   srv_authz_parse()     parameters -> struct srv_authz_request, in two stages:
 *                         stage 1 (client_id, redirect_uri) errors are shown on our own
 *                         error page and never redirected (an attacker must not be able
 *                         to use us as an open redirector); stage 2 errors are sent to
 *                         the registered redirect_uri with state and iss.
 *   srv_authz_decide()    request + the session facts -> what happens now: sign in, ask
 *                         consent, an error (login_required, consent_required, ...), or
 *                         issue a code.
 *   srv_authz_respond()   the redirect (query) or the auto-posting form (form_post),
 *                         with code or error, state and iss.
 *   srv_authz_to_json()   the request as JSON (kept in Redis while the citizen signs in
 *                         or decides on consent) and back.
 *
 * Nothing here touches Redis, the store or the clock: tests drive every rule directly.
 */
#ifndef SRV_AUTHORIZE_H
#define SRV_AUTHORIZE_H

#include <time.h>

#include <jansson.h>

#include "eid_err.h"
#include "srv_req.h"
#include "srv_store.h"

#define SRV_AUTHZ_PARAM_MAX     512     /* state, nonce, login_hint, ... */
#define SRV_AUTHZ_SCOPE_MAX     1024
#define SRV_AUTHZ_CODE_TTL      60      /* seconds an authorization code lives */
#define SRV_AUTHZ_REQUEST_TTL   900     /* seconds a pending request waits for sign-in */

#define SRV_PROMPT_NONE     0x1
#define SRV_PROMPT_LOGIN    0x2
#define SRV_PROMPT_CONSENT  0x4

struct srv_authz_request {
	char *client_id;
	char *redirect_uri;
	char *scope;                /* normalised: registered order-independent, no duplicates */
	char *state;                /* may be NULL */
	char *nonce;                /* may be NULL */
	char *code_challenge;       /* S256 only */
	char *login_hint;           /* may be NULL */
	char *ui_locales;           /* may be NULL */
	int prompt;                 /* SRV_PROMPT_* bits */
	long max_age;               /* -1: absent */
	int acr_level;              /* 0: not asked; 1 or 2: the lowest level acr_values accepts */
	int form_post;              /* response_mode=form_post */
	long long created;          /* when the request first arrived (unix seconds) */
	int resumed;                /* not stored: 1 when loaded back after sign-in/consent */
};

/* An error decided by a pure step. redirect 0: show our page; 1: send to the client. */
struct srv_authz_error {
	int redirect;
	unsigned status;            /* for the page: 400 */
	const char *error;          /* OAuth/OIDC error code, static */
	const char *description;    /* static English text, never request data */
	int page_reason;            /* for the page: which explanation to show (SRV_AUTHZ_PAGE_*) */
};

enum { SRV_AUTHZ_PAGE_CLIENT = 1, SRV_AUTHZ_PAGE_REDIRECT = 2, SRV_AUTHZ_PAGE_EXPIRED = 3 };

void srv_authz_request_clear(struct srv_authz_request *a);

/*
 * Parse and check the request parameters against the client (NULL: unknown client,
 * which is a stage-1 error). `params` is the query (GET) or the form (POST).
 * 0 with *out filled (caller clears), EID_ERR_DENIED with *err, or EID_ERR_NOMEM.
 * On a stage-2 error *out still holds client_id, redirect_uri and state (for the redirect).
 */
int srv_authz_parse(const struct srv_kvlist *params, const struct srv_client *client,
    long long now, struct srv_authz_request *out, struct srv_authz_error *err) EID_WARN_UNUSED;

/* What the citizen's SSO session offers (has_session 0: none). */
struct srv_authz_session {
	int has_session;
	long long auth_time;
	int level;                  /* 1 or 2 */
	const char *consented_scope;    /* remembered consent for this client, NULL: none */
};

enum srv_authz_next {
	SRV_AUTHZ_ISSUE = 0,        /* issue a code now */
	SRV_AUTHZ_LOGIN,            /* send to the sign-in page (then back here) */
	SRV_AUTHZ_CONSENT,          /* show the consent page */
	SRV_AUTHZ_FAIL,             /* *err filled (a redirect to the client) */
};

/*
 * Decide (pure). A session that is older than max_age (0: any), or any session for a
 * prompt=login request, needs a new sign-in, unless the request is resumed and the
 * sign-in happened after it arrived; so does a session below the requested level; prompt=none turns
 * that into login_required (no session, stale) or unmet_authentication_requirements
 * (level too low), and a missing consent into consent_required.
 */
enum srv_authz_next srv_authz_decide(const struct srv_authz_request *a,
    const struct srv_authz_session *s, long long now, struct srv_authz_error *err);

/* Pure: 1 when the client's metadata array `member` (redirect_uris, grant_types, ...)
 * holds value exactly, byte for byte (no prefix, no case folding); else 0. */
int srv_client_metadata_has(const struct srv_client *c, const char *member, const char *value);

/* Pure: every scope token of want is in have (space-separated lists). */
int srv_scope_covers(const char *have, const char *want);
/* Pure: have + want without duplicates; *out malloc'd. */
int srv_scope_union(const char *have, const char *want, char **out) EID_WARN_UNUSED;

/* "scheme://host[:port]" of an absolute URI ("scheme:" for a private-use scheme URI like
 * com.example.app:/cb), allocated; NULL when it has no scheme or on allocation failure. Pages whose form leads (through redirects) to a relying party add it
 * to their CSP form-action (resp->form_action): browsers check every hop of the redirect. */
char *srv_authz_origin(const char *uri);
/*
 * The response to the client: code (NULL for an error) or error/description, plus state
 * and iss. Query mode: 303 to redirect_uri with the parameters appended; form_post: a
 * 200 HTML page whose form posts them (a small script from /static submits it; without
 * JavaScript the citizen presses the button). resp->form_action gets the target origin.
 */
int srv_authz_respond(struct srv_resp *resp, const struct srv_authz_request *a,
    const char *issuer, const char *code, const char *error, const char *description)
    EID_WARN_UNUSED;

int srv_authz_to_json(const struct srv_authz_request *a, json_t **out) EID_WARN_UNUSED;
int srv_authz_from_json(const json_t *o, struct srv_authz_request *out) EID_WARN_UNUSED;

/* Pure PKCE (RFC 7636 4.1, 4.6): verifier syntax, and S256(verifier) == challenge in
 * constant time. 1 if it matches. */
int srv_pkce_s256_matches(const char *verifier, const char *challenge);

#endif /* SRV_AUTHORIZE_H */
