/*
 * srv_handle_card.c - level 2 with the chip ID card: binding a card to an account and
 * signing in with it (routes in srv_handle_card.h; the exchange in docs/interfaces.md).
 *
 * One-time codes (srv_card.h) live in Redis under "eid:cardcode:<hash(code)>" as JSON:
 *   binding   {"purpose": "bind", "account"}                           SRV_CARD_CODE_TTL
 *   sign-in   {"purpose": "login", "browser", "return_to", "state": "pending"}   same TTL,
 *             then {"state": "approved", "account"} for CARD_APPROVED_TTL, or after a
 *             refused card {"state": "refused"} for CARD_REFUSED_TTL (the page says so)
 * "browser" is the hex BLAKE2b-256 of a random token in the eid_cardlogin cookie of the
 * browser that asked for the code: only that browser can turn an approved code into a
 * session. POST /v1/card/challenge keeps one 8-byte AA challenge per code under
 * "eid:cardch:<hash(code)>" (a new request replaces it); bind and login take it (GETDEL)
 * and take the code too, so each code is used by exactly one card submission, whatever
 * its outcome.
 *
 * Pipeline of bind and login: parse (the JSON minus "code" goes to srv_documents_parse)
 * -> the code (unknown ones count against the caller's address: CARD_BAD_CODE_MAX per
 * CARD_BAD_CODE_WINDOW, then 429) -> the challenge -> srv_documents_verify against a
 * trust snapshot -> srv_card_decide (THE RULE in srv_card.h) -> the store (level 2 and the
 * card credential; for sign-in: the account whose bound card this is) -> audit
 * ("card.bind" / "card.login", success or failure, the citizen only as citizen_ref).
 *
 * Privacy: no code, token, citizen ID or document number reaches a log; the audit
 * details carry the keyed pseudonym of srv_documents_audit_details().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cx_util.h"
#include "srv_card.h"
#include "srv_documents.h"
#include "srv_handle_card.h"
#include "srv_log.h"
#include "srv_pages.h"
#include "srv_session.h"
#include "srv_signin.h"
#include "srv_store.h"
#include "srv_web.h"

#define SRV_CARD_CODE_TTL       300     /* seconds a code can be used */
#define CARD_APPROVED_TTL       120     /* seconds the browser has to continue after approval */
#define CARD_REFUSED_TTL        120     /* seconds the page can learn that the card was refused */
#define CARD_CHALLENGE_TTL      120
#define CARD_ISSUE_MAX          20      /* codes per account (binding) or address (sign-in) */
#define CARD_ISSUE_WINDOW       600
#define CARD_BAD_CODE_MAX       10      /* unknown codes submitted per address */
#define CARD_BAD_CODE_WINDOW    600
#define CARD_COOKIE             "__Host-eid_cardlogin"
#define CARD_BROWSER_BYTES      32
#define CARD_ACR                "urn:eid:level:2"
#define CARD_VERIFICATION_ID_BYTES 16

static const char *const amr_sc[] = { "sc" };     /* RFC 8176: smart card */

_Static_assert(SRV_CARD_REF_BYTES == SRV_STORE_CARD_REF_BYTES, "the store keeps srv_card_ref()");

/* ---------------------------------------------------------------- small helpers */

/* After sign-in the browser may go on to a portal: CSP form-action must allow it. */
static void
allow_portal_origin(struct srv_app *app, struct srv_resp *resp, const char *return_to)
{
	char *origin = NULL;

	if (srv_authorize_return_origin(app, return_to, &origin) == 0) {
		free(resp->form_action);
		resp->form_action = origin;
	}
}

static void
code_key(struct srv_app *app, const char *section, const char code[SRV_CARD_CODE_LEN],
    char key[SRV_REDIS_KEY_MAX])
{
	srv_redis_key(app->redis, section, code, SRV_CARD_CODE_CHARS, key);
}

/* The record of a code: GET (take = 0) or GETDEL (take = 1). EID_ERR_NOT_FOUND if absent. */
static int
code_load(struct srv_app *app, const char code[SRV_CARD_CODE_LEN], int take, json_t **rec)
{
	char key[SRV_REDIS_KEY_MAX];
	uint8_t *val = NULL;
	size_t len = 0;
	int r;

	*rec = NULL;
	code_key(app, "cardcode", code, key);
	r = take ? srv_redis_take(app->redis, key, &val, &len) : srv_redis_get(app->redis, key, &val, &len);
	if (r != 0)
		return r;
	*rec = json_loadb((const char *)val, len, JSON_REJECT_DUPLICATES, NULL);
	cx_wipe(val, len);
	free(val);
	if (!json_is_object(*rec)) {
		json_decref(*rec);
		*rec = NULL;
		return EID_ERR_NOT_FOUND;
	}
	return 0;
}

static int
code_store(struct srv_app *app, const char code[SRV_CARD_CODE_LEN], const json_t *rec,
    unsigned ttl)
{
	char key[SRV_REDIS_KEY_MAX];
	char *text;
	int r;

	code_key(app, "cardcode", code, key);
	if ((text = json_dumps(rec, JSON_COMPACT)) == NULL)
		return EID_ERR_NOMEM;
	r = srv_redis_set(app->redis, key, text, strlen(text), ttl, 1);
	cx_free_str(text);
	return r;
}

/* A new code holding rec (SET NX; a collision draws again). */
static int
code_issue(struct srv_app *app, const json_t *rec, char code[SRV_CARD_CODE_LEN])
{
	int r, tries;

	for (tries = 0;; tries++) {
		srv_card_code_new(code);
		r = code_store(app, code, rec, SRV_CARD_CODE_TTL);
		if (r != EID_ERR_EXISTS || tries >= 4)
			return r;
	}
}

static const char *
rec_str(const json_t *rec, const char *k)
{
	return json_string_value(json_object_get(rec, k));
}

