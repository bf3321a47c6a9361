/*
 * srv_handle_login.c - citizen sign-in pages: GET/POST /login (level 1: ID number,
 * password, one-time code), POST /logout, and the stylesheet /static/eid.css.
 *
 * CSRF protection is a double-submit token: a random value in the __Host-eid_csrf
 * cookie (SameSite=Strict) that every form repeats in a hidden field; the two are
 * compared in constant time. The session id is new at every sign-in (the old session,
 * if any, is destroyed first), so a planted cookie can never become a signed-in one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cx_util.h"
#include "srv_app.h"
#include "srv_auth_password.h"
#include "srv_log.h"
#include "srv_pages.h"
#include "srv_session.h"
#include "srv_signin.h"
#include "srv_web.h"

static int
render_login(struct srv_resp *resp, unsigned status, enum srv_lang lang, const char *csrf,
    const char *return_to, const char *username, int error)
{
	const char *a[10];
	int r;

	r = srv_page_begin(resp, status, lang, srv_str(lang, S_LOGIN_TITLE));
	if (r == 0 && error >= 0) {
		a[0] = srv_str(lang, (enum srv_str)error);
		r = srv_tpl(&resp->body, "<p class=\"error\" id=\"login-error\" role=\"alert\">{0}</p>\n", a, 1);
	}
	a[0] = srv_str(lang, S_LOGIN_INTRO);
	a[1] = csrf;
	a[2] = return_to;
	a[3] = srv_str(lang, S_LANG_CODE);
	a[4] = srv_str(lang, S_ID_LABEL);
	a[5] = srv_str(lang, S_ID_HINT);
	a[6] = username != NULL ? username : "";
	a[7] = error >= 0 ? "true" : "false";
	r = r != 0 ? r : srv_tpl(&resp->body,
	    "<p>{0}</p>\n"
	    "<form method=\"post\" action=\"/login\" novalidate>\n"
	    "<input type=\"hidden\" name=\"csrf\" value=\"{1}\">\n"
	    "<input type=\"hidden\" name=\"return_to\" value=\"{2}\">\n"
	    "<input type=\"hidden\" name=\"lang\" value=\"{3}\">\n"
	    "<label for=\"username\">{4}</label>\n"
	    "<input id=\"username\" name=\"username\" type=\"text\" value=\"{6}\" required "
	    "autocomplete=\"username webauthn\" inputmode=\"numeric\" pattern=\"[0-9]{{12}\" "
	    "maxlength=\"12\" spellcheck=\"false\" autocapitalize=\"off\" aria-invalid=\"{7}\" "
	    "aria-describedby=\"username-hint\">\n"
	    "<p class=\"hint\" id=\"username-hint\">{5}</p>\n", a, 8);
	a[0] = srv_str(lang, S_PASSWORD_LABEL);
	a[1] = srv_str(lang, S_OTP_LABEL);
	a[2] = srv_str(lang, S_OTP_HINT);
	a[3] = srv_str(lang, S_SUBMIT);
	a[4] = error >= 0 ? "true" : "false";
	r = r != 0 ? r : srv_tpl(&resp->body,
	    "<label for=\"password\">{0}</label>\n"
	    "<input id=\"password\" name=\"password\" type=\"password\" required "
	    "autocomplete=\"current-password\" aria-invalid=\"{4}\">\n"
	    "<label for=\"otp\">{1}</label>\n"
	    "<input id=\"otp\" name=\"otp\" type=\"text\" required autocomplete=\"one-time-code\" "
	    "inputmode=\"numeric\" pattern=\"[0-9]{{6}\" maxlength=\"6\" aria-invalid=\"{4}\" "
	    "aria-describedby=\"otp-hint\">\n"
	    "<p class=\"hint\" id=\"otp-hint\">{2}</p>\n"
	    "<button type=\"submit\">{3}</button>\n"
	    "</form>\n", a, 5);
	/* level 2: chip-card sign-in (srv_handle_card.c) */
	a[0] = return_to;
	a[1] = srv_str(lang, S_LANG_CODE);
	a[2] = srv_str(lang, S_CARD_LOGIN_LINK);
	r = r != 0 ? r : srv_tpl(&resp->body,
	    "<form method=\"get\" action=\"/login/card\" id=\"card-login-link\">\n"
	    "<input type=\"hidden\" name=\"return_to\" value=\"{0}\">\n"
	    "<input type=\"hidden\" name=\"ui_locales\" value=\"{1}\">\n"
	    "<button type=\"submit\" class=\"secondary\">{2}</button>\n"
	    "</form>\n", a, 3);
	/* passkeys (shown by /static/passkey.js where WebAuthn exists; conditional UI too) */
	a[0] = srv_str(lang, S_PASSKEY_USE);
	a[1] = srv_str(lang, S_PASSKEY_FAILED);
	r = r != 0 ? r : srv_tpl(&resp->body,
	    "<button type=\"button\" id=\"passkey-signin\" class=\"secondary\" hidden>{0}</button>\n"
	    "<p class=\"error\" id=\"passkey-error\" role=\"alert\" hidden>{1}</p>\n"
	    "<script src=\"/static/passkey.js\" defer></script>\n", a, 2);
	return r != 0 ? r : srv_page_end(resp, lang, "/login", return_to);
}

