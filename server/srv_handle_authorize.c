/*
 * srv_handle_authorize.c - GET/POST /authorize, POST /consent and /static/form_post.js.
 *
 *   parse    the parameters (srv_authz_parse; stage-1 errors get our own page, never a
 *            redirect), or a pending request by its id ("areq") after sign-in
 *   verify   the SSO session from its cookie, the remembered consent
 *   decide   srv_authz_decide: sign in, consent, an error, or a code
 *   respond  a redirect or form_post to the client with code/error, state and iss
 *
 * A request that needs the citizen (sign-in, consent) waits in Redis under a random id
 * for SRV_AUTHZ_REQUEST_TTL seconds; the login page returns to /authorize?areq=<id>, the
 * consent form posts it to /consent. The pending request is removed when a code or an
 * error goes back to the client.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx_util.h"
#include "srv_app.h"
#include "srv_authorize.h"
#include "srv_grants.h"
#include "srv_log.h"
#include "srv_oauth_client.h"
#include "srv_pages.h"
#include "srv_session.h"
#include "srv_web.h"

#define AREQ_BYTES 24
#define AREQ_LEN CX_B64URL_LEN(AREQ_BYTES)

static enum srv_lang
lang_for(const struct srv_req *req, const struct srv_authz_request *a)
{
	int l;

	if (a != NULL && a->ui_locales != NULL && (l = srv_pages_ui_locales(a->ui_locales)) >= 0)
		return (enum srv_lang)l;
	return srv_pages_lang(req);
}

static int
error_page(struct srv_resp *resp, enum srv_lang lang, int reason)
{
	enum srv_str msg = reason == SRV_AUTHZ_PAGE_REDIRECT ? S_AUTHZ_ERR_REDIRECT :
	    reason == SRV_AUTHZ_PAGE_EXPIRED ? S_AUTHZ_ERR_EXPIRED : S_AUTHZ_ERR_CLIENT;
	const char *a[] = { srv_str(lang, msg) };
	int r;

	r = srv_page_begin(resp, 400, lang, srv_str(lang, S_AUTHZ_ERROR_TITLE));
	r = r != 0 ? r : srv_tpl(&resp->body, "<p class=\"error\" role=\"alert\" id=\"authz-error\">{0}</p>\n", a, 1);
	resp->no_store = 1;
	return r != 0 ? r : srv_page_end(resp, lang, "/", NULL);
}

static int
pending_key(struct srv_app *app, const char *id, char key[SRV_REDIS_KEY_MAX])
{
	if (id == NULL || strlen(id) != AREQ_LEN - 1)
		return EID_ERR_NOT_FOUND;
	srv_redis_key(app->redis, "areq", id, strlen(id), key);
	return 0;
}

static int
pending_load(struct srv_app *app, const char *id, struct srv_authz_request *a)
{
	char key[SRV_REDIS_KEY_MAX];
	uint8_t *val = NULL;
	size_t len = 0;
	json_t *o;
	int r;

	if ((r = pending_key(app, id, key)) != 0 ||
	    (r = srv_redis_get(app->redis, key, &val, &len)) != 0)
		return r;
	o = json_loadb((const char *)val, len, JSON_REJECT_DUPLICATES, NULL);
	free(val);
	if (o == NULL)
		return EID_ERR_NOT_FOUND;
	r = srv_authz_from_json(o, a);
	json_decref(o);
	return r == EID_ERR_FORMAT ? EID_ERR_NOT_FOUND : r;
}

static int
pending_save(struct srv_app *app, const struct srv_authz_request *a, char id[AREQ_LEN])
{
	char key[SRV_REDIS_KEY_MAX], *text = NULL;
	json_t *o = NULL;
	int r;

	if ((r = srv_authz_to_json(a, &o)) != 0)
		return r;
	if ((text = json_dumps(o, JSON_COMPACT)) == NULL) {
		r = EID_ERR_NOMEM;
		goto out;
	}
	cx_random_token(id, AREQ_LEN, AREQ_BYTES);
	(void)pending_key(app, id, key);
	r = srv_redis_set(app->redis, key, text, strlen(text), SRV_AUTHZ_REQUEST_TTL, 1);
out:
	free(text);
	json_decref(o);
	return r;
}

static void
pending_drop(struct srv_app *app, const char *id)
{
	char key[SRV_REDIS_KEY_MAX];

	if (id != NULL && pending_key(app, id, key) == 0 && srv_redis_del(app->redis, key) != 0)
		log_warn("authorize_pending_drop_failed", LEND);
}

static int
session_level(const json_t *data)
{
	const char *acr = json_string_value(json_object_get(data, "acr"));

	return acr != NULL && strcmp(acr, "urn:eid:level:2") == 0 ? 2 : 1;
}

/* The session from the cookie; 0 with s->data NULL when there is none. */
static int
load_session(struct srv_app *app, const struct srv_req *req, struct srv_session *s)
{
	char id[SRV_SESSION_ID_LEN];
	const char *cookie = srv_req_header(req, "cookie");
	int r;

	memset(s, 0, sizeof(*s));
	if (cookie == NULL || srv_session_cookie_id(app, cookie, id) != 0)
		return 0;
	r = srv_session_load(app, id, s);
	cx_wipe(id, sizeof(id));
	if (r == EID_ERR_NOT_FOUND) {
		memset(s, 0, sizeof(*s));
		return 0;
	}
	return r;
}

