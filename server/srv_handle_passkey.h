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

#define SRV_PASSKEY_CHALLENGE_TTL 300       /* seconds a ceremony may take */
#define SRV_PASSKEY_USER_HANDLE_LEN 16
#define SRV_PASSKEY_NAME_MAX 64             /* bytes of a passkey's label */

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

#endif /* SRV_HANDLE_PASSKEY_H */
