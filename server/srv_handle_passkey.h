/*
 * srv_handle_passkey.h - passkey (WebAuthn) ceremonies over HTTP (srv_handle_passkey.c)
 * and the script the pages use for them (/static/passkey.js).
 *
 * All four endpoints take an application/x-www-form-urlencoded POST carrying the
 * double-submit CSRF token ("csrf") and answer JSON; binary WebAuthn values travel as
 * base64url without padding.
 *   POST /passkey/register/options  signed in: creation options for a new passkey
 *   POST /passkey/register          signed in: {challenge, client_data_json,
 *                                   attestation_object[, name]} -> {"ok": true}
 *   POST /passkey/login/options     request options (discoverable credentials, empty
 *                                   allowCredentials: also what conditional UI uses)
 *   POST /passkey/login             {challenge, credential_id, client_data_json,
 *                                   authenticator_data, signature[, user_handle],
 *                                   return_to} -> {"redirect": local path}; starts a
 *                                   session like the password sign-in does
 * Errors (JSON {"error": ...}): 403 "csrf" (any endpoint); 401 "not_signed_in"; 403
 * "reauth_required" (registration options when the session's sign-in is older than
 * passkey_register_max_age seconds, default SRV_PASSKEY_REGISTER_MAX_AGE_DEFAULT: the
 * answer also carries "max_age" and "login", a /login link back to /account); 409
 * "too_many_passkeys"; registration: 400 "challenge", "invalid_request", "attestation"
 * (the webauthn_attestation policy refused the authenticator), "refused", 409 "exists";
 * sign-in: 401 "refused" for every reason, 429 "throttled" with Retry-After.
 *
 * Sign-in throttling (like the password sign-in's, srv_auth_password.h): failures are
 * counted in Redis per client IP and per submitted credential id (keyed hashes, TTL
 * SRV_PASSKEY_FAILURE_WINDOW from the first failure); at SRV_PASSKEY_IP_MAX_FAILURES /
 * SRV_PASSKEY_CRED_MAX_FAILURES that IP / credential id is locked for a full window:
 * attempts are answered 429 before any verification and do not count. A successful
 * sign-in clears its credential's count. Every failure and every throttled attempt is
 * audited ("login.passkey", result "failed" or "throttled").
 *
 * Attestation follows the webauthn_attestation policy (srv_config.h): registration
 * options ask for "none" or, under optional / required, "direct"; srv_webauthn checks
 * packed full attestation against webauthn_attestation_roots.
 *
 * Challenges are 32 CSPRNG bytes kept in Redis under a keyed hash of their value for
 * SRV_PASSKEY_CHALLENGE_TTL seconds with their purpose (and, for registration, the
 * account), and taken back exactly once (GETDEL) whatever the outcome.
 * The WebAuthn origin and rp id are the issuer's (srv_webauthn_origin_from_url); the
 * user handle is a keyed hash of the account id (no personal data). Every registration,
 * sign-in and failure is audited ("passkey.register", "login.passkey", "passkey.cloned").
 */
#ifndef SRV_HANDLE_PASSKEY_H
#define SRV_HANDLE_PASSKEY_H

#include <stddef.h>
#include <stdint.h>

#include "srv_app.h"
#include "srv_pages.h"
#include "srv_session.h"

#define SRV_PASSKEY_CHALLENGE_TTL 300       /* seconds a ceremony may take */
#define SRV_PASSKEY_USER_HANDLE_LEN 16
#define SRV_PASSKEY_NAME_MAX 64             /* bytes of a passkey's label */
#define SRV_PASSKEY_IP_MAX_FAILURES 20      /* failed sign-ins per client IP ... */
#define SRV_PASSKEY_CRED_MAX_FAILURES 10    /* ... and per credential id ... */
#define SRV_PASSKEY_FAILURE_WINDOW 900      /* ... within 15 minutes; a lock lasts 15 min */

int srv_handle_passkey_register_options(struct srv_app *app, const struct srv_req *req,
    struct srv_resp *resp);
int srv_handle_passkey_register(struct srv_app *app, const struct srv_req *req,
    struct srv_resp *resp);
int srv_handle_passkey_login_options(struct srv_app *app, const struct srv_req *req,
    struct srv_resp *resp);
int srv_handle_passkey_login(struct srv_app *app, const struct srv_req *req,
    struct srv_resp *resp);
int srv_handle_passkey_js(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp);

/* The WebAuthn user handle of an account: keyed BLAKE2b of the account id. */
void srv_passkey_user_handle(const struct srv_app *app, const char *account_id,
    uint8_t out[SRV_PASSKEY_USER_HANDLE_LEN]);

/*
 * Pure: the assurance of a passkey sign-in: amr ["hwk","user"] with user verification,
 * else ["hwk"]; acr urn:eid:level:2 only for a level-2 account with user verification,
 * else urn:eid:level:1. amr gets at most 2 entries; returns how many.
 */
size_t srv_passkey_assurance(int account_level, int uv, const char **acr, const char *amr[2]);

/*
 * Pure: 1 if a sign-in at auth_time is recent enough at now to add a passkey
 * (0 <= now - auth_time <= max_age), else 0.
 */
int srv_passkey_auth_fresh(long long auth_time, long long now, unsigned max_age);

/* The same for a loaded session (its "auth_time") under the configured max age. */
int srv_passkey_session_fresh(const struct srv_app *app, const struct srv_session *s);

/* The sign-in link that renews a session for adding a passkey:
 * "/login?return_to=%2Faccount&ui_locales=<lang>" (a static string). */
const char *srv_passkey_reauth_link(enum srv_lang lang);

#endif /* SRV_HANDLE_PASSKEY_H */
