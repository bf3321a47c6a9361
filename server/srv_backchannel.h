/*
 * srv_backchannel.h - OpenID Connect Back-Channel Logout 1.0: when a citizen's SSO
 * session ends, every relying party it signed in to that registered a
 * "backchannel_logout_uri" gets a signed Logout Token by HTTP POST, from a background
 * worker with retries, never in the request path.
 *
 * Enqueue (request path, no HTTP): srv_backchannel_enqueue_session() looks up each client
 * in the session's "clients" list (each once) and, for those with a back-channel URI,
 * writes one job to Redis: "eid:bcl:job:<job id>" = JSON {client_id, sub, sid, attempts,
 * created} with a TTL, and the job id into the sorted set "eid:bcl:due" (score = when it
 * is due, unix milliseconds). Jobs survive an eidd restart and any node may send them.
 * The `sub` is computed at enqueue time (it is what the client already knows), so the
 * account id is not stored in the queue (unless it is the sub: "public" clients).
 *
 * Worker (srv_backchannel_start/stop, one thread per eidd, up to 8 POSTs at once in one
 * libcurl multi handle): looks for due jobs every 0.5 s when idle, and at once when this
 * process enqueues; claims a due job atomically (srv_redis_zclaim_due: its score moves
 * to now + a 30 s lease in one Redis script, so only one worker of any node gets it; a
 * worker that dies lets it fall due again), re-reads the client (gone, disabled, or
 * without an https (loopback http) URI: the job is dropped; store unreadable: tried
 * again 5 s later), builds and signs the Logout Token at send time (fresh iat/exp/jti,
 * typ "logout+jwt", the client's id_token_signed_response_alg), and POSTs
 * "logout_token=<jwt>" (application/x-www-form-urlencoded) with libcurl: connect timeout
 * 2 s, total 5 s, no redirects, http/https only, response body discarded and capped
 * (a 200 or 204 whose body runs past the cap still counts as delivered). 200 and 204 mean
 * delivered; anything else is retried after 1 s, 5 s, 30 s and 2 min, then given up
 * (log "backchannel_logout_failed"). Each delivered or failed logout is one audit event
 * (actor "eidd", action "logout.backchannel", subject the client id, details attempts
 * and http_status). The token itself is never logged. Stop is prompt:
 * an idle or sending worker is woken at once (curl_multi_wakeup); a transfer cut short
 * by shutdown puts its job back as due now, without counting the attempt.
 *
 * The claims builder, the job encoding and the retry schedule are pure functions.
 */
#ifndef SRV_BACKCHANNEL_H
#define SRV_BACKCHANNEL_H

#include <time.h>

#include <jansson.h>

#include "eid_err.h"
#include "eid_limits.h"
#include "srv_app.h"
#include "srv_subject.h"
#include "tok_key.h"

#define SRV_BACKCHANNEL_EVENT       "http://schemas.openid.net/event/backchannel-logout"
#define SRV_BACKCHANNEL_TYP         "logout+jwt"
#define SRV_BACKCHANNEL_LIFETIME    120             /* token exp - iat, seconds */
#define SRV_BACKCHANNEL_CONNECT_MS  2000
#define SRV_BACKCHANNEL_TIMEOUT_MS  5000            /* the whole POST */
#define SRV_BACKCHANNEL_MAX_RESPONSE (16 * 1024)    /* response bytes read, then dropped */
#define SRV_BACKCHANNEL_JOB_TTL     3600            /* a job key lives at most this long, s */
#define SRV_BACKCHANNEL_JOB_MAX     2048            /* encoded job bytes */
#define SRV_BACKCHANNEL_SID_MAX     128
#define SRV_BACKCHANNEL_MAX_CLIENTS 64              /* clients of one session considered */

/* One queued logout: who to tell, about whom. Fixed-size fields: no ownership. */
struct srv_backchannel_job {
	char client_id[EID_CLIENT_ID_MAX + 1];
	char sub[SRV_SUBJECT_MAX];
	char sid[SRV_BACKCHANNEL_SID_MAX];  /* "" when the session had none */
	unsigned attempts;                  /* deliveries tried so far */
	long long created;                  /* unix seconds */
};

/*
 * The Logout Token claims (Back-Channel Logout 1.0 section 2.4; pure): iss, aud
 * (client_id), iat = now, exp = now + SRV_BACKCHANNEL_LIFETIME, jti, events
 * {SRV_BACKCHANNEL_EVENT: {}}, sub, and sid when not NULL/empty; never a nonce.
 * *out is the caller's (json_decref). EID_ERR_INVALID_ARGUMENT when a required value is
 * missing or empty, or a value is not UTF-8.
 */
int srv_backchannel_claims(const char *issuer, const char *client_id, const char *sub,
    const char *sid, time_t now, const char *jti, json_t **out) EID_WARN_UNUSED;

/* A job as compact JSON; *out malloc'd (caller frees). EID_ERR_INVALID_ARGUMENT for an
 * empty client_id or sub, a field without its NUL, or a negative created. */
int srv_backchannel_job_encode(const struct srv_backchannel_job *job, char **out) EID_WARN_UNUSED;
/*
 * Parse a job read back from Redis (untrusted): at most SRV_BACKCHANNEL_JOB_MAX bytes,
 * a JSON object without duplicate keys, client_id and sub non-empty strings that fit,
 * sid a string that fits (optional), attempts and created non-negative integers; other
 * members are ignored (a newer node may add some). Strings with a NUL byte are refused.
 * 0 or EID_ERR_FORMAT / EID_ERR_TOO_LARGE; on failure *out is all zero.
 */
int srv_backchannel_job_decode(const char *text, size_t len, struct srv_backchannel_job *out)
    EID_WARN_UNUSED;

/* Seconds to wait after `attempts` failed deliveries (0 -> 0, 1 -> 1, 2 -> 5, 3 -> 30,
 * 4 -> 120), or -1 when it is time to give up (5 and more). */
long srv_backchannel_retry_delay(unsigned attempts);
/* 1 if an HTTP status means the RP took the logout (200, 204), else 0. */
int srv_backchannel_delivered(long http_status);
/* The signing algorithm for a client: "id_token_signed_response_alg" when it names one we
 * sign with, else RS256. */
enum tok_alg srv_backchannel_alg(const json_t *client_metadata);

/*
 * Queue the logouts for a session that is ending (session_data: the session's JSON with
 * "account", "sid" and "clients"; borrowed). One job per listed client that exists, is
 * enabled and has a "backchannel_logout_uri". Redis and store look-ups only: no HTTP.
 * Wakes this process's worker. 0 (also when there is nothing to send), or the first
 * EID_ERR_* met (the other clients are still tried).
 */
int srv_backchannel_enqueue_session(struct srv_app *app, const json_t *session_data)
    EID_WARN_UNUSED;

struct srv_backchannel;

/* Start the worker thread (app borrowed: it must outlive the worker). libcurl is loaded
 * when the first logout token is to be sent (srv_curl.h). One per process:
 * EID_ERR_EXISTS while another runs. */
int srv_backchannel_start(struct srv_app *app, struct srv_backchannel **out) EID_WARN_UNUSED;
/* Stop and join it (about a Redis command timeout at worst); NULLs *bp. NULL is fine. */
void srv_backchannel_stop(struct srv_backchannel **bp);

#endif /* SRV_BACKCHANNEL_H */