static void
audit(struct srv_app *app, const char *actor, const char *action, const char *subject,
    const char *outcome, const char *details)
{
	struct srv_audit_event e;
	int r;

	memset(&e, 0, sizeof(e));
	e.at = (int64_t)app->now();
	e.actor = (char *)actor;
	e.action = (char *)action;
	e.subject = (char *)subject;
	e.outcome = (char *)outcome;
	e.details = (char *)details;
	if ((r = srv_store_audit_append(app->store, &e)) != 0)
		log_warn("audit_append_failed", LS("action", action), LS("reason", eid_strerror(r)));
}

/* Remember that this client got a code through the session (back-channel logout). */
static int
session_add_client(struct srv_app *app, struct srv_session *s, const char *client_id)
{
	json_t *clients = json_object_get(s->data, "clients");
	json_t *v;
	size_t i;

	if (!json_is_array(clients)) {
		if (json_object_set_new(s->data, "clients", json_array()) != 0)
			return EID_ERR_NOMEM;
		clients = json_object_get(s->data, "clients");
	}
	json_array_foreach(clients, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), client_id) == 0)
			return 0;
	if (json_array_size(clients) >= 64 || json_array_append_new(clients, json_string(client_id)) != 0)
		return EID_ERR_NOMEM;
	return srv_session_save(app, s);
}

/* Issue a code for the session and send it to the client. */
static int
issue_code(struct srv_app *app, struct srv_resp *resp, const struct srv_authz_request *a,
    struct srv_session *s)
{
	char code[SRV_GRANT_TOKEN_LEN];
	json_t *grant;
	int r;

	grant = json_pack("{s:s,s:s,s:s,s:s,s:O,s:O,s:O,s:O}",
	    "client_id", a->client_id, "redirect_uri", a->redirect_uri, "scope", a->scope,
	    "code_challenge", a->code_challenge,
	    "account", json_object_get(s->data, "account"),
	    "acr", json_object_get(s->data, "acr"),
	    "amr", json_object_get(s->data, "amr"),
	    "auth_time", json_object_get(s->data, "auth_time"));
	if (grant == NULL)
		return EID_ERR_NOMEM;
	if ((a->nonce != NULL && json_object_set_new(grant, "nonce", json_string(a->nonce)) != 0) ||
	    (json_object_get(s->data, "sid") != NULL &&
	    json_object_set(grant, "sid", json_object_get(s->data, "sid")) != 0)) {
		json_decref(grant);
		return EID_ERR_NOMEM;
	}
	r = srv_code_issue(app, grant, code);
	json_decref(grant);
	if (r != 0)
		return r;
	if ((r = session_add_client(app, s, a->client_id)) != 0 && r != EID_ERR_NOT_FOUND) {
		cx_wipe(code, sizeof(code));
		return r;
	}
	log_info("authorize_code_issued", LS("client_id", a->client_id));
	r = srv_authz_respond(resp, a, app->cfg->issuer, code, NULL, NULL);
	cx_wipe(code, sizeof(code));
	return r;
}

