/*
 * srv_handle_end_session.c - GET/POST /end_session (OpenID Connect RP-Initiated Logout 1.0).
 *
 *   parse    id_token_hint, client_id, post_logout_redirect_uri, state, ui_locales
 *   verify   the hint is an ID token we signed (expired is fine); its aud names the
 *            client; a client_id parameter must agree; post_logout_redirect_uri must be
 *            exactly one the client registered (else our page, never a redirect)
 *   decide   log out at once when the hint's sid is the browser's session (the relying
 *            party proves it holds that session's token) or when there is no session;
 *            otherwise ask the citizen (a CSRF-protected form), so a third party
 *            cannot sign a citizen out with a link
 *   respond  back to post_logout_redirect_uri with state, or our "signed out" page
 *
 * Ending the session also queues back-channel logout tokens for every relying party
 * the session signed in to (srv_backchannel), outside the request path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx_util.h"
#include "srv_app.h"
#include "srv_authorize.h"
#include "srv_log.h"
#include "srv_pages.h"
#include "srv_session.h"
#include "srv_tokens.h"
#include "srv_web.h"

#define HINT_MAX 16384

struct end_session_req {
	const char *hint, *client_id, *post_logout, *state, *ui_locales;
	int confirm;
};

static const char *
param1(const struct srv_kvlist *p, const char *name, int *bad)
{
	size_t count = 0;
	const char *v = srv_kvlist_get(p, name, &count);

	if (count > 1)
		*bad = 1;
	return v;
}

static const char *
hint_aud(const json_t *claims)
{
	const json_t *aud = json_object_get(claims, "aud");

	if (json_is_string(aud))
		return json_string_value(aud);
	if (json_is_array(aud) && json_array_size(aud) == 1)
		return json_string_value(json_array_get(aud, 0));
	return json_string_value(json_object_get(claims, "azp"));
}

static int
page(struct srv_resp *resp, unsigned status, enum srv_lang lang, enum srv_str title,
    enum srv_str msg, int error)
{
	const char *a[] = { srv_str(lang, msg) };
	int r;

	r = srv_page_begin(resp, status, lang, srv_str(lang, title));
	r = r != 0 ? r : srv_tpl(&resp->body, error ?
	    "<p class=\"error\" role=\"alert\" id=\"logout-message\">{0}</p>\n" :
	    "<p id=\"logout-message\" role=\"status\">{0}</p>\n", a, 1);
	resp->no_store = 1;
	return r != 0 ? r : srv_page_end(resp, lang, "/", NULL);
}

static int
hidden(struct srv_resp *resp, const char *name, const char *value)
{
	const char *a[] = { name, value };

	if (value == NULL)
		return 0;
	return srv_tpl(&resp->body, "<input type=\"hidden\" name=\"{0}\" value=\"{1}\">\n", a, 2);
}

static int
confirm_page(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp,
    enum srv_lang lang, const struct end_session_req *e)
{
	char tok[SRV_CSRF_LEN];
	const char *a[3];
	int r;

	if ((r = srv_web_csrf_token(app, req, resp, tok)) != 0)
		return r;
	r = srv_page_begin(resp, 200, lang, srv_str(lang, S_LOGOUT_TITLE));
	a[0] = srv_str(lang, S_LOGOUT_CONFIRM);
	a[1] = tok;
	a[2] = srv_str(lang, S_LANG_CODE);
	r = r != 0 ? r : srv_tpl(&resp->body, "<p>{0}</p>\n<form method=\"post\" action=\"/end_session\">\n"
	    "<input type=\"hidden\" name=\"csrf\" value=\"{1}\">\n"
	    "<input type=\"hidden\" name=\"lang\" value=\"{2}\">\n"
	    "<input type=\"hidden\" name=\"confirm\" value=\"yes\">\n", a, 3);
	r = r != 0 ? r : hidden(resp, "id_token_hint", e->hint);
	r = r != 0 ? r : hidden(resp, "client_id", e->client_id);
	r = r != 0 ? r : hidden(resp, "post_logout_redirect_uri", e->post_logout);
	r = r != 0 ? r : hidden(resp, "state", e->state);
	a[0] = srv_str(lang, S_LOGOUT);
	r = r != 0 ? r : srv_tpl(&resp->body, "<button type=\"submit\" id=\"logout-confirm\">{0}</button>\n</form>\n", a, 1);
	resp->no_store = 1;
	cx_wipe(tok, sizeof(tok));
	/* the answer redirects to the (checked) post_logout_redirect_uri: allow it in CSP */
	if (r == 0 && e->post_logout != NULL) {
		free(resp->form_action);
		resp->form_action = srv_authz_origin(e->post_logout);
	}
	return r != 0 ? r : srv_page_end(resp, lang, "/", NULL);
}

/* End the browser's session: back-channel logouts queued, Redis entry gone, cookie cleared. */
static int
end_session(struct srv_app *app, struct srv_resp *resp, struct srv_session *s)
{
	int r;

	if (s->data != NULL) {
		srv_session_ended(app, s->data);
		if ((r = srv_session_destroy(app, s->id)) != 0)
			return r;
		log_info("logout", LS("via", "end_session"));
	}
	return srv_web_set_cookie(app, resp, SRV_SESSION_COOKIE, "", "SameSite=Lax; Max-Age=0");
}

