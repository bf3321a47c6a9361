/*
 * srv_handle_passkey.c - passkey registration and sign-in endpoints (see
 * srv_handle_passkey.h). The cryptographic checks are srv_webauthn's; this file issues
 * and takes back challenges, looks credentials up, applies the counter and cloning
 * rules, throttles failed sign-ins, asks for a recent sign-in before a passkey is added,
 * applies the attestation policy, decides the assurance level, starts the session and
 * audits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cx_util.h"
#include "srv_handle_passkey.h"
#include "srv_log.h"
#include "srv_pages.h"
#include "srv_signin.h"
#include "srv_web.h"
#include "srv_webauthn.h"

#define CHALLENGE_B64_LEN CX_B64URL_LEN(SRV_WEBAUTHN_CHALLENGE_LEN)
#define ACR_L1 "urn:eid:level:1"
#define ACR_L2 "urn:eid:level:2"
#define MAX_PASSKEYS 20                 /* per account */
#define SEC_FAIL_IP "pk-fail-ip"        /* Redis sections of the sign-in failure counts */
#define SEC_FAIL_CRED "pk-fail-cred"

/* The relying party: the issuer's origin and host. */
struct rp {
	char origin[256];
	char id[256];
};

static int
rp_of(const struct srv_app *app, struct rp *rp)
{
	return srv_webauthn_origin_from_url(app->cfg->issuer, rp->origin, sizeof(rp->origin),
	    rp->id, sizeof(rp->id));
}

void
srv_passkey_user_handle(const struct srv_app *app, const char *account_id,
    uint8_t out[SRV_PASSKEY_USER_HANDLE_LEN])
{
	static const char domain[] = "eid webauthn user handle";
	crypto_generichash_state st;
	uint8_t key[32];

	/* the Redis key-hashing key with a purpose label of its own */
	srv_secret_derive(app->secret, SRV_SUBKEY_REDIS_KEYS, key);
	crypto_generichash_init(&st, key, sizeof(key), SRV_PASSKEY_USER_HANDLE_LEN);
	crypto_generichash_update(&st, (const unsigned char *)domain, sizeof(domain));
	crypto_generichash_update(&st, (const unsigned char *)account_id, strlen(account_id));
	crypto_generichash_final(&st, out, SRV_PASSKEY_USER_HANDLE_LEN);
	cx_wipe(key, sizeof(key));
	cx_wipe(&st, sizeof(st));
}

int
srv_passkey_auth_fresh(long long auth_time, long long now, unsigned max_age)
{
	return auth_time > 0 && now >= auth_time && now - auth_time <= (long long)max_age;
}

int
srv_passkey_session_fresh(const struct srv_app *app, const struct srv_session *s)
{
	json_t *t = json_object_get(s->data, "auth_time");

	if (!json_is_integer(t))
		return 0;
	return srv_passkey_auth_fresh((long long)json_integer_value(t), (long long)app->now(),
	    app->cfg->passkey_register_max_age);
}

const char *
srv_passkey_reauth_link(enum srv_lang lang)
{
	return lang == SRV_LANG_EN ? "/login?return_to=%2Faccount&ui_locales=en" :
	    "/login?return_to=%2Faccount&ui_locales=vi";
}

size_t
srv_passkey_assurance(int account_level, int uv, const char **acr, const char *amr[2])
{
	amr[0] = "hwk";
	amr[1] = "user";
	*acr = account_level >= 2 && uv ? ACR_L2 : ACR_L1;
	return uv ? 2 : 1;
}

/* ---- responses and audit ---- */

static int
reply(struct srv_resp *resp, unsigned status, json_t *body)
{
	int r;

	if (body == NULL)
		return EID_ERR_NOMEM;
	r = srv_resp_json(resp, status, body);
	json_decref(body);
	return r;
}

static int
refuse(struct srv_resp *resp, unsigned status, const char *error)
{
	return reply(resp, status, json_pack("{s:s}", "error", error));
}

