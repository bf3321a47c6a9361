/*
 * srv_token_user.h - the /token grants that act for a citizen: authorization_code
 * (RFC 6749 4.1.3, RFC 7636 4.6, OIDC Core 3.1.3) and refresh_token (RFC 6749 6, with
 * rotation per RFC 9700 4.14.2). Both answer with an RFC 9068 access token, an ID token
 * (when the scope has openid) signed with the client's algorithm, and a new refresh
 * token when the client is registered for the refresh_token grant.
 *
 * The client is already authenticated (srv_oauth_client_authenticate). Results:
 *   0               resp holds the token response
 *   EID_ERR_DENIED  *err says what to answer (invalid_grant, invalid_request, ...)
 *   other           a store/Redis failure the dispatcher maps to 503/500
 */
#ifndef SRV_TOKEN_USER_H
#define SRV_TOKEN_USER_H

#include "srv_app.h"
#include "srv_oauth_client.h"

int srv_token_grant_code(struct srv_app *app, const struct srv_req *req,
    const struct srv_client *client, struct srv_resp *resp, struct srv_oauth_error *err)
    EID_WARN_UNUSED;
int srv_token_grant_refresh(struct srv_app *app, const struct srv_req *req,
    const struct srv_client *client, struct srv_resp *resp, struct srv_oauth_error *err)
    EID_WARN_UNUSED;

#endif /* SRV_TOKEN_USER_H */