static int
to_login(struct srv_app *app, struct srv_resp *resp, const struct srv_authz_request *a,
    const char *areq)
{
	struct cx_dynbuf loc;
	char rt[64 + AREQ_LEN];
	int r;

	cx_dynbuf_init(&loc, 2048);
	snprintf(rt, sizeof(rt), "/authorize?areq=%s", areq);
	r = cx_dynbuf_add_str(&loc, "/login?return_to=");
	r = r != 0 ? r : srv_pct_encode(&loc, rt, "/");
	if (r == 0 && a->ui_locales != NULL) {
		r = cx_dynbuf_add_str(&loc, "&ui_locales=");
		r = r != 0 ? r : srv_pct_encode(&loc, a->ui_locales, "");
	}
	if (r == 0 && a->login_hint != NULL) {
		r = cx_dynbuf_add_str(&loc, "&login_hint=");
		r = r != 0 ? r : srv_pct_encode(&loc, a->login_hint, "");
	}
	if (r == 0 && a->acr_level >= 2)
		r = cx_dynbuf_add_str(&loc, "&level=2");
	(void)app;
	r = r != 0 ? r : srv_web_redirect(resp, cx_dynbuf_str(&loc));
	resp->no_store = 1;
	cx_dynbuf_free(&loc);
	return r;
}

static enum srv_str
scope_string(const char *tok, size_t n)
{
	static const struct { const char *name; enum srv_str s; } map[] = {
		{ "openid", S_SCOPE_OPENID }, { "profile", S_SCOPE_PROFILE },
		{ "citizen_id", S_SCOPE_CITIZEN_ID }, { "address", S_SCOPE_ADDRESS },
		{ "phone", S_SCOPE_PHONE }, { "email", S_SCOPE_EMAIL },
		{ "offline_access", S_SCOPE_OFFLINE },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strlen(map[i].name) == n && strncmp(map[i].name, tok, n) == 0)
			return map[i].s;
	return S_STR_COUNT;
}

static int
consent_page(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp,
    const struct srv_authz_request *a, const struct srv_client *client, const char *areq)
{
	enum srv_lang lang = lang_for(req, a);
	char tok[SRV_CSRF_LEN];
	const char *args[6], *p;
	int r;

	if ((r = srv_web_csrf_token(app, req, resp, tok)) != 0)
		return r;
	r = srv_page_begin(resp, 200, lang, srv_str(lang, S_CONSENT_TITLE));
	args[0] = srv_str(lang, S_CONSENT_INTRO);
	args[1] = client->name;
	args[2] = srv_str(lang, S_CONSENT_LIST);
	r = r != 0 ? r : srv_tpl(&resp->body, "<p>{0}</p>\n<p class=\"client\" id=\"client-name\"><strong>{1}</strong></p>\n"
	    "<p>{2}</p>\n<ul class=\"scopes\" id=\"consent-scopes\">\n", args, 3);
	for (p = a->scope; r == 0 && *p != '\0';) {
		size_t n;
		enum srv_str s;

		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (n > 0 && (s = scope_string(p, n)) != S_STR_COUNT) {
			args[0] = srv_str(lang, s);
			r = srv_tpl(&resp->body, "<li>{0}</li>\n", args, 1);
		}
		p += n;
	}
	args[0] = tok;
	args[1] = areq;
	args[2] = srv_str(lang, S_LANG_CODE);
	args[3] = srv_str(lang, S_CONSENT_ALLOW);
	args[4] = srv_str(lang, S_CONSENT_DENY);
	args[5] = srv_str(lang, S_CONSENT_REMEMBER);
	r = r != 0 ? r : srv_tpl(&resp->body, "</ul>\n<form method=\"post\" action=\"/consent\">\n"
	    "<input type=\"hidden\" name=\"csrf\" value=\"{0}\">\n"
	    "<input type=\"hidden\" name=\"areq\" value=\"{1}\">\n"
	    "<input type=\"hidden\" name=\"lang\" value=\"{2}\">\n"
	    "<p class=\"hint\">{5}</p>\n"
	    "<div class=\"actions\">"
	    "<button type=\"submit\" name=\"decision\" value=\"allow\" id=\"consent-allow\">{3}</button>"
	    "<button type=\"submit\" name=\"decision\" value=\"deny\" id=\"consent-deny\" class=\"secondary\">{4}</button>"
	    "</div>\n</form>\n", args, 6);
	resp->no_store = 1;
	cx_wipe(tok, sizeof(tok));
	/* the answer to this form redirects to the portal: CSP form-action must allow it */
	free(resp->form_action);
	resp->form_action = r == 0 ? srv_authz_origin(a->redirect_uri) : NULL;
	return r != 0 ? r : srv_page_end(resp, lang, "/", NULL);
}

