/*
 * srv_grants.h - one-time authorization codes and rotating refresh tokens, in Redis.
 *
 * Both are opaque random strings (256 bits, base64url) handed to the client; Redis holds
 * only a keyed hash of them (srv_redis_key), next to a JSON "grant": client_id, account,
 * scope, acr, amr, auth_time, sid, and for codes redirect_uri, code_challenge and nonce.
 *
 * Codes (RFC 6749 4.1.2, 10.5): live SRV_AUTHZ_CODE_TTL seconds and are taken with
 * GETDEL, so of any number of parallel redemptions exactly one gets the grant. The
 * winner leaves a "used" marker (kept 10 minutes) naming the access token jti and the
 * refresh family it issued; a later redemption finds the marker and the caller revokes
 * both (RFC 6749 4.1.2: "SHOULD revoke all tokens previously issued based on that code").
 *
 * Refresh tokens (RFC 9700 4.14.2, rotation): each belongs to a family (one per code
 * exchange). Using one takes it (GETDEL) and leaves a "used" marker naming its family;
 * presenting a used one again revokes the whole family, so a stolen token that the
 * client or the thief already rotated is useless to both. Families are revoked by a
 * flag key that outlives every token of the family.
 *
 * Round trips: a redemption (code taken, used marker left or read) is one Lua script, and
 * so is a refresh take (token taken, used marker left, family flag and client mark read,
 * or on a replay the family revoked); issuing a token is one SET NX. A code exchange or a
 * refresh thus costs Redis two round trips.
 */
#ifndef SRV_GRANTS_H
#define SRV_GRANTS_H

#include <jansson.h>

#include "cx_util.h"
#include "eid_err.h"
#include "srv_app.h"

#define SRV_GRANT_TOKEN_BYTES   32
#define SRV_GRANT_TOKEN_LEN     CX_B64URL_LEN(SRV_GRANT_TOKEN_BYTES)
#define SRV_CODE_USED_TTL       600
#define SRV_REFRESH_TTL         (30 * 24 * 3600)
#define SRV_FAMILY_ID_BYTES     16

/* Store a new code for grant (copied). code gets the token. */
int srv_code_issue(struct srv_app *app, const json_t *grant, char code[SRV_GRANT_TOKEN_LEN])
    EID_WARN_UNUSED;
/*
 * Redeem a code. 0: *grant is the caller's, and the used marker {jti, family, exp} is
 * written. EID_ERR_NOT_FOUND: unknown or expired, or already used: then *used (if the
 * marker exists) is the caller's, so it can revoke what the first use issued.
 */
int srv_code_redeem(struct srv_app *app, const char *code, const char *jti, const char *family,
    long long at_exp, json_t **grant, json_t **used) EID_WARN_UNUSED;

/* Store a new refresh token of family for grant. */
int srv_refresh_issue(struct srv_app *app, const json_t *grant, const char *family,
    char token[SRV_GRANT_TOKEN_LEN]) EID_WARN_UNUSED;
/*
 * Take a refresh token for rotation. 0: *grant is the caller's (its "family" member names
 * the family). EID_ERR_DENIED: the token was used before: its family is now revoked.
 * EID_ERR_NOT_FOUND: unknown, expired, or of a revoked family.
 */
int srv_refresh_take(struct srv_app *app, const char *token, json_t **grant) EID_WARN_UNUSED;
/* Look without taking (introspection). Same results as take, without side effects. */
int srv_refresh_peek(struct srv_app *app, const char *token, json_t **grant) EID_WARN_UNUSED;
/* Revoke a family (every token of it, now and later). */
int srv_refresh_revoke_family(struct srv_app *app, const char *family) EID_WARN_UNUSED;
/*
 * Revoke every refresh family of account at client_id born up to now (consent withdrawn
 * on the account page): a mark kept as long as a refresh token lives; families issued
 * later (after a new consent) are not affected. Grants carry their family's birth time
 * ("fiat", set by srv_refresh_issue and kept through rotation).
 */
int srv_refresh_revoke_client(struct srv_app *app, const char *account, const char *client_id)
    EID_WARN_UNUSED;
#endif /* SRV_GRANTS_H */