static int
back_to_client(struct srv_resp *resp, const char *uri, const char *state)
{
	struct cx_dynbuf loc;
	int r;

	cx_dynbuf_init(&loc, 8192);
	r = cx_dynbuf_add_str(&loc, uri);
	if (r == 0 && state != NULL) {
		r = cx_dynbuf_add_str(&loc, strchr(uri, '?') != NULL ? "&state=" : "?state=");
		r = r != 0 ? r : srv_pct_encode(&loc, state, "");
	}
	r = r != 0 ? r : srv_web_redirect(resp, cx_dynbuf_str(&loc));
	resp->no_store = 1;
	cx_dynbuf_free(&loc);
	return r;
}

int
srv_handle_end_session(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp)
{
	const struct srv_kvlist *params = req->method == SRV_POST ? &req->form : &req->query;
	struct end_session_req e;
	struct srv_client *client = NULL;
	struct srv_session s;
	json_t *hint = NULL;
	char sid_cookie[SRV_SESSION_ID_LEN];
	const char *cookie = srv_req_header(req, "cookie"), *aud = NULL, *hsid, *ssid;
	enum srv_lang lang = srv_pages_lang(req);
	int r, bad = 0, l, matched = 0;

	memset(&e, 0, sizeof(e));
	memset(&s, 0, sizeof(s));
	resp->no_store = 1;
	e.hint = param1(params, "id_token_hint", &bad);
	e.client_id = param1(params, "client_id", &bad);
	e.post_logout = param1(params, "post_logout_redirect_uri", &bad);
	e.state = param1(params, "state", &bad);
	e.ui_locales = param1(params, "ui_locales", &bad);
	e.confirm = req->method == SRV_POST && srv_kvlist_get(params, "confirm", NULL) != NULL;
	if (e.ui_locales != NULL && (l = srv_pages_ui_locales(e.ui_locales)) >= 0)
		lang = (enum srv_lang)l;
	if (bad || (e.hint != NULL && strlen(e.hint) > HINT_MAX) ||
	    (e.state != NULL && strlen(e.state) > 512)) {
		r = page(resp, 400, lang, S_AUTHZ_ERROR_TITLE, S_AUTHZ_ERR_CLIENT, 1);
		goto out;
	}
	if (e.confirm && !srv_web_csrf_ok(app, req)) {
		r = page(resp, 403, lang, S_FORBIDDEN_TITLE, S_ERR_CSRF, 1);
		goto out;
	}

	/* verify: the hint, and the client it names */
	if (e.hint != NULL) {
		r = srv_tokens_verify_id_hint(app, e.hint, &hint);
		if (r == EID_ERR_NOMEM)
			goto out;
		if (r != 0) {
			log_info("end_session_bad_hint", LS("reason", eid_strerror(r)));
			r = page(resp, 400, lang, S_AUTHZ_ERROR_TITLE, S_AUTHZ_ERR_CLIENT, 1);
			goto out;
		}
		aud = hint_aud(hint);
	}
	if (e.client_id != NULL && aud != NULL && strcmp(e.client_id, aud) != 0) {
		r = page(resp, 400, lang, S_AUTHZ_ERROR_TITLE, S_AUTHZ_ERR_CLIENT, 1);
		goto out;
	}
	if (aud == NULL)
		aud = e.client_id;
	if (aud != NULL && strlen(aud) <= 128) {
		r = srv_store_client_get(app->store, aud, &client);
		if (r != 0 && r != EID_ERR_NOT_FOUND && r != EID_ERR_INVALID_ARGUMENT)
			goto out;
		if (r != 0)
			client = NULL;
	}
	if (e.post_logout != NULL && (client == NULL || client->disabled ||
	    !srv_client_metadata_has(client, "post_logout_redirect_uris", e.post_logout))) {
		log_info("end_session_bad_redirect", LS("client_id", aud != NULL ? aud : "-"));
		r = page(resp, 400, lang, S_AUTHZ_ERROR_TITLE, S_AUTHZ_ERR_REDIRECT, 1);
		goto out;
	}

	/* the browser's session */
	if (cookie != NULL && srv_session_cookie_id(app, cookie, sid_cookie) == 0) {
		r = srv_session_load(app, sid_cookie, &s);
		cx_wipe(sid_cookie, sizeof(sid_cookie));
		if (r == EID_ERR_NOT_FOUND)
			memset(&s, 0, sizeof(s));
		else if (r != 0)
			goto out;
	}
	hsid = hint != NULL ? json_string_value(json_object_get(hint, "sid")) : NULL;
	ssid = s.data != NULL ? json_string_value(json_object_get(s.data, "sid")) : NULL;
	matched = hsid != NULL && ssid != NULL && cx_ct_streq(hsid, ssid);

	/* decide */
	if (s.data != NULL && !matched && !e.confirm) {
		r = confirm_page(app, req, resp, lang, &e);
		goto out;
	}
	if ((r = end_session(app, resp, &s)) != 0)
		goto out;
	if (e.post_logout != NULL)
		r = back_to_client(resp, e.post_logout, e.state);
	else
		r = page(resp, 200, lang, S_LOGOUT_TITLE, S_LOGGED_OUT, 0);
out:
	json_decref(hint);
	srv_client_free(&client);
	srv_session_clear(&s);
	return r;
}
