/* srv_auth_password.c - level 1 sign-in: password + TOTP (see srv_auth_password.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cx_util.h"
#include "srv_accounts.h"
#include "srv_auth_password.h"
#include "srv_log.h"
#include "srv_totp.h"

#define SEC_FAIL_ACCOUNT "login-fail-id"
#define SEC_FAIL_IP "login-fail-ip"
#define SEC_TOTP_USED "totp-used"
#define SEC_WAIT_ACCOUNT "login-wait-id"

/*
 * The dummy hash an unknown ID number is checked against, so that both answers cost
 * one Argon2id verification at the configured cost. Made on first use (and again if the
 * configured cost differs, which only tests do) from a random password nobody knows.
 */
static pthread_mutex_t dummy_lock = PTHREAD_MUTEX_INITIALIZER;
static char dummy_hash[crypto_pwhash_STRBYTES];
static unsigned dummy_ops, dummy_mem_kib;

static int
dummy_get(const struct srv_config *cfg, char out[crypto_pwhash_STRBYTES])
{
	char pw[44];
	int r = 0;

	pthread_mutex_lock(&dummy_lock);
	if (dummy_hash[0] == '\0' || dummy_ops != cfg->argon2_opslimit ||
	    dummy_mem_kib != cfg->argon2_memlimit_kib) {
		cx_random_token(pw, sizeof(pw), 32);
		if (crypto_pwhash_str_alg(dummy_hash, pw, strlen(pw), cfg->argon2_opslimit,
		    (size_t)cfg->argon2_memlimit_kib * 1024, crypto_pwhash_ALG_ARGON2ID13) != 0) {
			dummy_hash[0] = '\0';
			r = EID_ERR_NOMEM;
		} else {
			dummy_ops = cfg->argon2_opslimit;
			dummy_mem_kib = cfg->argon2_memlimit_kib;
		}
		cx_wipe(pw, sizeof(pw));
	}
	if (r == 0)
		memcpy(out, dummy_hash, crypto_pwhash_STRBYTES);
	pthread_mutex_unlock(&dummy_lock);
	return r;
}

/*
 * At most one Argon2id computation per CPU at a time: each takes argon2_memlimit_kib of
 * memory and a core for its duration, so more at once would only add memory and make
 * every one slower. Callers beyond that wait here (their HTTP worker waits; the others go
 * on serving).
 */
static pthread_mutex_t argon2_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t argon2_cv = PTHREAD_COND_INITIALIZER;
static unsigned argon2_running, argon2_max;

static void
argon2_enter(void)
{
	pthread_mutex_lock(&argon2_mu);
	if (argon2_max == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		argon2_max = n > 0 && n < 1024 ? (unsigned)n : 2;
	}
	while (argon2_running >= argon2_max)
		pthread_cond_wait(&argon2_cv, &argon2_mu);
	argon2_running++;
	pthread_mutex_unlock(&argon2_mu);
}

static void
argon2_leave(void)
{
	pthread_mutex_lock(&argon2_mu);
	argon2_running--;
	pthread_cond_signal(&argon2_cv);
	pthread_mutex_unlock(&argon2_mu);
}

enum srv_auth_outcome
srv_auth_decide(const struct srv_auth_facts *f, enum srv_auth_reason *why)
{
	enum srv_auth_reason r = SRV_AUTH_R_NONE;

	if (f->ip_locked)
		r = SRV_AUTH_R_THROTTLED_IP;
	else if (f->account_locked)
		r = SRV_AUTH_R_THROTTLED_ACCOUNT;
	else if (f->account_waiting)
		r = SRV_AUTH_R_DELAYED;
	else if (!f->well_formed)
		r = SRV_AUTH_R_MALFORMED;
	else if (!f->found)
		r = SRV_AUTH_R_UNKNOWN;
	else if (!f->password_ok)
		r = SRV_AUTH_R_PASSWORD;
	else if (f->disabled)
		r = SRV_AUTH_R_DISABLED;
	else if (!f->otp_ok)
		r = SRV_AUTH_R_OTP;
	else if (!f->otp_fresh)
		r = SRV_AUTH_R_OTP_REPLAY;
	*why = r;
	if (r == SRV_AUTH_R_THROTTLED_IP || r == SRV_AUTH_R_THROTTLED_ACCOUNT ||
	    r == SRV_AUTH_R_DELAYED)
		return SRV_AUTH_THROTTLED;
	return r == SRV_AUTH_R_NONE ? SRV_AUTH_OK : SRV_AUTH_FAILED;
}

const char *
srv_auth_reason_name(enum srv_auth_reason r)
{
	switch (r) {
	case SRV_AUTH_R_NONE: return "none";
	case SRV_AUTH_R_THROTTLED_IP: return "throttled_ip";
	case SRV_AUTH_R_THROTTLED_ACCOUNT: return "throttled_account";
	case SRV_AUTH_R_MALFORMED: return "malformed";
	case SRV_AUTH_R_UNKNOWN: return "unknown_id";
	case SRV_AUTH_R_DISABLED: return "disabled";
	case SRV_AUTH_R_PASSWORD: return "password";
	case SRV_AUTH_R_OTP: return "otp";
	case SRV_AUTH_R_OTP_REPLAY: return "otp_replay";
	case SRV_AUTH_R_DELAYED: return "delayed";
	}
	return "unknown";
}

