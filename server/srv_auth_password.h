/*
 * srv_auth_password.h - citizen sign-in at level 1: ID number + password (Argon2id) +
 * TOTP code (RFC 6238).
 *
 * The check runs in three steps. Gather: throttle counters from Redis (per submitted ID
 * number, hashed, and per client IP), the citizen record, exactly one Argon2id
 * verification (against a fixed dummy hash when the ID number is unknown, so the time
 * does not tell), the TOTP check and its one-time use (SET NX per account and counter).
 * Decide: srv_auth_decide(), a pure function of those facts. Record: failure counters,
 * a rehash when the configured Argon2id cost changed, and an audit event.
 *
 * Throttling grows in two steps per submitted ID number: from the 2nd consecutive failure
 * on, the next attempt must wait (1 s, then 2 s, 4 s, ... up to login_delay_max seconds;
 * srv_auth_delay), and an attempt made during the wait is refused without counting; at
 * SRV_AUTH_ACCOUNT_MAX_FAILURES the ID number is locked for SRV_AUTH_FAILURE_WINDOW. An
 * unknown ID number goes through the same steps, so the answers tell nothing. Per client
 * IP there is only the lock (many citizens may share one address).
 *
 * The caller learns only OK / FAILED / THROTTLED: never whether the ID number exists,
 * which factor was wrong or that the account is disabled. Redis or database trouble is
 * returned as an error (fail closed: the caller answers 503).
 */
#ifndef SRV_AUTH_PASSWORD_H
#define SRV_AUTH_PASSWORD_H

#include "srv_app.h"

#define SRV_AUTH_ACCOUNT_MAX_FAILURES 5     /* per submitted ID number ... */
#define SRV_AUTH_IP_MAX_FAILURES 20         /* ... and per client IP ... */
#define SRV_AUTH_FAILURE_WINDOW 900         /* ... within 15 minutes; the lock lasts 15 min */
#define SRV_AUTH_TOTP_USED_TTL 90           /* a code is valid for at most 3 steps of 30 s */
#define SRV_AUTH_PASSWORD_MAX 1024          /* bytes; longer is refused like a wrong one */

/* FAILED is 0, so a zeroed result never means success. */
enum srv_auth_outcome { SRV_AUTH_FAILED = 0, SRV_AUTH_OK, SRV_AUTH_THROTTLED };

/* Why a decision came out as it did: for the audit log only, never for the response. */
enum srv_auth_reason {
	SRV_AUTH_R_NONE = 0, SRV_AUTH_R_THROTTLED_IP, SRV_AUTH_R_THROTTLED_ACCOUNT,
	SRV_AUTH_R_MALFORMED, SRV_AUTH_R_UNKNOWN, SRV_AUTH_R_DISABLED, SRV_AUTH_R_PASSWORD,
	SRV_AUTH_R_OTP, SRV_AUTH_R_OTP_REPLAY, SRV_AUTH_R_DELAYED,
};

/* What the gather step found. */
struct srv_auth_facts {
	int ip_locked, account_locked;
	int account_waiting;        /* an attempt inside the wait after recent failures */
	int well_formed;            /* 12-digit ID, password and a 6-digit code present */
	int found, disabled;
	int password_ok;
	int otp_ok;                 /* the code matches a window */
	int otp_fresh;              /* ... and its counter was not used before */
};

struct srv_auth_result {
	enum srv_auth_outcome outcome;
	enum srv_auth_reason reason;
	char account_id[64];        /* set when outcome is SRV_AUTH_OK */
	unsigned retry_after;       /* THROTTLED: seconds until an attempt may count again */
};

/* Pure: the decision from the facts. */
enum srv_auth_outcome srv_auth_decide(const struct srv_auth_facts *f, enum srv_auth_reason *why);
const char *srv_auth_reason_name(enum srv_auth_reason r);
/* Pure: the wait in seconds after `failures` consecutive failures: 0 for fewer than 2,
 * then 1, 2, 4, ... capped at max_delay (0 turns the waits off). */
unsigned srv_auth_delay(long long failures, unsigned max_delay);

/*
 * Check a sign-in attempt. Returns 0 with *out filled, or an EID_ERR_REDIS* / EID_ERR_DB*
 * (the caller answers 503), or another error (500). remote_ip may be "".
 */
int srv_auth_password(struct srv_app *app, const char *citizen_id, const char *password,
    const char *otp, const char *remote_ip, struct srv_auth_result *out) EID_WARN_UNUSED;

#endif /* SRV_AUTH_PASSWORD_H */