static int
rec_is(const json_t *rec, const char *k, const char *want)
{
	const char *v = rec_str(rec, k);

	return v != NULL && strcmp(v, want) == 0;
}

/* Rate limit: *over = 1 when the counter (section, id) is already at max. */
static int
limit_peek(struct srv_app *app, const char *section, const char *id, long long max, int *over)
{
	char key[SRV_REDIS_KEY_MAX];
	uint8_t *val = NULL;
	size_t len = 0;
	int r;

	*over = 0;
	srv_redis_key(app->redis, section, id, strlen(id), key);
	r = srv_redis_get(app->redis, key, &val, &len);
	if (r == EID_ERR_NOT_FOUND)
		return 0;
	if (r != 0)
		return r;
	*over = strtoll((const char *)val, NULL, 10) >= max;
	free(val);
	return 0;
}

/* Count one event; *over = 1 when this one went past max. */
static int
limit_count(struct srv_app *app, const char *section, const char *id, unsigned window, long long max,
    int *over)
{
	char key[SRV_REDIS_KEY_MAX];
	long long n = 0;
	int r;

	*over = 0;
	srv_redis_key(app->redis, section, id, strlen(id), key);
	if ((r = srv_redis_incr(app->redis, key, window, &n)) != 0)
		return r;
	*over = n > max;
	return 0;
}

/* hex BLAKE2b-256 of the browser token */
static void
browser_hash(const char *token, char hex[65])
{
	uint8_t h[32];

	crypto_generichash(h, sizeof(h), (const unsigned char *)token, strlen(token), NULL, 0);
	cx_hex_encode(hex, h, sizeof(h));
	cx_wipe(h, sizeof(h));
}

/* This browser's token from its cookie: 0, or EID_ERR_NOT_FOUND. */
static int
browser_token(const struct srv_app *app, const struct srv_req *req, char tok[CX_B64URL_LEN(CARD_BROWSER_BYTES)])
{
	const char *cookie = srv_req_header(req, "cookie");

	if (cookie == NULL || srv_cookie_get(cookie, srv_web_cookie_name(app, CARD_COOKIE), tok,
	    CX_B64URL_LEN(CARD_BROWSER_BYTES)) != 0 || strlen(tok) != CX_B64URL_LEN(CARD_BROWSER_BYTES) - 1) {
		tok[0] = '\0';
		return EID_ERR_NOT_FOUND;
	}
	return 0;
}

/* 1 when the record was issued to the browser of this request. */
static int
same_browser(const struct srv_app *app, const struct srv_req *req, const json_t *rec)
{
	char tok[CX_B64URL_LEN(CARD_BROWSER_BYTES)], hex[65];
	int ok;

	if (browser_token(app, req, tok) != 0)
		return 0;
	browser_hash(tok, hex);
	ok = cx_ct_streq(hex, rec_str(rec, "browser"));
	cx_wipe(tok, sizeof(tok));
	return ok;
}

static void
audit(struct srv_app *app, const char *actor, const char *action, const char *subject,
    const char *outcome, const json_t *details)
{
	struct srv_audit_event e;
	char *text = details != NULL ? json_dumps(details, JSON_COMPACT) : NULL;
	int r;

	memset(&e, 0, sizeof(e));
	e.at = (int64_t)app->now();
	e.actor = (char *)actor;
	e.action = (char *)action;
	e.subject = (char *)subject;
	e.outcome = (char *)outcome;
	e.details = text;
	if ((r = srv_store_audit_append(app->store, &e)) != 0)
		log_warn("audit_append_failed", LS("action", action), LS("reason", eid_strerror(r)));
	free(text);
}

/* Answer the JSON o (taken; NULL: EID_ERR_NOMEM), not to be cached. */
static int
reply_no_store(struct srv_resp *resp, unsigned status, json_t *o)
{
	int r;

	if (o == NULL)
		return EID_ERR_NOMEM;
	resp->no_store = 1;
	r = srv_resp_json(resp, status, o);
	json_decref(o);
	return r;
}

/* ---------------------------------------------------------------- pages */

static int
render_message(struct srv_resp *resp, unsigned status, enum srv_lang lang, enum srv_str title,
    enum srv_str msg, const char *again_href, enum srv_str again)
{
	const char *a[] = { srv_str(lang, msg), again_href, srv_str(lang, again) };
	int r;

	r = srv_page_begin(resp, status, lang, srv_str(lang, title));
	r = r != 0 ? r : srv_tpl(&resp->body,
	    "<p class=\"error\" role=\"alert\">{0}</p>\n<p><a href=\"{1}\">{2}</a></p>\n", a, 3);
	return r != 0 ? r : srv_page_end(resp, lang, "/login", NULL);
}

/* "/login/card?return_to=..." or "/login?return_to=..." (pct-encoded) into b */
static int
href_with_return_to(struct cx_dynbuf *b, const char *path, const char *return_to)
{
	int r = cx_dynbuf_add_str(b, path);

	if (r == 0 && return_to != NULL && strcmp(return_to, "/") != 0) {
		r = cx_dynbuf_add_str(b, "?return_to=");
		r = r != 0 ? r : srv_pct_encode(b, return_to, "/");
	}
	return r;
}

/* ---------------------------------------------------------------- GET /account/card */