static int
render_message(struct srv_resp *resp, unsigned status, enum srv_lang lang, enum srv_str title,
    enum srv_str msg)
{
	const char *a[] = { srv_str(lang, msg), srv_str(lang, S_RELOAD), srv_str(lang, S_LANG_CODE) };
	int r;

	r = srv_page_begin(resp, status, lang, srv_str(lang, title));
	r = r != 0 ? r : srv_tpl(&resp->body,
	    "<p class=\"error\" role=\"alert\">{0}</p>\n<p><a href=\"/login?ui_locales={2}\">{1}</a></p>\n",
	    a, 3);
	return r != 0 ? r : srv_page_end(resp, lang, "/login", NULL);
}

/* After sign-in the browser is redirected on to the portal: CSP form-action must allow it. */
static void
allow_portal_origin(struct srv_app *app, struct srv_resp *resp, const char *return_to)
{
	char *origin = NULL;

	if (srv_authorize_return_origin(app, return_to, &origin) == 0) {
		free(resp->form_action);
		resp->form_action = origin;
	}
}

static int
login_get(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp)
{
	char tok[SRV_CSRF_LEN];
	int r;

	const char *hint = srv_kvlist_get(&req->query, "login_hint", NULL);
	const char *level = srv_kvlist_get(&req->query, "level", NULL);
	const char *return_to;
	size_t i;

	/* login_hint (OIDC Core 3.1.2.1) fills the ID number when it looks like one */
	for (i = 0; hint != NULL && hint[i] != '\0'; i++)
		if (hint[i] < '0' || hint[i] > '9')
			hint = NULL;
	if (hint != NULL && i != 12)
		hint = NULL;
	return_to = srv_signin_safe_return_to(srv_kvlist_get(&req->query, "return_to", NULL));
	allow_portal_origin(app, resp, return_to);
	if ((r = srv_web_csrf_token(app, req, resp, tok)) == 0)
		r = render_login(resp, 200, srv_pages_lang(req), tok, return_to, hint,
		    level != NULL && strcmp(level, "2") == 0 ? (int)S_LEVEL2_NEEDED : -1);
	cx_wipe(tok, sizeof(tok));
	return r;
}

/* A fresh session for account_id at level 1 (password + one-time code). */
static int
start_session(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp,
    const char *account_id)
{
	static const char *const amr[] = { "pwd", "otp" };

	return srv_signin_start(app, req, resp, account_id, "urn:eid:level:1", amr, 2);
}