static int
load_client(struct srv_app *app, const char *client_id, struct srv_client **c)
{
	int r;

	*c = NULL;
	if (client_id == NULL || strlen(client_id) > 128)
		return 0;
	r = srv_oauth_client_get(app, client_id, c);   /* the per-thread client cache */
	if (r == EID_ERR_NOT_FOUND || r == EID_ERR_INVALID_ARGUMENT) {
		*c = NULL;
		return 0;
	}
	return r;
}

/* The rest of /authorize once the request is known to be good. */
static int
proceed(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp,
    struct srv_authz_request *a, const struct srv_client *client, const char *areq_in)
{
	struct srv_authz_session facts;
	struct srv_authz_error err;
	struct srv_session s;
	char areq[AREQ_LEN], *consented = NULL;
	const char *account;
	enum srv_authz_next next;
	int r;

	memset(&facts, 0, sizeof(facts));
	memset(&err, 0, sizeof(err));
	if ((r = load_session(app, req, &s)) != 0)
		return r;
	account = s.data != NULL ? json_string_value(json_object_get(s.data, "account")) : NULL;
	if (account != NULL) {
		facts.has_session = 1;
		facts.auth_time = (long long)json_integer_value(json_object_get(s.data, "auth_time"));
		facts.level = session_level(s.data);
		r = srv_store_consent_get(app->store, account, a->client_id, &consented);
		if (r != 0 && r != EID_ERR_NOT_FOUND)
			goto out;
		facts.consented_scope = consented;
	}
	next = srv_authz_decide(a, &facts, (long long)app->now(), &err);
	switch (next) {
	case SRV_AUTHZ_LOGIN:
	case SRV_AUTHZ_CONSENT:
		if (areq_in != NULL)
			snprintf(areq, sizeof(areq), "%s", areq_in);
		else if ((r = pending_save(app, a, areq)) != 0)
			goto out;
		if (next == SRV_AUTHZ_CONSENT)
			r = consent_page(app, req, resp, a, client, areq);
		else
			r = to_login(app, resp, a, areq);
		break;
	case SRV_AUTHZ_FAIL:
		log_info("authorize_refused", LS("client_id", a->client_id), LS("error", err.error));
		pending_drop(app, areq_in);
		r = srv_authz_respond(resp, a, app->cfg->issuer, NULL, err.error, err.description);
		break;
	case SRV_AUTHZ_ISSUE:
	default:
		r = issue_code(app, resp, a, &s);
		if (r == 0)
			pending_drop(app, areq_in);
		break;
	}
out:
	free(consented);
	srv_session_clear(&s);
	return r;
}

int
srv_handle_authorize(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp)
{
	const struct srv_kvlist *params = req->method == SRV_POST ? &req->form : &req->query;
	struct srv_authz_request a;
	struct srv_authz_error err;
	struct srv_client *client = NULL;
	const char *areq;
	size_t count = 0;
	int r;

	memset(&a, 0, sizeof(a));
	memset(&err, 0, sizeof(err));
	resp->no_store = 1;
	areq = srv_kvlist_get(params, "areq", &count);
	if (areq != NULL) {
		/* back from sign-in: the pending request, as it was checked */
		if (count != 1 || (r = pending_load(app, areq, &a)) == EID_ERR_NOT_FOUND) {
			r = error_page(resp, srv_pages_lang(req), SRV_AUTHZ_PAGE_EXPIRED);
			goto out;
		}
		if (r != 0)
			goto out;
		a.resumed = 1;
		if ((r = load_client(app, a.client_id, &client)) != 0)
			goto out;
		if (client == NULL || client->disabled) {
			r = error_page(resp, lang_for(req, &a), SRV_AUTHZ_PAGE_CLIENT);
			goto out;
		}
		r = proceed(app, req, resp, &a, client, areq);
		goto out;
	}
	if ((r = load_client(app, srv_kvlist_get(params, "client_id", NULL), &client)) != 0)
		goto out;
	r = srv_authz_parse(params, client, (long long)app->now(), &a, &err);
	if (r == EID_ERR_DENIED) {
		log_info("authorize_refused", LS("client_id", client != NULL ? client->client_id : "-"),
		    LS("error", err.error), LS("reason", err.description));
		if (!err.redirect)
			r = error_page(resp, lang_for(req, &a), err.page_reason);
		else
			r = srv_authz_respond(resp, &a, app->cfg->issuer, NULL, err.error, err.description);
		goto out;
	}
	if (r != 0)
		goto out;
	r = proceed(app, req, resp, &a, client, NULL);
out:
	srv_client_free(&client);
	srv_authz_request_clear(&a);
	return r;
}