int
srv_handle_account_card(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp)
{
	enum srv_lang lang = srv_pages_lang(req);
	struct srv_session s;
	struct srv_citizen *cit = NULL;
	char code[SRV_CARD_CODE_LEN] = "", shown[SRV_CARD_CODE_SHOWN] = "";
	struct cx_dynbuf cmd;
	const char *account, *a[8];
	json_t *rec = NULL;
	int r, over = 0;

	cx_dynbuf_init(&cmd, 4096);
	memset(&s, 0, sizeof(s));
	if ((r = srv_signin_current(app, req, &s)) != 0 && r != EID_ERR_NOT_FOUND)
		goto out;
	account = rec_str(s.data, "account");
	if (s.data == NULL || account == NULL) {
		r = srv_web_redirect(resp, "/login?return_to=%2Faccount%2Fcard");
		goto out;
	}
	r = srv_store_citizen_get(app->store, account, &cit);
	if (r == EID_ERR_NOT_FOUND || (r == 0 && cit->disabled)) {
		r = srv_web_redirect(resp, "/login?return_to=%2Faccount%2Fcard");
		goto out;
	}
	if (r != 0)
		goto out;
	if ((r = limit_count(app, "cardissue", account, CARD_ISSUE_WINDOW, CARD_ISSUE_MAX, &over)) != 0)
		goto out;
	if (over) {
		log_info("card_code_throttled", LS("account", account));
		r = render_message(resp, 429, lang, S_CARD_BIND_TITLE, S_CARD_TOO_MANY, "/account/card",
		    S_CARD_NEW_CODE);
		r = r != 0 ? r : srv_resp_header(resp, "Retry-After", "600");
		goto out;
	}
	if ((rec = json_pack("{s:s,s:s}", "purpose", "bind", "account", account)) == NULL) {
		r = EID_ERR_NOMEM;
		goto out;
	}
	if ((r = code_issue(app, rec, code)) != 0)
		goto out;
	srv_card_code_show(code, shown);
	r = cx_dynbuf_add_str(&cmd, "eid-card bind --server ");
	r = r != 0 ? r : cx_dynbuf_add_str(&cmd, app->cfg->issuer);
	r = r != 0 ? r : cx_dynbuf_add_str(&cmd, " --code ");
	r = r != 0 ? r : cx_dynbuf_add_str(&cmd, shown);
	r = r != 0 ? r : cx_dynbuf_add_str(&cmd, " --can CAN");
	if (r != 0)
		goto out;
	r = srv_page_begin(resp, 200, lang, srv_str(lang, S_CARD_BIND_TITLE));
	if (r == 0 && cit->level >= 2) {
		a[0] = srv_str(lang, S_CARD_LEVEL2_DONE);
		r = srv_tpl(&resp->body, "<p class=\"notice\" id=\"card-level\">{0}</p>\n", a, 1);
	}
	a[0] = srv_str(lang, S_CARD_BIND_INTRO);
	a[1] = srv_str(lang, S_CARD_CODE_LABEL);
	a[2] = shown;
	a[3] = srv_str(lang, S_CARD_CODE_VALID);
	a[4] = cx_dynbuf_str(&cmd);
	a[5] = srv_str(lang, S_CARD_CAN_HINT);
	a[6] = srv_str(lang, S_CARD_NEW_CODE);
	a[7] = srv_str(lang, S_CARD_OWN_CODE_ONLY);
	r = r != 0 ? r : srv_tpl(&resp->body,
	    "<p>{0}</p>\n"
	    "<p class=\"code-label\">{1}</p>\n"
	    "<p class=\"code\" id=\"card-code\" data-code=\"{2}\">{2}</p>\n"
	    "<p class=\"hint\">{3}</p>\n"
	    "<pre class=\"command\" id=\"card-command\">{4}</pre>\n"
	    "<p class=\"hint\">{5}</p>\n"
	    "<p class=\"hint\">{7}</p>\n"
	    "<p><a href=\"/account/card\">{6}</a></p>\n", a, 8);
	r = r != 0 ? r : srv_page_end(resp, lang, "/account/card", NULL);
	resp->no_store = 1;
out:
	cx_wipe(code, sizeof(code));
	cx_wipe(shown, sizeof(shown));
	json_decref(rec);
	srv_citizen_free(&cit);
	srv_session_clear(&s);
	cx_dynbuf_free(&cmd);
	return r;
}

/* ---------------------------------------------------------------- the JSON API */

/*
 * The body of a card API request: a JSON object with "code". Writes a 4xx and sets
 * *answered when the request is malformed or the caller is throttled. rest (may be NULL):
 * the object without "code", serialised (caller frees), for srv_documents_parse.
 */
static int
api_request(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp,
    char code[SRV_CARD_CODE_LEN], char **rest, int *answered)
{
	json_t *o = NULL;
	int r = 0, over = 0;

	*answered = 1;
	if (rest != NULL)
		*rest = NULL;
	if (!srv_content_type_is(srv_req_header(req, "content-type"), "application/json")) {
		r = srv_resp_error(resp, 415, "invalid_request", "The request body must be application/json.");
		goto out;
	}
	o = json_loadb((const char *)req->body, req->body_len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(o)) {
		r = srv_resp_error(resp, 400, "invalid_request", "The request body is not a JSON object.");
		goto out;
	}
	if (srv_card_code_normalize(json_string_value(json_object_get(o, "code")), code) != 0) {
		r = srv_resp_error(resp, 400, "invalid_request",
		    "code is missing or is not a code of 8 letters and digits (as shown, e.g. ABCD-EFGH).");
		goto out;
	}
	if ((r = limit_peek(app, "cardbad", req->remote_ip, CARD_BAD_CODE_MAX, &over)) != 0)
		goto out;
	if (over) {
		log_info("card_code_guessing_throttled", LS("remote", req->remote_ip));
		r = srv_resp_error(resp, 429, "slow_down",
		    "Too many unknown codes were sent from this address. Wait 10 minutes.");
		r = r != 0 ? r : srv_resp_header(resp, "Retry-After", "600");
		goto out;
	}
	if (rest != NULL) {
		(void)json_object_del(o, "code");
		if ((*rest = json_dumps(o, JSON_COMPACT)) == NULL) {
			r = EID_ERR_NOMEM;
			goto out;
		}
	}
	*answered = 0;
out:
	json_decref(o);
	return r;
}

