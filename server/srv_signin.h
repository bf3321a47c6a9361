/*
 * srv_signin.h - what every way of signing a citizen in shares (password + one-time code,
 * passkey): the check of a sign-in page's return_to, starting a fresh SSO session with
 * its assurance (acr, amr), finding the request's session, and ending every session of
 * an account ("sign out everywhere" on the account page).
 *
 * The per-account session index behind "sign out everywhere" is srv_session's (see
 * srv_session.h: srv_session_create records each session under its "account",
 * srv_session_end_account ends them all).
 */
#ifndef SRV_SIGNIN_H
#define SRV_SIGNIN_H

#include <stddef.h>

#include "srv_app.h"
#include "srv_session.h"

#define SRV_SIGNIN_RETURN_TO_MAX 512
#define SRV_SIGNIN_MAX_AMR 4

/* Pure: return_to if it is a local path we are willing to redirect to, else "/". */
const char *srv_signin_safe_return_to(const char *v);

/*
 * Start a new session for account_id with acr and the amr values (at most
 * SRV_SIGNIN_MAX_AMR), replacing the request's old session if any (destroyed first:
 * the session id is new at every sign-in), set the session cookie, and index it under
 * the account.
 */
int srv_signin_start(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp,
    const char *account_id, const char *acr, const char *const *amr, size_t n_amr)
    EID_WARN_UNUSED;

/* The request's live session: 0 and *s filled (clear it), EID_ERR_NOT_FOUND if none. */
int srv_signin_current(struct srv_app *app, const struct srv_req *req, struct srv_session *s)
    EID_WARN_UNUSED;

/* End every session of account_id (srv_session_end_account: each live one is announced
 * to its relying parties and deleted); *ended (may be NULL) counts the live ones ended. */
int srv_signin_end_all(struct srv_app *app, const char *account_id, unsigned *ended)
    EID_WARN_UNUSED;

#endif /* SRV_SIGNIN_H */