static int
login_post(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp)
{
	enum srv_lang lang = srv_pages_lang(req);
	const char *username = srv_kvlist_get(&req->form, "username", NULL);
	const char *return_to = srv_signin_safe_return_to(srv_kvlist_get(&req->form, "return_to", NULL));
	struct srv_auth_result res;
	char tok[SRV_CSRF_LEN];
	int r;

	if (!srv_web_csrf_ok(app, req)) {
		log_info("login_csrf_refused", LS("remote", req->remote_ip));
		return render_message(resp, 403, lang, S_FORBIDDEN_TITLE, S_ERR_CSRF);
	}
	r = srv_auth_password(app, username, srv_kvlist_get(&req->form, "password", NULL),
	    srv_kvlist_get(&req->form, "otp", NULL), req->remote_ip, &res);
	if (r != 0)
		return r;
	switch (res.outcome) {
	case SRV_AUTH_OK:
		if ((r = start_session(app, req, resp, res.account_id)) != 0)
			return r;
		log_info("login_ok", LS("account", res.account_id), LS("acr", "urn:eid:level:1"));
		return srv_web_redirect(resp, return_to);
	case SRV_AUTH_THROTTLED:
		log_info("login_throttled", LS("remote", req->remote_ip));
		allow_portal_origin(app, resp, return_to);
		if ((r = srv_web_csrf_token(app, req, resp, tok)) == 0)
			r = render_login(resp, 429, lang, tok, return_to, NULL, S_ERR_THROTTLED);
		if (r == 0) {
			char ra[16];

			snprintf(ra, sizeof(ra), "%u", res.retry_after > 0 ? res.retry_after : 1);
			r = srv_resp_header(resp, "Retry-After", ra);
		}
		break;
	case SRV_AUTH_FAILED:
	default:
		log_info("login_failed", LS("remote", req->remote_ip));
		allow_portal_origin(app, resp, return_to);
		/* keep the typed ID number only if it looks like one (it is echoed, escaped) */
		if ((r = srv_web_csrf_token(app, req, resp, tok)) == 0)
			r = render_login(resp, 401, lang, tok, return_to,
			    username != NULL && strlen(username) <= 12 ? username : NULL, S_ERR_CREDENTIALS);
		break;
	}
	cx_wipe(tok, sizeof(tok));
	return r;
}

int
srv_handle_login(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp)
{
	if (req->method == SRV_POST)
		return login_post(app, req, resp);
	return login_get(app, req, resp);
}

int
srv_handle_logout(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp)
{
	const char *cookie = srv_req_header(req, "cookie");
	char id[SRV_SESSION_ID_LEN];
	struct srv_session s;
	int r;

	if (!srv_web_csrf_ok(app, req))
		return render_message(resp, 403, srv_pages_lang(req), S_FORBIDDEN_TITLE, S_ERR_CSRF);
	if (cookie != NULL && srv_session_cookie_id(app, cookie, id) == 0) {
		/* the relying parties it signed in to hear of it (back-channel logout) */
		memset(&s, 0, sizeof(s));
		r = srv_session_load(app, id, &s);
		if (r == 0)
			srv_session_ended(app, s.data);
		srv_session_clear(&s);
		if (r == 0 || r == EID_ERR_NOT_FOUND)
			r = srv_session_destroy(app, id);
		cx_wipe(id, sizeof(id));
		if (r != 0)
			return r;
		log_info("logout", LS("via", "logout"));
	}
	if ((r = srv_web_set_cookie(app, resp, SRV_SESSION_COOKIE, "", "SameSite=Lax; Max-Age=0")) != 0)
		return r;
	return srv_web_redirect(resp, "/");
}

int
srv_handle_static_css(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp)
{
	(void)app;
	(void)req;
	resp->cache_max_age = 86400;
	return srv_resp_text(resp, 200, "text/css; charset=utf-8", srv_pages_css);
}