/* The JSON text of details (taken; NULL gives NULL), for audit_event(). */
static char *
audit_details(json_t *details)
{
	char *text = details != NULL ? json_dumps(details, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	json_decref(details);
	return text;
}

/* The audit event of an account's action; its strings are borrowed (details NULL: {}). */
static void
audit_event(struct srv_app *app, const char *account, const char *action, const char *outcome,
    const char *details, struct srv_audit_event *e)
{
	memset(e, 0, sizeof(*e));
	e->at = (int64_t)app->now();
	e->actor = (char *)(account != NULL ? account : "anonymous");
	e->action = (char *)action;
	e->subject = (char *)(account != NULL ? account : "");
	e->outcome = (char *)outcome;
	e->details = (char *)(details != NULL ? details : "{}");
}

static void
audit(struct srv_app *app, const char *account, const char *action, const char *outcome,
    json_t *details)
{
	struct srv_audit_event e;
	char *text = audit_details(details);
	int r;

	audit_event(app, account, action, outcome, text, &e);
	if ((r = srv_store_audit_append(app->store, &e)) != 0)
		log_warn("audit_append_failed", LS("action", action), LS("reason", eid_strerror(r)));
	free(text);
}

/* ---- challenges ---- */

static void
challenge_key(struct srv_app *app, const uint8_t *c, char key[SRV_REDIS_KEY_MAX])
{
	srv_redis_key(app->redis, "wachal", c, SRV_WEBAUTHN_CHALLENGE_LEN, key);
}

/* A new challenge for purpose ("create"/"get"), bound to account when not NULL. */
static int
challenge_issue(struct srv_app *app, const char *purpose, const char *account,
    char b64[CHALLENGE_B64_LEN])
{
	uint8_t c[SRV_WEBAUTHN_CHALLENGE_LEN];
	char key[SRV_REDIS_KEY_MAX], *text = NULL;
	json_t *o;
	int r;

	srv_webauthn_challenge_new(c);
	challenge_key(app, c, key);
	o = account != NULL ? json_pack("{s:s,s:s}", "p", purpose, "account", account) :
	    json_pack("{s:s}", "p", purpose);
	if (o == NULL || (text = json_dumps(o, JSON_COMPACT)) == NULL)
		r = EID_ERR_NOMEM;
	else
		r = srv_redis_set(app->redis, key, text, strlen(text), SRV_PASSKEY_CHALLENGE_TTL, 1);
	if (r == 0)
		r = cx_b64url_encode(b64, CHALLENGE_B64_LEN, c, sizeof(c));
	free(text);
	json_decref(o);
	cx_wipe(c, sizeof(c));
	return r;
}

/*
 * Take the challenge the form names (once, whatever follows). 0: out holds its bytes and
 * it was issued for purpose (and account, when given). EID_ERR_NOT_FOUND: unknown, used,
 * expired or issued for something else.
 */
static int
challenge_take(struct srv_app *app, const struct srv_req *req, const char *purpose,
    const char *account, uint8_t out[SRV_WEBAUTHN_CHALLENGE_LEN])
{
	const char *b64 = srv_kvlist_get(&req->form, "challenge", NULL);
	char key[SRV_REDIS_KEY_MAX];
	uint8_t *val = NULL;
	size_t n = 0, len = 0;
	json_t *o = NULL;
	const char *p, *a;
	int r;

	if (b64 == NULL || cx_b64url_decode(out, SRV_WEBAUTHN_CHALLENGE_LEN, &n, b64,
	    strlen(b64)) != 0 || n != SRV_WEBAUTHN_CHALLENGE_LEN)
		return EID_ERR_NOT_FOUND;
	challenge_key(app, out, key);
	if ((r = srv_redis_take(app->redis, key, &val, &len)) != 0)
		return r;
	o = json_loadb((const char *)val, len, JSON_REJECT_DUPLICATES, NULL);
	free(val);
	p = json_string_value(json_object_get(o, "p"));
	a = json_string_value(json_object_get(o, "account"));
	r = 0;
	if (p == NULL || strcmp(p, purpose) != 0)
		r = EID_ERR_NOT_FOUND;
	else if (account != NULL && (a == NULL || strcmp(a, account) != 0))
		r = EID_ERR_NOT_FOUND;
	json_decref(o);
	return r;
}

/* ---- sign-in throttling ---- */

/* The Redis keys of one attempt's failure counts: its client IP and, when the request
 * named one, its credential id. */
struct throttle {
	char kip[SRV_REDIS_KEY_MAX];
	char kcred[SRV_REDIS_KEY_MAX];
	int have_cred;
};

static void
throttle_init(struct srv_app *app, const struct srv_req *req, const uint8_t *cid,
    size_t cidlen, struct throttle *t)
{
	srv_redis_key(app->redis, SEC_FAIL_IP, req->remote_ip, strlen(req->remote_ip), t->kip);
	t->have_cred = cid != NULL && cidlen > 0;
	if (t->have_cred)
		srv_redis_key(app->redis, SEC_FAIL_CRED, cid, cidlen, t->kcred);
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
	if ((r = srv_redis_get(app->redis, key, &v, &len)) == EID_ERR_NOT_FOUND)
		return 0;
	if (r != 0)
		return r;
	*n = strtoll((const char *)v, &end, 10);
	if (end == (char *)v || *n < 0)
		*n = 0;
	free(v);
	return 0;
}

/* *why: NULL when the attempt may go on, else which lock holds (for the audit only). */
static int
throttle_check(struct srv_app *app, const struct throttle *t, const char **why)
{
	long long nip = 0, ncred = 0;
	int r;

	*why = NULL;
	if ((r = count_get(app, t->kip, &nip)) != 0 ||
	    (t->have_cred && (r = count_get(app, t->kcred, &ncred)) != 0))
		return r;
	if (nip >= SRV_PASSKEY_IP_MAX_FAILURES)
		*why = "throttled_ip";
	else if (ncred >= SRV_PASSKEY_CRED_MAX_FAILURES)
		*why = "throttled_credential";
	return 0;
}

/* One more failure under key; the lock (count >= max) lasts a full window from the
 * failure that set it. */
static int
count_fail(struct srv_app *app, const char *key, long long max)
{
	long long n = 0;
	int r;

	if ((r = srv_redis_incr(app->redis, key, SRV_PASSKEY_FAILURE_WINDOW, &n)) != 0)
		return r;
	if (n >= max && (r = srv_redis_expire(app->redis, key, SRV_PASSKEY_FAILURE_WINDOW)) != 0 &&
	    r != EID_ERR_NOT_FOUND)
		return r;
	return 0;
}

static int
throttle_fail(struct srv_app *app, const struct throttle *t)
{
	int r;

	if ((r = count_fail(app, t->kip, SRV_PASSKEY_IP_MAX_FAILURES)) != 0)
		return r;
	return t->have_cred ? count_fail(app, t->kcred, SRV_PASSKEY_CRED_MAX_FAILURES) : 0;
}

/* A base64url form field decoded into a fresh buffer of at most max bytes. */
static int
form_b64(const struct srv_req *req, const char *name, size_t max, uint8_t **out, size_t *len)
{
	const char *v = srv_kvlist_get(&req->form, name, NULL);

	*out = NULL;
	*len = 0;
	if (v == NULL || v[0] == '\0')
		return EID_ERR_NOT_FOUND;
	return cx_b64url_decode_alloc(out, len, v, strlen(v), max);
}

/*
 * The first checks of a registration step: the CSRF token and a signed-in session.
 * 0 with *account set: *s is loaded (the caller clears it) and *account is its account
 * (srv_signin_current checked it is there). 0 with *account NULL: refused, resp holds the
 * answer. An error: nothing loaded.
 */
static int
registration_session(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp,
    struct srv_session *s, const char **account)
{
	int r;

	*account = NULL;
	if (!srv_web_csrf_ok(app, req))
		return refuse(resp, 403, "csrf");
	if ((r = srv_signin_current(app, req, s)) == EID_ERR_NOT_FOUND)
		return refuse(resp, 401, "not_signed_in");
	if (r != 0)
		return r;
	*account = json_string_value(json_object_get(s->data, "account"));
	return 0;
}

/* A failed registration, audited with why. */
static void
registration_failed(struct srv_app *app, const char *account, const char *why)
{
	audit(app, account, "passkey.register", "failure", json_pack("{s:s}", "reason", why));
}

/* What srv_webauthn checks a response against: this relying party and challenge. */
static void
webauthn_params(struct srv_webauthn_params *p, const struct rp *rp, const uint8_t *challenge)
{
	memset(p, 0, sizeof(*p));
	p->rp_id = rp->id;
	p->origin = rp->origin;
	p->challenge = challenge;
}

/* ---- registration ---- */

int
srv_handle_passkey_register_options(struct srv_app *app, const struct srv_req *req,
    struct srv_resp *resp)
{
	enum srv_lang lang = srv_pages_lang(req);
	struct srv_session s;
	struct srv_citizen *c = NULL;
	struct srv_passkey **keys = NULL;
	size_t nkeys = 0, i;
	uint8_t uh[SRV_PASSKEY_USER_HANDLE_LEN];
	char chal[CHALLENGE_B64_LEN], uh64[CX_B64URL_LEN(SRV_PASSKEY_USER_HANDLE_LEN)];
	struct rp rp;
	json_t *exclude = NULL, *o;
	const char *account;
	int r;

	if ((r = registration_session(app, req, resp, &s, &account)) != 0 || account == NULL)
		return r;
	if (!srv_passkey_session_fresh(app, &s)) {
		/* adding a way in needs a recent proof of who is at the keyboard */
		log_info("passkey_register_reauth", LS("account", account));
		r = reply(resp, 403, json_pack("{s:s,s:i,s:s}", "error", "reauth_required",
		    "max_age", (int)app->cfg->passkey_register_max_age,
		    "login", srv_passkey_reauth_link(lang)));
		goto out;
	}
	if ((r = rp_of(app, &rp)) != 0)
		goto out;
	if ((r = srv_store_citizen_get(app->store, account, &c)) == EID_ERR_NOT_FOUND) {
		r = refuse(resp, 401, "not_signed_in");
		goto out;
	}
	if (r != 0 || (r = srv_store_passkey_list(app->store, account, &keys, &nkeys)) != 0)
		goto out;
	if (nkeys >= MAX_PASSKEYS) {
		r = refuse(resp, 409, "too_many_passkeys");
		goto out;
	}
	/* the authenticator must not make a second passkey where it holds one already */
	if ((exclude = json_array()) == NULL) {
		r = EID_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < nkeys; i++) {
		char *id64 = malloc(CX_B64URL_LEN(keys[i]->credential_id_len));

		if (id64 == NULL || cx_b64url_encode(id64, CX_B64URL_LEN(keys[i]->credential_id_len),
		    keys[i]->credential_id, keys[i]->credential_id_len) != 0 ||
		    json_array_append_new(exclude, json_pack("{s:s,s:s}", "type", "public-key",
		    "id", id64)) != 0) {
			free(id64);
			r = EID_ERR_NOMEM;
			goto out;
		}
		free(id64);
	}
	srv_passkey_user_handle(app, account, uh);
	if ((r = cx_b64url_encode(uh64, sizeof(uh64), uh, sizeof(uh))) != 0 ||
	    (r = challenge_issue(app, "create", account, chal)) != 0)
		goto out;
	o = json_pack("{s:s,s:{s:s,s:s},s:{s:s,s:s,s:s},s:[{s:s,s:i},{s:s,s:i},{s:s,s:i}],"
	    "s:i,s:s,s:{s:s,s:b,s:s},s:O}",
	    "challenge", chal,
	    "rp", "id", rp.id, "name", srv_str(lang, S_SITE_NAME),
	    "user", "id", uh64, "name", c->citizen_id, "displayName", c->name,
	    "pubKeyCredParams", "type", "public-key", "alg", SRV_WEBAUTHN_ALG_ES256,
	    "type", "public-key", "alg", SRV_WEBAUTHN_ALG_EDDSA,
	    "type", "public-key", "alg", SRV_WEBAUTHN_ALG_RS256,
	    "timeout", SRV_PASSKEY_CHALLENGE_TTL * 1000,
	    "attestation", app->cfg->webauthn_attestation == SRV_ATTESTATION_NONE ? "none" : "direct",
	    "authenticatorSelection", "residentKey", "required", "requireResidentKey", 1,
	    "userVerification", "preferred",
	    "excludeCredentials", exclude);
	r = reply(resp, 200, o);
out:
	json_decref(exclude);
	srv_passkey_list_free(keys, nkeys);
	srv_citizen_free(&c);
	srv_session_clear(&s);
	return r;
}

static const char *
attestation_name(enum srv_webauthn_attestation a)
{
	switch (a) {
	case SRV_WEBAUTHN_ATT_SELF: return "self";
	case SRV_WEBAUTHN_ATT_UNVERIFIED: return "unverified";
	case SRV_WEBAUTHN_ATT_TRUSTED: return "trusted";
	case SRV_WEBAUTHN_ATT_NONE:
	default: return "none";
	}
}

/* The citizen's label for a passkey: no control characters, at most
 * SRV_PASSKEY_NAME_MAX bytes, not ending in a cut UTF-8 sequence; a default if empty. */
static void
passkey_name(const char *in, enum srv_lang lang, size_t existing, char *out, size_t outsz)
{
	size_t i, n = 0;
	int cut = 0;

	for (i = 0; in != NULL && in[i] != '\0'; i++) {
		if ((unsigned char)in[i] < 0x20 || in[i] == 0x7f)
			continue;
		if (n >= SRV_PASSKEY_NAME_MAX || n + 1 >= outsz) {
			cut = 1;
			break;
		}
		out[n++] = in[i];
	}
	if (cut) {
		while (n > 0 && ((unsigned char)out[n - 1] & 0xc0) == 0x80)
			n--;
		if (n > 0 && ((unsigned char)out[n - 1] & 0xc0) == 0xc0)
			n--;
	}
	out[n] = '\0';
	if (n == 0)
		snprintf(out, outsz, "%s %zu", srv_str(lang, S_PASSKEY_DEFAULT_NAME), existing + 1);
}

int
srv_handle_passkey_register(struct srv_app *app, const struct srv_req *req,
    struct srv_resp *resp)
{
	struct srv_webauthn_credential *cred = NULL;
	struct srv_webauthn_params p;
	struct srv_passkey pk, **keys = NULL;
	struct srv_session s;
	uint8_t chal[SRV_WEBAUTHN_CHALLENGE_LEN], *cd = NULL, *ao = NULL;
	size_t cdlen = 0, aolen = 0, nkeys = 0;
	char name[SRV_PASSKEY_NAME_MAX + 32];
	const char *account, *why = "invalid request";
	int64_t id = 0;
	struct rp rp;
	int r;

	if ((r = registration_session(app, req, resp, &s, &account)) != 0 || account == NULL)
		return r;
	if ((r = rp_of(app, &rp)) != 0)
		goto out;
	if ((r = challenge_take(app, req, "create", account, chal)) == EID_ERR_NOT_FOUND) {
		registration_failed(app, account, "challenge unknown, used or expired");
		r = refuse(resp, 400, "challenge");
		goto out;
	}
	if (r != 0)
		goto out;
	if (form_b64(req, "client_data_json", SRV_WEBAUTHN_MAX_CLIENT_DATA, &cd, &cdlen) != 0 ||
	    form_b64(req, "attestation_object", SRV_WEBAUTHN_MAX_ATTESTATION, &ao, &aolen) != 0) {
		registration_failed(app, account, "malformed request");
		r = refuse(resp, 400, "invalid_request");
		goto out;
	}
	if ((cred = malloc(sizeof(*cred))) == NULL) {
		r = EID_ERR_NOMEM;
		goto out;
	}
	webauthn_params(&p, &rp, chal);
	p.require_attestation = app->cfg->webauthn_attestation == SRV_ATTESTATION_REQUIRED;
	p.attestation_roots = app->cfg->webauthn_roots;
	if ((r = srv_webauthn_verify_registration(&p, cd, cdlen, ao, aolen, cred, &why)) != 0) {
		log_info("passkey_register_refused", LS("reason", why));
		registration_failed(app, account, why);
		if (r != EID_ERR_NOMEM && r != EID_ERR_INTERNAL)
			r = refuse(resp, 400, r == EID_ERR_TRUST ? "attestation" : "refused");
		goto out;
	}
	if ((r = srv_store_passkey_list(app->store, account, &keys, &nkeys)) != 0)
		goto out;
	passkey_name(srv_kvlist_get(&req->form, "name", NULL), srv_pages_lang(req), nkeys,
	    name, sizeof(name));
	memset(&pk, 0, sizeof(pk));
	pk.account_id = (char *)account;
	pk.credential_id = cred->cred_id;
	pk.credential_id_len = cred->cred_id_len;
	pk.public_key = cred->cose_key;
	pk.public_key_len = cred->cose_key_len;
	pk.alg = cred->alg;
	pk.sign_count = cred->sign_count;
	pk.be = cred->be;
	pk.uv = cred->uv;
	pk.name = name;
	pk.attestation = (char *)attestation_name(cred->attestation);
	pk.created_at = (int64_t)app->now();
	r = srv_store_passkey_add(app->store, &pk, &id);
	if (r == EID_ERR_EXISTS) {
		registration_failed(app, account, "credential already registered");
		r = refuse(resp, 409, "exists");
		goto out;
	}
	if (r != 0)
		goto out;
	log_info("passkey_registered", LS("account", account));
	audit(app, account, "passkey.register", "success", json_pack("{s:I,s:i,s:b,s:s}",
	    "passkey", (json_int_t)id, "alg", cred->alg, "uv", cred->uv,
	    "attestation", pk.attestation));
	r = reply(resp, 200, json_pack("{s:b,s:I}", "ok", 1, "id", (json_int_t)id));
out:
	srv_passkey_list_free(keys, nkeys);
	free(cred);
	free(cd);
	free(ao);
	cx_wipe(chal, sizeof(chal));
	srv_session_clear(&s);
	return r;
}

/* ---- sign-in ---- */

int
srv_handle_passkey_login_options(struct srv_app *app, const struct srv_req *req,
    struct srv_resp *resp)
{
	char chal[CHALLENGE_B64_LEN];
	struct rp rp;
	int r;

	if (!srv_web_csrf_ok(app, req))
		return refuse(resp, 403, "csrf");
	if ((r = rp_of(app, &rp)) != 0 || (r = challenge_issue(app, "get", NULL, chal)) != 0)
		return r;
	return reply(resp, 200, json_pack("{s:s,s:s,s:i,s:s,s:[]}", "challenge", chal,
	    "rpId", rp.id, "timeout", SRV_PASSKEY_CHALLENGE_TTL * 1000,
	    "userVerification", "preferred", "allowCredentials"));
}

/* A refused sign-in: counted, logged, audited, and one answer for every reason. */
static int
login_refused(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp,
    const struct throttle *t, const char *account, const char *why)
{
	int r;

	log_info("passkey_login_failed", LS("reason", why), LS("remote", req->remote_ip));
	audit(app, account, "login.passkey", "failure",
	    json_pack("{s:s,s:s,s:s}", "method", "hwk", "result", "failed", "reason", why));
	/* counted after the audit, so a Redis outage (503) still leaves the failure on record */
	if ((r = throttle_fail(app, t)) != 0)
		return r;
	return refuse(resp, 401, "refused");
}

/* A throttled attempt: nothing was checked, nothing counts; audited; 429. */
static int
login_throttled(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp,
    const char *why)
{
	char ra[16];
	int r;

	log_info("passkey_login_throttled", LS("reason", why), LS("remote", req->remote_ip));
	audit(app, NULL, "login.passkey", "failure",
	    json_pack("{s:s,s:s,s:s}", "method", "hwk", "result", "throttled", "reason", why));
	snprintf(ra, sizeof(ra), "%d", SRV_PASSKEY_FAILURE_WINDOW);
	if ((r = refuse(resp, 429, "throttled")) != 0)
		return r;
	return srv_resp_header(resp, "Retry-After", ra);
}

int
srv_handle_passkey_login(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp)
{
	struct srv_webauthn_params p;
	struct srv_webauthn_stored st;
	struct srv_webauthn_assertion a;
	struct srv_webauthn_assertion_result res;
	struct srv_audit_event e;
	struct srv_passkey *pk = NULL;
	struct srv_citizen *c = NULL;
	char *text = NULL;
	uint8_t chal[SRV_WEBAUTHN_CHALLENGE_LEN], uh[SRV_PASSKEY_USER_HANDLE_LEN];
	uint8_t *cid = NULL, *cd = NULL, *ad = NULL, *sig = NULL, *auh = NULL;
	size_t cidlen = 0, cdlen = 0, adlen = 0, siglen = 0, auhlen = 0, n_amr;
	const char *return_to = srv_signin_safe_return_to(srv_kvlist_get(&req->form,
	    "return_to", NULL));
	const char *why = "invalid request", *acr, *amr[2], *locked = NULL;
	struct throttle t;
	struct rp rp;
	int r, rc, rcid;

	if (!srv_web_csrf_ok(app, req))
		return refuse(resp, 403, "csrf");
	if ((r = rp_of(app, &rp)) != 0)
		return r;
	/* the challenge is taken whatever follows (even when the attempt is throttled) */
	if ((rc = challenge_take(app, req, "get", NULL, chal)) != 0 && rc != EID_ERR_NOT_FOUND) {
		r = rc;
		goto out;
	}
	rcid = form_b64(req, "credential_id", SRV_WEBAUTHN_MAX_CRED_ID, &cid, &cidlen);
	throttle_init(app, req, rcid == 0 ? cid : NULL, cidlen, &t);
	if ((r = throttle_check(app, &t, &locked)) != 0)
		goto out;
	if (locked != NULL) {
		r = login_throttled(app, req, resp, locked);
		goto out;
	}
	if (rc == EID_ERR_NOT_FOUND) {
		r = login_refused(app, req, resp, &t, NULL, "challenge unknown, used or expired");
		goto out;
	}
	if (rcid != 0 ||
	    form_b64(req, "client_data_json", SRV_WEBAUTHN_MAX_CLIENT_DATA, &cd, &cdlen) != 0 ||
	    form_b64(req, "authenticator_data", SRV_WEBAUTHN_MAX_AUTHDATA, &ad, &adlen) != 0 ||
	    form_b64(req, "signature", SRV_WEBAUTHN_MAX_SIGNATURE, &sig, &siglen) != 0 ||
	    ((r = form_b64(req, "user_handle", SRV_WEBAUTHN_MAX_USER_HANDLE, &auh, &auhlen)) != 0 &&
	    r != EID_ERR_NOT_FOUND)) {
		r = login_refused(app, req, resp, &t, NULL, "malformed request");
		goto out;
	}
	if ((r = srv_store_passkey_get(app->store, cid, cidlen, &pk)) == EID_ERR_NOT_FOUND) {
		r = login_refused(app, req, resp, &t, NULL, "unknown credential");
		goto out;
	}
	if (r != 0)
		goto out;
	if (pk->cloned) {
		r = login_refused(app, req, resp, &t, pk->account_id, "credential marked as cloned");
		goto out;
	}
	if ((r = srv_store_citizen_get(app->store, pk->account_id, &c)) == EID_ERR_NOT_FOUND ||
	    (r == 0 && c->disabled)) {
		r = login_refused(app, req, resp, &t, pk->account_id, "account disabled or gone");
		goto out;
	}
	if (r != 0)
		goto out;

	srv_passkey_user_handle(app, pk->account_id, uh);
	memset(&st, 0, sizeof(st));
	st.cred_id = pk->credential_id;
	st.cred_id_len = pk->credential_id_len;
	st.cose_key = pk->public_key;
	st.cose_key_len = pk->public_key_len;
	st.alg = pk->alg;
	st.sign_count = pk->sign_count;
	st.be = pk->be;
	st.user_handle = uh;
	st.user_handle_len = sizeof(uh);
	memset(&a, 0, sizeof(a));
	a.cred_id = cid;
	a.cred_id_len = cidlen;
	a.client_data_json = cd;
	a.client_data_len = cdlen;
	a.authenticator_data = ad;
	a.authenticator_data_len = adlen;
	a.signature = sig;
	a.signature_len = siglen;
	a.user_handle = auh;
	a.user_handle_len = auhlen;
	webauthn_params(&p, &rp, chal);
	r = srv_webauthn_verify_assertion(&p, &st, &a, &res, &why);
	if (r == EID_ERR_REPLAY) {
		/* the signature was good but the counter did not move on: a copy of the key */
		int r2 = srv_store_passkey_mark_cloned(app->store, pk->id);

		log_warn("passkey_cloned", LS("account", pk->account_id), LS("reason", why));
		audit(app, pk->account_id, "passkey.cloned", r2 == 0 ? "success" : "failure",
		    json_pack("{s:I,s:s}", "passkey", (json_int_t)pk->id, "reason", why));
	}
	if (r == EID_ERR_NOMEM || r == EID_ERR_INTERNAL)
		goto out;
	if (r != 0) {
		r = login_refused(app, req, resp, &t, pk->account_id, why);
		goto out;
	}
	/* compare-and-set: of two sign-ins racing on one counter value only one wins; the
	   winner's audit event is committed with its counter (one transaction, one fsync) */
	n_amr = srv_passkey_assurance(c->level, res.uv, &acr, amr);
	text = audit_details(json_pack("{s:s,s:s,s:s,s:b,s:I}", "method", "hwk", "result", "ok",
	    "acr", acr, "uv", res.uv, "passkey", (json_int_t)pk->id));
	audit_event(app, pk->account_id, "login.passkey", "success", text, &e);
	r = srv_store_passkey_use(app->store, pk->id, pk->sign_count, res.sign_count,
	    (int64_t)app->now(), &e);
	if (r == EID_ERR_NOT_FOUND) {
		r = login_refused(app, req, resp, &t, pk->account_id, "counter changed concurrently");
		goto out;
	}
	if (r != 0)
		goto out;
	if (t.have_cred && (r = srv_redis_del(app->redis, t.kcred)) != 0)
		goto out;
	if ((r = srv_signin_start(app, req, resp, pk->account_id, acr, amr, n_amr)) != 0)
		goto out;
	log_info("login_ok", LS("account", pk->account_id), LS("acr", acr), LS("method", "passkey"));
	r = reply(resp, 200, json_pack("{s:s}", "redirect", return_to));
out:
	free(text);
	srv_passkey_free(&pk);
	srv_citizen_free(&c);
	free(cid);
	free(cd);
	free(ad);
	free(sig);
	free(auh);
	cx_wipe(chal, sizeof(chal));
	return r;
}

/* ---- the pages' script (CSP script-src 'self': no inline script anywhere) ---- */

/*
 * On the sign-in page: the "use a passkey" button (#passkey-signin) and conditional UI
 * (passkeys offered in the username field's autofill). On the account page: the "add a
 * passkey" button (#passkey-add). Buttons start hidden and are shown only where WebAuthn
 * exists, so without JavaScript the pages are the plain forms. Failures show
 * #passkey-error (its text is in the page, in the page's language).
 */
static const char passkey_js[] =
    "(function () {\n"
    "  'use strict';\n"
    "  function b64u(buf) {\n"
    "    var b = new Uint8Array(buf), s = '', i;\n"
    "    for (i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);\n"
    "    return btoa(s).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');\n"
    "  }\n"
    "  function unb64u(s) {\n"
    "    var t = atob(s.replace(/-/g, '+').replace(/_/g, '/')), b = new Uint8Array(t.length), i;\n"
    "    for (i = 0; i < t.length; i++) b[i] = t.charCodeAt(i);\n"
    "    return b.buffer;\n"
    "  }\n"
    "  function field(name) {\n"
    "    var e = document.querySelector('input[name=\"' + name + '\"]');\n"
    "    return e ? e.value : '';\n"
    "  }\n"
    "  function post(url, fields) {\n"
    "    var body = new URLSearchParams(fields || {});\n"
    "    body.set('csrf', field('csrf'));\n"
    "    body.set('lang', document.documentElement.lang || 'vi');\n"
    "    return fetch(url, { method: 'POST', body: body, credentials: 'same-origin',\n"
    "      headers: { 'Accept': 'application/json' } }).then(function (r) {\n"
    "      return r.json().then(function (j) { return { status: r.status, body: j }; });\n"
    "    });\n"
    "  }\n"
    "  function showError(err) {\n"
    "    if (err && err.name === 'AbortError') return;\n"
    "    var e = document.getElementById('passkey-error');\n"
    "    if (e) e.hidden = false;\n"
    "  }\n"
    "  var pending = null;\n"
    "  function signIn(mediation) {\n"
    "    if (pending) pending.abort();\n"
    "    var ctl = new AbortController(), challenge;\n"
    "    pending = ctl;\n"
    "    return post('/passkey/login/options').then(function (o) {\n"
    "      if (o.status !== 200) throw new Error('options');\n"
    "      challenge = o.body.challenge;\n"
    "      return navigator.credentials.get({ mediation: mediation, signal: ctl.signal,\n"
    "        publicKey: { challenge: unb64u(challenge), rpId: o.body.rpId,\n"
    "          timeout: o.body.timeout, userVerification: o.body.userVerification,\n"
    "          allowCredentials: [] } });\n"
    "    }).then(function (cred) {\n"
    "      var r = cred.response;\n"
    "      return post('/passkey/login', { challenge: challenge, credential_id: b64u(cred.rawId),\n"
    "        client_data_json: b64u(r.clientDataJSON),\n"
    "        authenticator_data: b64u(r.authenticatorData), signature: b64u(r.signature),\n"
    "        user_handle: r.userHandle ? b64u(r.userHandle) : '', return_to: field('return_to') });\n"
    "    }).then(function (res) {\n"
    "      if (res.status === 200 && res.body.redirect) window.location.assign(res.body.redirect);\n"
    "      else showError();\n"
    "    }).catch(showError);\n"
    "  }\n"
    "  function addPasskey() {\n"
    "    post('/passkey/register/options').then(function (o) {\n"
    "      if (o.status === 403 && o.body.error === 'reauth_required' && o.body.login) {\n"
    "        window.location.assign(o.body.login);\n"
    "        return null;\n"
    "      }\n"
    "      if (o.status !== 200) throw new Error('options');\n"
    "      var p = o.body, challenge = p.challenge;\n"
    "      p.challenge = unb64u(challenge);\n"
    "      p.user.id = unb64u(p.user.id);\n"
    "      p.excludeCredentials.forEach(function (c) { c.id = unb64u(c.id); });\n"
    "      return navigator.credentials.create({ publicKey: p }).then(function (cred) {\n"
    "        return post('/passkey/register', { challenge: challenge,\n"
    "          client_data_json: b64u(cred.response.clientDataJSON),\n"
    "          attestation_object: b64u(cred.response.attestationObject),\n"
    "          name: field('passkey_name') });\n"
    "      });\n"
    "    }).then(function (res) {\n"
    "      if (!res) return;\n"
    "      if (res.status === 200 && res.body.ok) window.location.reload();\n"
    "      else showError();\n"
    "    }).catch(showError);\n"
    "  }\n"
    "  document.addEventListener('DOMContentLoaded', function () {\n"
    "    if (!window.PublicKeyCredential || !navigator.credentials) return;\n"
    "    var login = document.getElementById('passkey-signin');\n"
    "    var add = document.getElementById('passkey-add');\n"
    "    if (login) {\n"
    "      login.hidden = false;\n"
    "      login.addEventListener('click', function () { signIn('optional'); });\n"
    "      if (PublicKeyCredential.isConditionalMediationAvailable) {\n"
    "        PublicKeyCredential.isConditionalMediationAvailable().then(function (ok) {\n"
    "          if (ok && !pending) signIn('conditional');\n"
    "        }).catch(function () {});\n"
    "      }\n"
    "    }\n"
    "    if (add) {\n"
    "      var box = document.getElementById('passkey-add-box');\n"
    "      if (box) box.hidden = false;\n"
    "      add.addEventListener('click', addPasskey);\n"
    "    }\n"
    "  });\n"
    "})();\n";

int
srv_handle_passkey_js(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp)
{
	(void)app;
	(void)req;
	resp->cache_max_age = 86400;
	return srv_resp_text(resp, 200, "text/javascript; charset=utf-8", passkey_js);
}
