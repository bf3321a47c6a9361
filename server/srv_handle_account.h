/*
 * srv_handle_account.h - the citizen's account page (srv_handle_account.c).
 *
 *   GET  /account                  signed in: name and level, passkeys (name, created,
 *                                  last used; remove; add through /static/passkey.js),
 *                                  the authenticator app's status, the portals holding
 *                                  consent (withdraw), the history of sign-ins and data
 *                                  releases from the audit log, "sign out everywhere";
 *                                  not signed in: 303 to /login?return_to=/account
 *   POST /account/passkey/remove   {csrf, id}: remove one of the account's passkeys
 *   POST /account/consent/revoke   {csrf, client_id}: withdraw consent, and revoke the
 *                                  refresh tokens that portal holds for the account
 *   POST /account/logout-all       {csrf}: end every session of the account (each with
 *                                  back-channel logout), then 303 to /login
 * Every POST is CSRF-protected (double submit) and answers 303 to /account (or 403).
 */
#ifndef SRV_HANDLE_ACCOUNT_H
#define SRV_HANDLE_ACCOUNT_H

#include "srv_app.h"

#define SRV_ACCOUNT_HISTORY_MAX 30          /* audit events shown */

int srv_handle_account(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp);
int srv_handle_account_passkey_remove(struct srv_app *app, const struct srv_req *req,
    struct srv_resp *resp);
int srv_handle_account_consent_revoke(struct srv_app *app, const struct srv_req *req,
    struct srv_resp *resp);
int srv_handle_account_logout_all(struct srv_app *app, const struct srv_req *req,
    struct srv_resp *resp);

#endif /* SRV_HANDLE_ACCOUNT_H */