/* Answer for an unknown, expired, used or wrong-purpose code (and count it). */
static int
bad_code(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp, const char *purpose)
{
	int r, over = 0;

	if ((r = limit_count(app, "cardbad", req->remote_ip, CARD_BAD_CODE_WINDOW, CARD_BAD_CODE_MAX,
	    &over)) != 0)
		return r;
	log_info("card_code_unknown", LS("remote", req->remote_ip), LS("purpose", purpose));
	return srv_resp_error(resp, 400, "invalid_code",
	    strcmp(purpose, "bind") == 0 ?
	    "The binding code is unknown, expired or already used. Get a new code on the account page." :
	    "The sign-in code is unknown, expired or already used. Start the chip-card sign-in again.");
}

int
srv_handle_card_challenge(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp)
{
	char code[SRV_CARD_CODE_LEN], key[SRV_REDIS_KEY_MAX], b64[CX_B64_LEN(CARD_AA_CHALLENGE_LEN)];
	uint8_t ch[CARD_AA_CHALLENGE_LEN];
	const char *purpose;
	json_t *rec = NULL;
	int r, answered;

	if ((r = api_request(app, req, resp, code, NULL, &answered)) != 0 || answered)
		goto out;
	r = code_load(app, code, 0, &rec);
	if (r == EID_ERR_NOT_FOUND || (r == 0 && (purpose = rec_str(rec, "purpose")) == NULL) ||
	    (r == 0 && rec_is(rec, "purpose", "login") && !rec_is(rec, "state", "pending"))) {
		r = bad_code(app, req, resp, rec != NULL && rec_is(rec, "purpose", "login") ? "login" : "bind");
		goto out;
	}
	if (r != 0)
		goto out;
	cx_random(ch, sizeof(ch));
	code_key(app, "cardch", code, key);
	if ((r = srv_redis_set(app->redis, key, ch, sizeof(ch), CARD_CHALLENGE_TTL, 0)) != 0)
		goto out;
	if ((r = cx_b64_encode(b64, sizeof(b64), ch, sizeof(ch))) != 0)
		goto out;
	r = reply_no_store(resp, 201, json_pack("{s:s,s:i,s:s}", "challenge", b64,
	    "expires_in", CARD_CHALLENGE_TTL, "purpose", purpose));
out:
	cx_wipe(code, sizeof(code));
	cx_wipe(ch, sizeof(ch));
	json_decref(rec);
	return r;
}

/* SRV_DOC_CHALLENGE_*: the code's challenge, taken, against the submitted one. */
static int
take_challenge(struct srv_app *app, const char code[SRV_CARD_CODE_LEN],
    const struct srv_doc_request *dr, int *status)
{
	char key[SRV_REDIS_KEY_MAX];
	uint8_t *val = NULL;
	size_t len = 0;
	int r;

	code_key(app, "cardch", code, key);
	r = srv_redis_take(app->redis, key, &val, &len);
	*status = dr->have_aa ? SRV_DOC_CHALLENGE_BAD : SRV_DOC_CHALLENGE_NONE;
	if (r == EID_ERR_NOT_FOUND)
		return 0;
	if (r != 0)
		return r;
	if (dr->have_aa && cx_ct_equal(val, len, dr->aa_challenge, CARD_AA_CHALLENGE_LEN))
		*status = SRV_DOC_CHALLENGE_TAKEN;
	free(val);
	return 0;
}

/* Verify the submitted files (trust snapshot, the code's challenge) into *verdict. */
static int
verify_card(struct srv_app *app, const char code[SRV_CARD_CODE_LEN], const struct srv_doc_request *dr,
    json_t **verdict)
{
	const struct srv_trust_snapshot *snap = NULL;
	int r, status;

	if ((r = take_challenge(app, code, dr, &status)) != 0)
		return r;
	if (app->trust != NULL) {
		(void)srv_trust_refresh(app->trust);
		snap = srv_trust_acquire(app->trust);
	}
	r = srv_documents_verify(dr, snap != NULL ? snap->trust : NULL, status, app->now(), verdict);
	if (snap != NULL)
		srv_trust_release(app->trust, snap);
	return r;
}

/* Audit details for a card decision (no personal data: citizen_ref only). */
static json_t *
card_details(struct srv_app *app, const json_t *verdict, const char *vid, const char *error)
{
	uint8_t pkey[32];
	json_t *d;

	if (app->secret != NULL)
		srv_secret_derive(app->secret, SRV_SUBKEY_AUDIT_PSEUDONYM, pkey);
	d = srv_documents_audit_details(NULL, verdict, app->secret != NULL ? pkey : NULL);
	cx_wipe(pkey, sizeof(pkey));
	if (d != NULL && (json_object_set_new(d, "verification_id", json_string(vid)) != 0 ||
	    (error != NULL && error[0] != '\0' && json_object_set_new(d, "error", json_string(error)) != 0))) {
		json_decref(d);
		d = NULL;
	}
	return d;
}

/* 403 with the decision's error, its description and the verdict's reasons. */
static int
refuse_card(struct srv_resp *resp, unsigned status, const char *error, const char *description,
    const json_t *verdict)
{
	return reply_no_store(resp, status, json_pack("{s:s,s:s,s:O?}", "error", error,
	    "error_description", description,
	    "reasons", verdict != NULL ? json_object_get(verdict, "reasons") : NULL));
}

static int
card_ref_of(struct srv_app *app, const struct srv_card_decision *d, uint8_t ref[SRV_CARD_REF_BYTES])
{
	uint8_t key[32];

	if (app->secret == NULL)
		return EID_ERR_INTERNAL;
	srv_secret_derive(app->secret, SRV_SUBKEY_AUDIT_PSEUDONYM, key);
	srv_card_ref(key, d->issuing_state, d->document_number, ref);
	cx_wipe(key, sizeof(key));
	return 0;
}