unsigned
srv_auth_delay(long long failures, unsigned max_delay)
{
	unsigned d = 1;
	long long i;

	if (failures < 2 || max_delay == 0)
		return 0;
	for (i = 2; i < failures && d < max_delay; i++)
		d *= 2;
	return d < max_delay ? d : max_delay;
}

static int
is_digits(const char *s, size_t n)
{
	size_t i;

	if (s == NULL || strlen(s) != n)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* The failure count under key (0 if absent). */
static int
count_get(struct srv_app *app, const char *key, long long *n)
{
	uint8_t *v = NULL;
	size_t len = 0;
	char *end = NULL;
	int r;

	*n = 0;
	r = srv_redis_get(app->redis, key, &v, &len);
	if (r == EID_ERR_NOT_FOUND)
		return 0;
	if (r != 0)
		return r;
	*n = strtoll((const char *)v, &end, 10);
	if (end == (char *)v || *n < 0)
		*n = 0;
	free(v);
	return 0;
}

/* One more failure (*n: the count now); the lock (count >= max) lasts a full window from
 * the failure that set it. */
static int
count_fail(struct srv_app *app, const char *key, long long max, long long *n)
{
	int r;

	*n = 0;
	if ((r = srv_redis_incr(app->redis, key, SRV_AUTH_FAILURE_WINDOW, n)) != 0)
		return r;
	if (*n >= max && (r = srv_redis_expire(app->redis, key, SRV_AUTH_FAILURE_WINDOW)) != 0 &&
	    r != EID_ERR_NOT_FOUND)
		return r;
	return 0;
}

/* The wait after recent failures: a key that lives as long as the wait. *left_ms is what
 * remains of it (0: none); Redis's clock measures it, to the millisecond. */
static int
wait_get(struct srv_app *app, const char *key, long long *left_ms)
{
	int r = srv_redis_pttl(app->redis, key, left_ms);

	return r == EID_ERR_NOT_FOUND ? 0 : r;
}

static int
wait_set(struct srv_app *app, const char *key, unsigned seconds)
{
	return srv_redis_set(app->redis, key, "1", 1, seconds, 0);
}

static void
audit(struct srv_app *app, const char *account_id, const struct srv_auth_result *res)
{
	struct srv_audit_event e;
	char details[160];
	int r;

	snprintf(details, sizeof(details), "{\"method\":\"pwd+otp\",\"result\":\"%s\",\"reason\":\"%s\"}",
	    res->outcome == SRV_AUTH_OK ? "ok" : res->outcome == SRV_AUTH_THROTTLED ? "throttled" : "failed",
	    srv_auth_reason_name(res->reason));
	memset(&e, 0, sizeof(e));
	e.at = (int64_t)app->now();
	e.actor = (char *)(account_id != NULL ? account_id : "anonymous");
	e.action = "login.password";
	e.subject = (char *)(account_id != NULL ? account_id : "");
	e.outcome = (char *)(res->outcome == SRV_AUTH_OK ? "success" : "failure");
	e.details = details;
	if ((r = srv_store_audit_append(app->store, &e)) != 0)
		log_warn("audit_append_failed", LS("action", "login.password"), LS("reason", eid_strerror(r)));
}

/* Upgrade the stored hash to the configured cost after a successful check. */
static void
maybe_rehash(struct srv_app *app, const struct srv_citizen *c, const char *password)
{
	const struct srv_config *cfg = app->cfg;
	char *h = NULL;
	int r;

	if (crypto_pwhash_str_needs_rehash(c->password_hash, cfg->argon2_opslimit,
	    (size_t)cfg->argon2_memlimit_kib * 1024) == 0)
		return;
	argon2_enter();
	r = srv_password_hash(cfg, password, &h);
	argon2_leave();
	if (r == 0)
		r = srv_store_citizen_set_password(app->store, c->id, h);
	if (r != 0)
		log_warn("password_rehash_failed", LS("reason", eid_strerror(r)));
	else
		log_info("password_rehashed", LS("account", c->account_id));
	cx_free_str(h);
}

int
srv_auth_password(struct srv_app *app, const char *citizen_id, const char *password,
    const char *otp, const char *remote_ip, struct srv_auth_result *out)
{
	struct srv_auth_facts f;
	struct srv_citizen *c = NULL;
	char kacct[SRV_REDIS_KEY_MAX], kip[SRV_REDIS_KEY_MAX], kused[SRV_REDIS_KEY_MAX];
	char kwait[SRV_REDIS_KEY_MAX];
	char dummy[crypto_pwhash_STRBYTES], used_id[96];
	uint8_t secret[SRV_TOTP_SECRET_BYTES];
	const char *hash;
	long long nacct = 0, nip = 0, wait_ms = 0;
	unsigned delay;
	uint64_t counter = 0;
	int r;

	memset(out, 0, sizeof(*out));
	memset(&f, 0, sizeof(f));
	if (remote_ip == NULL)
		remote_ip = "";
	f.well_formed = is_digits(citizen_id, 12) && password != NULL && password[0] != '\0' &&
	    strlen(password) <= SRV_AUTH_PASSWORD_MAX && is_digits(otp, SRV_TOTP_DIGITS);

	/* throttling first: a locked IP or ID number costs no Argon2id work */
	srv_redis_key(app->redis, SEC_FAIL_ACCOUNT, citizen_id != NULL ? citizen_id : "",
	    citizen_id != NULL ? strlen(citizen_id) : 0, kacct);
	srv_redis_key(app->redis, SEC_WAIT_ACCOUNT, citizen_id != NULL ? citizen_id : "",
	    citizen_id != NULL ? strlen(citizen_id) : 0, kwait);
	srv_redis_key(app->redis, SEC_FAIL_IP, remote_ip, strlen(remote_ip), kip);
	if ((r = count_get(app, kip, &nip)) != 0 || (r = count_get(app, kacct, &nacct)) != 0)
		goto out;
	f.ip_locked = nip >= SRV_AUTH_IP_MAX_FAILURES;
	f.account_locked = nacct >= SRV_AUTH_ACCOUNT_MAX_FAILURES;
	if (!f.ip_locked && !f.account_locked && nacct >= 2 && app->cfg->login_delay_max > 0) {
		if ((r = wait_get(app, kwait, &wait_ms)) != 0)
			goto out;
		f.account_waiting = wait_ms > 0;
	}
	if (f.ip_locked || f.account_locked || f.account_waiting) {
		/* Retry-After in whole seconds, rounded up: never too early */
		out->retry_after = f.account_waiting ? (unsigned)((wait_ms + 999) / 1000) :
		    SRV_AUTH_FAILURE_WINDOW;
		goto decide;
	}

	if (f.well_formed) {
		r = srv_store_citizen_get(app->store, citizen_id, &c);
		if (r != 0 && r != EID_ERR_NOT_FOUND)
			goto out;
		/* the store also finds account ids; only the 12-digit number counts here */
		if (c != NULL && (c->citizen_id == NULL || strcmp(c->citizen_id, citizen_id) != 0))
			srv_citizen_free(&c);
	}
	f.found = c != NULL;
	f.disabled = c != NULL && c->disabled;

	/* exactly one Argon2id verification on every path past the throttle */
	if ((r = dummy_get(app->cfg, dummy)) != 0)
		goto out;
	hash = c != NULL && c->password_hash != NULL ? c->password_hash : dummy;
	argon2_enter();
	f.password_ok = crypto_pwhash_str_verify(hash, password != NULL ? password : "",
	    password != NULL ? strlen(password) : 0) == 0 && f.found && f.well_formed;
	argon2_leave();

	if (f.password_ok && !f.disabled) {
		if ((r = srv_totp_secret_open(app->secret, c->totp_secret_enc, c->totp_secret_enc_len,
		    secret)) != 0)
			goto out;
		f.otp_ok = srv_totp_verify(secret, sizeof(secret), otp, (int64_t)app->now(),
		    &counter) == 0;
		if (f.otp_ok) {
			/* one-time: the first to store (account, counter) wins */
			snprintf(used_id, sizeof(used_id), "%s:%llu", c->account_id,
			    (unsigned long long)counter);
			srv_redis_key(app->redis, SEC_TOTP_USED, used_id, strlen(used_id), kused);
			r = srv_redis_set(app->redis, kused, "1", 1, SRV_AUTH_TOTP_USED_TTL, 1);
			if (r != 0 && r != EID_ERR_EXISTS)
				goto out;
			f.otp_fresh = r == 0;
			r = 0;
		}
	}

decide:
	out->outcome = srv_auth_decide(&f, &out->reason);
	if (out->outcome == SRV_AUTH_FAILED) {
		if ((r = count_fail(app, kacct, SRV_AUTH_ACCOUNT_MAX_FAILURES, &nacct)) != 0 ||
		    (r = count_fail(app, kip, SRV_AUTH_IP_MAX_FAILURES, &nip)) != 0)
			goto out;
		delay = srv_auth_delay(nacct, app->cfg->login_delay_max);
		if (nacct < SRV_AUTH_ACCOUNT_MAX_FAILURES && delay > 0 &&
		    (r = wait_set(app, kwait, delay)) != 0)
			goto out;
	} else if (out->outcome == SRV_AUTH_OK) {
		snprintf(out->account_id, sizeof(out->account_id), "%s", c->account_id);
		if ((r = srv_redis_del(app->redis, kacct)) != 0)
			goto out;
		maybe_rehash(app, c, password);
	}
	audit(app, f.found ? c->account_id : NULL, out);
	r = 0;
out:
	if (r != 0)
		memset(out, 0, sizeof(*out));
	cx_wipe(secret, sizeof(secret));
	cx_wipe(dummy, sizeof(dummy));
	srv_citizen_free(&c);
	return r;
}