int
srv_authorize_return_origin(struct srv_app *app, const char *return_to, char **origin)
{
	static const char prefix[] = "/authorize?areq=";
	struct srv_authz_request a;
	int r;

	*origin = NULL;
	if (return_to == NULL || strncmp(return_to, prefix, sizeof(prefix) - 1) != 0)
		return EID_ERR_NOT_FOUND;
	memset(&a, 0, sizeof(a));
	if ((r = pending_load(app, return_to + sizeof(prefix) - 1, &a)) == 0 &&
	    (*origin = srv_authz_origin(a.redirect_uri)) == NULL)
		r = EID_ERR_NOMEM;
	srv_authz_request_clear(&a);
	return r;
}

int
srv_handle_consent(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp)
{
	const char *areq = srv_kvlist_get(&req->form, "areq", NULL);
	const char *decision = srv_kvlist_get(&req->form, "decision", NULL);
	struct srv_authz_request a;
	struct srv_client *client = NULL;
	struct srv_session s;
	char *had = NULL, *scope = NULL;
	const char *account;
	int r;

	memset(&a, 0, sizeof(a));
	memset(&s, 0, sizeof(s));
	resp->no_store = 1;
	if (!srv_web_csrf_ok(app, req)) {
		r = srv_page_begin(resp, 403, srv_pages_lang(req), srv_str(srv_pages_lang(req), S_FORBIDDEN_TITLE));
		if (r == 0) {
			const char *args[] = { srv_str(srv_pages_lang(req), S_ERR_CSRF) };

			r = srv_tpl(&resp->body, "<p class=\"error\" role=\"alert\">{0}</p>\n", args, 1);
		}
		return r != 0 ? r : srv_page_end(resp, srv_pages_lang(req), "/", NULL);
	}
	if ((r = pending_load(app, areq, &a)) == EID_ERR_NOT_FOUND)
		return error_page(resp, srv_pages_lang(req), SRV_AUTHZ_PAGE_EXPIRED);
	if (r != 0)
		return r;
	if ((r = load_client(app, a.client_id, &client)) != 0)
		goto out;
	if (client == NULL || client->disabled) {
		r = error_page(resp, lang_for(req, &a), SRV_AUTHZ_PAGE_CLIENT);
		goto out;
	}
	a.resumed = 1;
	if ((r = load_session(app, req, &s)) != 0)
		goto out;
	account = s.data != NULL ? json_string_value(json_object_get(s.data, "account")) : NULL;
	if (account == NULL) {
		/* signed out meanwhile: sign in again, the request waits */
		r = to_login(app, resp, &a, areq);
		goto out;
	}
	if (decision == NULL || strcmp(decision, "allow") != 0) {
		audit(app, account, "consent.deny", a.client_id, "success", "{}");
		pending_drop(app, areq);
		r = srv_authz_respond(resp, &a, app->cfg->issuer, NULL, "access_denied",
		    "The citizen did not allow access.");
		goto out;
	}
	r = srv_store_consent_get(app->store, account, a.client_id, &had);
	if (r != 0 && r != EID_ERR_NOT_FOUND)
		goto out;
	if ((r = srv_scope_union(had, a.scope, &scope)) != 0 ||
	    (r = srv_store_consent_set(app->store, account, a.client_id, scope, (int64_t)app->now())) != 0)
		goto out;
	{
		json_t *d = json_pack("{s:s}", "scope", a.scope);
		char *text = d != NULL ? json_dumps(d, JSON_COMPACT) : NULL;

		audit(app, account, "consent.grant", a.client_id, "success", text != NULL ? text : "{}");
		free(text);
		json_decref(d);
	}
	/* a consent decided now satisfies prompt=consent for this request */
	a.prompt &= ~SRV_PROMPT_CONSENT;
	if ((r = issue_code(app, resp, &a, &s)) == 0)
		pending_drop(app, areq);
out:
	free(had);
	free(scope);
	srv_session_clear(&s);
	srv_client_free(&client);
	srv_authz_request_clear(&a);
	return r;
}

int
srv_handle_form_post_js(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp)
{
	(void)app;
	(void)req;
	resp->cache_max_age = 86400;
	return srv_resp_text(resp, 200, "text/javascript; charset=utf-8",
	    "document.addEventListener('DOMContentLoaded',function(){"
	    "var f=document.getElementById('form_post');if(f){f.submit();}});\n");
}