/* A code record this submission may use: of this purpose, and for sign-in pending. */
static int
code_usable(const json_t *rec, const char *purpose)
{
	return rec_is(rec, "purpose", purpose) &&
	    (strcmp(purpose, "bind") == 0 || rec_is(rec, "state", "pending"));
}

/* Parse the request and take its code (which must have this purpose, and for sign-in be
 * pending). *answered when a 4xx was written. */
static int
card_submission(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp,
    const char *purpose, char code[SRV_CARD_CODE_LEN], struct srv_doc_request *dr, json_t **rec,
    int *answered)
{
	char *rest = NULL;
	const char *desc = NULL;
	int r;

	*rec = NULL;
	if ((r = api_request(app, req, resp, code, &rest, answered)) != 0 || *answered)
		goto out;
	*answered = 1;
	r = srv_documents_parse(rest, strlen(rest), dr, &desc);
	if (r == EID_ERR_FORMAT || r == EID_ERR_TOO_LARGE) {
		r = srv_resp_error(resp, 400, "invalid_request",
		    desc != NULL ? desc : "The request body is not a valid card submission.");
		goto out;
	}
	if (r != 0)
		goto out;
	/* look first (a code of the other kind stays usable), then take */
	r = code_load(app, code, 0, rec);
	if (r == 0 && code_usable(*rec, purpose)) {
		json_decref(*rec);
		*rec = NULL;
		r = code_load(app, code, 1, rec);
		if (r == 0 && !code_usable(*rec, purpose))
			r = EID_ERR_NOT_FOUND;
	} else if (r == 0)
		r = EID_ERR_NOT_FOUND;
	if (r == EID_ERR_NOT_FOUND) {
		json_decref(*rec);
		*rec = NULL;
		r = bad_code(app, req, resp, purpose);
		goto out;
	}
	if (r != 0)
		goto out;
	*answered = 0;
out:
	if (rest != NULL)
		cx_free_str(rest);
	return r;
}

/* One card submission (bind or sign-in) on its way through the pipeline. */
struct card_attempt {
	struct srv_doc_request dr;
	struct srv_card_decision d;
	char code[SRV_CARD_CODE_LEN];
	char vid[CX_B64URL_LEN(CARD_VERIFICATION_ID_BYTES)];   /* names it in audit and answer */
	uint8_t ref[SRV_CARD_REF_BYTES];
	json_t *rec;                    /* the code's record */
	json_t *verdict;                /* srv_documents_verify's */
};

/* Verify the submitted files and decide (citizen_id: the account's, NULL for sign-in);
 * the files are wiped then, and the attempt gets its verification id. */
static int
attempt_decide(struct srv_app *app, struct card_attempt *at, const char *citizen_id)
{
	int r;

	if ((r = verify_card(app, at->code, &at->dr, &at->verdict)) != 0 ||
	    (r = srv_card_decide(at->verdict, at->dr.dg[13], at->dr.dg_len[13], citizen_id,
	    &at->d)) != 0)
		return r;
	srv_doc_request_clear(&at->dr);
	cx_random_token(at->vid, sizeof(at->vid), CARD_VERIFICATION_ID_BYTES);
	return 0;
}

static void
attempt_clear(struct card_attempt *at)
{
	srv_doc_request_clear(&at->dr);
	cx_wipe(&at->d, sizeof(at->d));
	cx_wipe(at->code, sizeof(at->code));
	cx_wipe(at->ref, sizeof(at->ref));
	if (at->verdict != NULL) {
		json_object_clear(at->verdict);
		json_decref(at->verdict);
		at->verdict = NULL;
	}
	json_decref(at->rec);
	at->rec = NULL;
}

int
srv_handle_card_bind(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp)
{
	struct card_attempt at;
	struct srv_citizen *cit = NULL;
	const char *account;
	json_t *details = NULL, *meta = NULL;
	char *meta_text = NULL;
	int r, answered;

	memset(&at, 0, sizeof(at));
	if ((r = card_submission(app, req, resp, "bind", at.code, &at.dr, &at.rec, &answered)) != 0 ||
	    answered)
		goto out;
	account = rec_str(at.rec, "account");
	r = srv_store_citizen_get(app->store, account != NULL ? account : "", &cit);
	if (r == EID_ERR_NOT_FOUND || (r == 0 && cit->disabled)) {
		r = srv_resp_error(resp, 400, "invalid_code",
		    "The account this code was issued to no longer exists or is disabled.");
		goto out;
	}
	if (r != 0)
		goto out;
	if ((r = attempt_decide(app, &at, cit->citizen_id)) != 0)
		goto out;
	if ((details = card_details(app, at.verdict, at.vid, at.d.error)) == NULL) {
		r = EID_ERR_NOMEM;
		goto out;
	}
	if (at.d.outcome != SRV_CARD_OK) {
		audit(app, account, "card.bind", account, "failure", details);
		log_info("card_bind_refused", LS("account", account), LS("error", at.d.error));
		r = refuse_card(resp, 403, at.d.error, at.d.description, at.verdict);
		goto out;
	}
	if ((r = card_ref_of(app, &at.d, at.ref)) != 0)
		goto out;
	if ((meta = json_pack("{s:s,s:s}", "verification_id", at.vid, "issuing_state",
	    at.d.issuing_state)) == NULL ||
	    (meta_text = json_dumps(meta, JSON_COMPACT)) == NULL) {
		r = EID_ERR_NOMEM;
		goto out;
	}
	r = srv_store_card_bind(app->store, cit->id, at.ref, meta_text, (int64_t)app->now());
	if (r == EID_ERR_EXISTS) {
		(void)json_object_set_new(details, "error", json_string("card_bound_elsewhere"));
		audit(app, account, "card.bind", account, "failure", details);
		r = refuse_card(resp, 409, "card_bound_elsewhere",
		    "This card is already bound to another account.", NULL);
		goto out;
	}
	if (r != 0)
		goto out;
	audit(app, account, "card.bind", account, "success", details);
	log_info("card_bound", LS("account", account), LS("acr", CARD_ACR));
	r = reply_no_store(resp, 200, json_pack("{s:s,s:i,s:s}", "status", "bound", "level", 2,
	    "verification_id", at.vid));
out:
	attempt_clear(&at);
	json_decref(details);
	json_decref(meta);
	free(meta_text);
	srv_citizen_free(&cit);
	return r;
}

