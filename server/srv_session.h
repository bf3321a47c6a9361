/*
 * srv_session.h - citizen SSO sessions in Redis.
 *
 * The cookie carries a 256-bit random id (base64url); Redis keys are a keyed hash of it
 * (srv_redis_key), so a Redis dump holds no usable session id. The value is a JSON
 * object (account, acr, amr, auth_time, created, clients). Two limits apply:
 * idle (every use pushes the TTL forward, up to) and absolute (created + max lifetime,
 * never extended). A sorted set "eid:sessions" (score = absolute expiry) lets /metrics
 * count live sessions without scanning keys.
 *
 * Per-account index: a session whose data has a string "account" is also recorded in
 * the sorted set "eid:acctsess:<hash(account id)>" (score = created; members are the
 * sessions' hashed Redis keys, never the ids; the set's TTL is raised to the longest
 * session lifetime at each add). srv_session_create adds to it (a session that cannot be
 * indexed is deleted again: no session of an account may escape "sign out everywhere"),
 * srv_session_destroy removes from it, and srv_session_end_account reads it to end every
 * session of an account. Members whose session already ended are dropped when read.
 */
#ifndef SRV_SESSION_H
#define SRV_SESSION_H

#include <time.h>

#include <jansson.h>

#include "cx_util.h"
#include "srv_app.h"

#define SRV_SESSION_COOKIE "__Host-eid_session"
#define SRV_SESSION_ID_BYTES 32
#define SRV_SESSION_ID_LEN CX_B64URL_LEN(SRV_SESSION_ID_BYTES)

struct srv_session {
	char id[SRV_SESSION_ID_LEN];
	json_t *data;               /* owned */
	time_t created, expires;    /* absolute expiry */
};

/* Create a session holding `data` (borrowed; copied), indexed under its "account". */
int srv_session_create(struct srv_app *app, const json_t *data, struct srv_session *out) EID_WARN_UNUSED;
/* Load by id and extend its idle TTL. EID_ERR_NOT_FOUND if unknown or expired. */
int srv_session_load(struct srv_app *app, const char *id, struct srv_session *out) EID_WARN_UNUSED;
/* Write back s->data (after a change), keeping the expiry. EID_ERR_NOT_FOUND if the
 * session ended meanwhile. */
int srv_session_save(struct srv_app *app, struct srv_session *s) EID_WARN_UNUSED;
/* Delete the session (and its index entries); 0 also when it was gone already. */
int srv_session_destroy(struct srv_app *app, const char *id) EID_WARN_UNUSED;
/*
 * End every session of account_id started up to now (at most SRV_SESSION_END_MAX per
 * call): each one still alive is taken atomically (GETDEL, so two concurrent calls never
 * end the same session twice), announced with srv_session_ended and removed from the
 * indexes. *ended (may be NULL) counts the live sessions ended.
 */
#define SRV_SESSION_END_MAX 1000
int srv_session_end_account(struct srv_app *app, const char *account_id, unsigned *ended)
    EID_WARN_UNUSED;
void srv_session_clear(struct srv_session *s);
/*
 * A session is ending (sign-out, end_session, sign out everywhere): tell the relying
 * parties it signed in to, through back-channel logout queued outside the request path.
 * Never fails the caller; problems are logged.
 */
void srv_session_ended(struct srv_app *app, const json_t *data);
/* The session id from a Cookie header, copied into out; 0 or EID_ERR_NOT_FOUND. */
int srv_session_cookie_id(const struct srv_app *app, const char *cookie_header,
    char out[SRV_SESSION_ID_LEN]) EID_WARN_UNUSED;
/* Live sessions (for /metrics). */
int srv_session_count(struct srv_app *app, long long *n) EID_WARN_UNUSED;

#endif /* SRV_SESSION_H */