int
srv_handle_card_login_api(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp)
{
	struct card_attempt at;
	struct srv_citizen *cit = NULL;
	json_t *details = NULL;
	const char *error = NULL;
	int r, answered;

	memset(&at, 0, sizeof(at));
	if ((r = card_submission(app, req, resp, "login", at.code, &at.dr, &at.rec, &answered)) != 0 ||
	    answered)
		goto out;
	if ((r = attempt_decide(app, &at, NULL)) != 0)
		goto out;
	if (at.d.outcome == SRV_CARD_OK) {
		/* the account whose bound card this is: level 2, enabled, the same document */
		r = srv_store_citizen_get(app->store, at.d.citizen_id, &cit);
		if (r == 0 && (cit->disabled || cit->level < 2 ||
		    strcmp(cit->citizen_id, at.d.citizen_id) != 0))
			r = EID_ERR_NOT_FOUND;
		if (r == 0 && (r = card_ref_of(app, &at.d, at.ref)) == 0)
			r = srv_store_card_check(app->store, cit->id, at.ref, (int64_t)app->now());
		if (r == EID_ERR_NOT_FOUND)
			error = "card_not_bound";
		else if (r != 0)
			goto out;
	} else
		error = at.d.error;
	if ((details = card_details(app, at.verdict, at.vid, error)) == NULL) {
		r = EID_ERR_NOMEM;
		goto out;
	}
	if (error != NULL) {
		audit(app, cit != NULL ? cit->account_id : "eidd", "card.login",
		    cit != NULL ? cit->account_id : NULL, "failure", details);
		log_info("card_login_refused", LS("error", error));
		/* the code stays spent; its page learns why it will not go on (not "expired") */
		if (json_object_set_new(at.rec, "state", json_string("refused")) != 0 ||
		    code_store(app, at.code, at.rec, CARD_REFUSED_TTL) != 0)
			log_warn("card_login_refused_not_recorded", LEND);
		r = at.d.outcome != SRV_CARD_OK ?
		    refuse_card(resp, 403, at.d.error, at.d.description, at.verdict) :
		    refuse_card(resp, 403, "card_not_bound", "This card is not bound to an account at level 2. "
		    "Sign in with your password and bind the card on the account page (/account/card) first.",
		    NULL);
		goto out;
	}
	/* approve: the browser that holds the code's cookie may now continue */
	if (json_object_set_new(at.rec, "state", json_string("approved")) != 0 ||
	    json_object_set_new(at.rec, "account", json_string(cit->account_id)) != 0) {
		r = EID_ERR_NOMEM;
		goto out;
	}
	if ((r = code_store(app, at.code, at.rec, CARD_APPROVED_TTL)) != 0)
		goto out;
	audit(app, cit->account_id, "card.login", cit->account_id, "success", details);
	log_info("card_login_approved", LS("account", cit->account_id));
	r = reply_no_store(resp, 200, json_pack("{s:s,s:s}", "status", "approved",
	    "verification_id", at.vid));
out:
	attempt_clear(&at);
	json_decref(details);
	srv_citizen_free(&cit);
	return r;
}

/* ---------------------------------------------------------------- chip-card sign-in pages */

static int
render_card_login(struct srv_app *app, struct srv_resp *resp, unsigned status, enum srv_lang lang,
    const char *csrf, const char code[SRV_CARD_CODE_LEN], const char *return_to, int notice)
{
	char shown[SRV_CARD_CODE_SHOWN];
	struct cx_dynbuf cmd, back;
	const char *a[10];
	int r;

	cx_dynbuf_init(&cmd, 4096);
	cx_dynbuf_init(&back, 4096);
	srv_card_code_show(code, shown);
	r = cx_dynbuf_add_str(&cmd, "eid-card login --server ");
	r = r != 0 ? r : cx_dynbuf_add_str(&cmd, app->cfg->issuer);
	r = r != 0 ? r : cx_dynbuf_add_str(&cmd, " --code ");
	r = r != 0 ? r : cx_dynbuf_add_str(&cmd, shown);
	r = r != 0 ? r : cx_dynbuf_add_str(&cmd, " --can CAN");
	r = r != 0 ? r : href_with_return_to(&back, "/login", return_to);
	r = r != 0 ? r : srv_page_begin(resp, status, lang, srv_str(lang, S_CARD_LOGIN_TITLE));
	if (r == 0 && notice >= 0) {
		a[0] = srv_str(lang, (enum srv_str)notice);
		r = srv_tpl(&resp->body, "<p class=\"error\" id=\"card-notice\" role=\"alert\">{0}</p>\n", a, 1);
	}
	a[0] = srv_str(lang, S_CARD_LOGIN_INTRO);
	a[1] = srv_str(lang, S_CARD_CODE_LABEL);
	a[2] = shown;
	a[3] = srv_str(lang, S_CARD_CODE_VALID);
	a[4] = cx_dynbuf_str(&cmd);
	a[5] = srv_str(lang, S_CARD_CAN_HINT);
	a[6] = srv_str(lang, S_CARD_OWN_CODE_ONLY);
	a[7] = srv_str(lang, S_CARD_LOGIN_WAITING);
	a[8] = srv_str(lang, S_CARD_LOGIN_EXPIRED);
	a[9] = srv_str(lang, S_CARD_LOGIN_REFUSED);
	r = r != 0 ? r : srv_tpl(&resp->body,
	    "<p>{0}</p>\n"
	    "<p class=\"code-label\">{1}</p>\n"
	    "<p class=\"code\" id=\"card-code\">{2}</p>\n"
	    "<p class=\"hint\">{3}</p>\n"
	    "<pre class=\"command\" id=\"card-command\">{4}</pre>\n"
	    "<p class=\"hint\">{5}</p>\n"
	    "<p class=\"hint\">{6}</p>\n"
	    "<p id=\"card-status\" role=\"status\" aria-live=\"polite\" data-expired=\"{8}\""
	    " data-refused=\"{9}\">{7}</p>\n",
	    a, 10);
	a[0] = code;
	a[1] = csrf;
	a[2] = return_to;
	a[3] = srv_str(lang, S_LANG_CODE);
	a[4] = srv_str(lang, S_CARD_CONTINUE);
	a[5] = cx_dynbuf_str(&back);
	a[6] = srv_str(lang, S_CARD_PASSWORD_INSTEAD);
	r = r != 0 ? r : srv_tpl(&resp->body,
	    "<form method=\"post\" action=\"/login/card\" id=\"card-login\" data-code=\"{0}\">\n"
	    "<input type=\"hidden\" name=\"csrf\" value=\"{1}\">\n"
	    "<input type=\"hidden\" name=\"code\" value=\"{0}\">\n"
	    "<input type=\"hidden\" name=\"return_to\" value=\"{2}\">\n"
	    "<input type=\"hidden\" name=\"lang\" value=\"{3}\">\n"
	    "<button type=\"submit\">{4}</button>\n"
	    "</form>\n"
	    "<p><a href=\"{5}\">{6}</a></p>\n"
	    "<script src=\"/static/card_login.js\" defer></script>\n", a, 7);
	r = r != 0 ? r : srv_page_end(resp, lang, "/login/card", return_to);
	cx_wipe(shown, sizeof(shown));
	cx_dynbuf_free(&cmd);
	cx_dynbuf_free(&back);
	return r;
}

static int
login_card_get(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp)
{
	enum srv_lang lang = srv_pages_lang(req);
	const char *return_to = srv_signin_safe_return_to(srv_kvlist_get(&req->query, "return_to", NULL));
	char tok[CX_B64URL_LEN(CARD_BROWSER_BYTES)], hex[65], csrf[SRV_CSRF_LEN];
	char code[SRV_CARD_CODE_LEN] = "";
	json_t *rec = NULL;
	int r, over = 0;

	if ((r = limit_count(app, "cardissue", req->remote_ip, CARD_ISSUE_WINDOW, CARD_ISSUE_MAX * 3,
	    &over)) != 0)
		return r;
	if (over) {
		struct cx_dynbuf back;

		log_info("card_code_throttled", LS("remote", req->remote_ip));
		cx_dynbuf_init(&back, 4096);
		r = href_with_return_to(&back, "/login", return_to);
		r = r != 0 ? r : render_message(resp, 429, lang, S_CARD_LOGIN_TITLE, S_CARD_TOO_MANY,
		    cx_dynbuf_str(&back), S_CARD_PASSWORD_INSTEAD);
		cx_dynbuf_free(&back);
		return r != 0 ? r : srv_resp_header(resp, "Retry-After", "600");
	}
	/* the browser token: kept when the browser has one, so several tabs can sign in */
	if (browser_token(app, req, tok) != 0) {
		cx_random_token(tok, sizeof(tok), CARD_BROWSER_BYTES);
		if ((r = srv_web_set_cookie(app, resp, CARD_COOKIE, tok, "SameSite=Strict; Max-Age=600")) != 0)
			goto out;
	}
	browser_hash(tok, hex);
	if ((rec = json_pack("{s:s,s:s,s:s,s:s}", "purpose", "login", "browser", hex,
	    "return_to", return_to, "state", "pending")) == NULL) {
		r = EID_ERR_NOMEM;
		goto out;
	}
	if ((r = code_issue(app, rec, code)) != 0)
		goto out;
	allow_portal_origin(app, resp, return_to);
	if ((r = srv_web_csrf_token(app, req, resp, csrf)) != 0)
		goto out;
	r = render_card_login(app, resp, 200, lang, csrf, code, return_to, -1);
	resp->no_store = 1;
out:
	cx_wipe(tok, sizeof(tok));
	cx_wipe(csrf, sizeof(csrf));
	cx_wipe(code, sizeof(code));
	json_decref(rec);
	return r;
}

/* The sign-in page's dead ends: a message and a link to start again. */
static int
start_again(struct srv_resp *resp, unsigned status, enum srv_lang lang, enum srv_str title,
    enum srv_str msg, struct cx_dynbuf *again)
{
	return render_message(resp, status, lang, title, msg, cx_dynbuf_str(again), S_CARD_START_AGAIN);
}

static int
login_card_post(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp)
{
	enum srv_lang lang = srv_pages_lang(req);
	const char *return_to = srv_signin_safe_return_to(srv_kvlist_get(&req->form, "return_to", NULL));
	char code[SRV_CARD_CODE_LEN] = "", csrf[SRV_CSRF_LEN];
	struct srv_citizen *cit = NULL;
	struct cx_dynbuf again;
	const char *account;
	json_t *rec = NULL;
	int r;

	cx_dynbuf_init(&again, 4096);
	if ((r = href_with_return_to(&again, "/login/card", return_to)) != 0)
		goto out;
	if (!srv_web_csrf_ok(app, req)) {
		log_info("login_csrf_refused", LS("remote", req->remote_ip));
		r = start_again(resp, 403, lang, S_FORBIDDEN_TITLE, S_ERR_CSRF, &again);
		goto out;
	}
	if (srv_card_code_normalize(srv_kvlist_get(&req->form, "code", NULL), code) != 0 ||
	    (r = code_load(app, code, 0, &rec)) == EID_ERR_NOT_FOUND || !rec_is(rec, "purpose", "login")) {
		r = start_again(resp, 400, lang, S_CARD_LOGIN_TITLE, S_CARD_LOGIN_EXPIRED, &again);
		goto out;
	}
	if (r != 0)
		goto out;
	if (!same_browser(app, req, rec)) {
		log_info("card_login_other_browser", LS("remote", req->remote_ip));
		r = start_again(resp, 403, lang, S_CARD_LOGIN_TITLE, S_CARD_LOGIN_OTHER_BROWSER, &again);
		goto out;
	}
	if (rec_is(rec, "state", "refused")) {
		r = start_again(resp, 403, lang, S_CARD_LOGIN_TITLE, S_CARD_LOGIN_REFUSED, &again);
		goto out;
	}
	if (!rec_is(rec, "state", "approved")) {
		/* not yet: the same page again, with a word on what is missing */
		allow_portal_origin(app, resp, return_to);
		if ((r = srv_web_csrf_token(app, req, resp, csrf)) == 0)
			r = render_card_login(app, resp, 200, lang, csrf, code, return_to, S_CARD_LOGIN_PENDING);
		cx_wipe(csrf, sizeof(csrf));
		goto out;
	}
	/* approved: take it (once), then the session */
	json_decref(rec);
	rec = NULL;
	r = code_load(app, code, 1, &rec);
	if (r == EID_ERR_NOT_FOUND || (r == 0 && (!rec_is(rec, "state", "approved") ||
	    !same_browser(app, req, rec)))) {
		r = start_again(resp, 400, lang, S_CARD_LOGIN_TITLE, S_CARD_LOGIN_EXPIRED, &again);
		goto out;
	}
	if (r != 0)
		goto out;
	account = rec_str(rec, "account");
	r = srv_store_citizen_get(app->store, account != NULL ? account : "", &cit);
	if (r == EID_ERR_NOT_FOUND || (r == 0 && (cit->disabled || cit->level < 2))) {
		r = start_again(resp, 403, lang, S_CARD_LOGIN_TITLE, S_CARD_LOGIN_EXPIRED, &again);
		goto out;
	}
	if (r != 0)
		goto out;
	if ((r = srv_signin_start(app, req, resp, cit->account_id, CARD_ACR, amr_sc, 1)) != 0)
		goto out;
	if ((r = srv_web_set_cookie(app, resp, CARD_COOKIE, "", "SameSite=Strict; Max-Age=0")) != 0)
		goto out;
	log_info("login_ok", LS("account", cit->account_id), LS("acr", CARD_ACR));
	allow_portal_origin(app, resp, rec_str(rec, "return_to"));
	/* the return_to of the code (set when it was issued), not of the form */
	r = srv_web_redirect(resp, srv_signin_safe_return_to(rec_str(rec, "return_to")));
out:
	cx_wipe(code, sizeof(code));
	cx_dynbuf_free(&again);
	json_decref(rec);
	srv_citizen_free(&cit);
	return r;
}

int
srv_handle_login_card(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp)
{
	if (req->method == SRV_POST)
		return login_card_post(app, req, resp);
	return login_card_get(app, req, resp);
}

int
srv_handle_login_card_status(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp)
{
	char code[SRV_CARD_CODE_LEN];
	const char *status = "expired";
	json_t *rec = NULL;
	int r = 0;

	resp->no_store = 1;
	if (srv_card_code_normalize(srv_kvlist_get(&req->query, "code", NULL), code) == 0 &&
	    (r = code_load(app, code, 0, &rec)) == 0 && rec_is(rec, "purpose", "login") &&
	    same_browser(app, req, rec))
		status = rec_is(rec, "state", "approved") ? "approved" :
		    rec_is(rec, "state", "refused") ? "refused" : "pending";
	json_decref(rec);
	cx_wipe(code, sizeof(code));
	if (r != 0 && r != EID_ERR_NOT_FOUND)
		return r;
	return srv_resp_text(resp, 200, "application/json",
	    strcmp(status, "approved") == 0 ? "{\"status\":\"approved\"}" :
	    strcmp(status, "pending") == 0 ? "{\"status\":\"pending\"}" :
	    strcmp(status, "refused") == 0 ? "{\"status\":\"refused\"}" : "{\"status\":\"expired\"}");
}

int
srv_handle_card_login_js(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp)
{
	(void)app;
	(void)req;
	resp->cache_max_age = 86400;
	return srv_resp_text(resp, 200, "text/javascript; charset=utf-8",
	    "(function(){'use strict';\n"
	    "function start(){\n"
	    " var f=document.getElementById('card-login');if(!f||!window.fetch){return;}\n"
	    " var code=f.getAttribute('data-code'),st=document.getElementById('card-status'),n=0;\n"
	    " function tick(){\n"
	    "  if(++n>200){return;}\n"
	    "  fetch('/login/card/status?code='+encodeURIComponent(code),"
	    "{credentials:'same-origin',cache:'no-store'})\n"
	    "  .then(function(r){return r.json();})\n"
	    "  .then(function(j){\n"
	    "   if(j.status==='approved'){f.submit();return;}\n"
	    "   if(j.status==='expired'||j.status==='refused'){"
	    "if(st){st.textContent=st.getAttribute('data-'+j.status);}return;}\n"
	    "   setTimeout(tick,2000);})\n"
	    "  .catch(function(){setTimeout(tick,4000);});\n"
	    " }\n"
	    " setTimeout(tick,1500);\n"
	    "}\n"
	    "if(document.readyState==='loading'){document.addEventListener('DOMContentLoaded',start);}"
	    "else{start();}\n"
	    "})();\n");
}
