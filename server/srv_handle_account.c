/*
 * srv_handle_account.c - the citizen's account page and its actions (see
 * srv_handle_account.h). Everything shown is the signed-in account's own; every action
 * names the account from the session, never from the form.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cx_util.h"
#include "srv_grants.h"
#include "srv_handle_account.h"
#include "srv_handle_passkey.h"
#include "srv_log.h"
#include "srv_pages.h"
#include "srv_signin.h"
#include "srv_web.h"

static void
audit(struct srv_app *app, const char *account, const char *action, const char *subject,
    const char *details)
{
	struct srv_audit_event e;
	int r;

	memset(&e, 0, sizeof(e));
	e.at = (int64_t)app->now();
	e.actor = (char *)account;
	e.action = (char *)action;
	e.subject = (char *)subject;
	e.outcome = "success";
	e.details = (char *)details;
	if ((r = srv_store_audit_append(app->store, &e)) != 0)
		log_warn("audit_append_failed", LS("action", action), LS("reason", eid_strerror(r)));
}

static void
fmt_time(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL || strftime(out, 32, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(out, 32, "-");
}

static int
render_forbidden(struct srv_resp *resp, enum srv_lang lang)
{
	const char *a[] = { srv_str(lang, S_ERR_CSRF), srv_str(lang, S_ACCOUNT_TITLE),
	    srv_str(lang, S_LANG_CODE) };
	int r;

	r = srv_page_begin(resp, 403, lang, srv_str(lang, S_FORBIDDEN_TITLE));
	r = r != 0 ? r : srv_tpl(&resp->body,
	    "<p class=\"error\" role=\"alert\">{0}</p>\n"
	    "<p><a href=\"/account?ui_locales={2}\">{1}</a></p>\n", a, 3);
	return r != 0 ? r : srv_page_end(resp, lang, "/account", NULL);
}

/* The localized description of one scope value (unknown ones as they are). */
static const char *
scope_text(enum srv_lang lang, const char *s, size_t n)
{
	static const struct { const char *name; enum srv_str str; } known[] = {
		{ "openid", S_SCOPE_OPENID }, { "profile", S_SCOPE_PROFILE },
		{ "citizen_id", S_SCOPE_CITIZEN_ID }, { "address", S_SCOPE_ADDRESS },
		{ "phone", S_SCOPE_PHONE }, { "email", S_SCOPE_EMAIL },
		{ "offline_access", S_SCOPE_OFFLINE },
	};
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strlen(known[i].name) == n && memcmp(known[i].name, s, n) == 0)
			return srv_str(lang, known[i].str);
	return NULL;
}

/* "<ul class=scopes><li>...</li></ul>" for a space-separated scope value. */
static int
add_scopes(struct cx_dynbuf *b, enum srv_lang lang, const char *scope)
{
	const char *p = scope != NULL ? scope : "";
	char raw[128];
	int r;

	r = srv_tpl(b, "<ul class=\"scopes\">", NULL, 0);
	while (r == 0 && *p != '\0') {
		size_t n;
		const char *t, *a[1];

		p += strspn(p, " ");
		if ((n = strcspn(p, " ")) == 0)
			break;
		if ((t = scope_text(lang, p, n)) == NULL) {
			snprintf(raw, sizeof(raw), "%.*s", (int)(n < 100 ? n : 100), p);
			t = raw;
		}
		a[0] = t;
		r = srv_tpl(b, "<li>{0}</li>", a, 1);
		p += n;
	}
	return r != 0 ? r : srv_tpl(b, "</ul>", NULL, 0);
}

/* A hidden csrf + lang pair, for every form on the page. */
static int
add_form_fields(struct cx_dynbuf *b, enum srv_lang lang, const char *csrf)
{
	const char *a[] = { csrf, srv_str(lang, S_LANG_CODE) };

	return srv_tpl(b, "<input type=\"hidden\" name=\"csrf\" value=\"{0}\">"
	    "<input type=\"hidden\" name=\"lang\" value=\"{1}\">", a, 2);
}

static int
render_passkeys(struct cx_dynbuf *b, enum srv_lang lang, const char *csrf,
    struct srv_passkey **keys, size_t n, int fresh)
{
	const char *a[8];
	char created[32], used[32], id[24];
	size_t i;
	int r;

	a[0] = srv_str(lang, S_PASSKEYS_TITLE);
	r = srv_tpl(b, "<section id=\"passkeys\"><h2>{0}</h2>\n", a, 1);
	if (r == 0 && n == 0) {
		a[0] = srv_str(lang, S_PASSKEYS_NONE);
		r = srv_tpl(b, "<p id=\"passkeys-none\">{0}</p>\n", a, 1);
	}
	if (r == 0 && n > 0)
		r = srv_tpl(b, "<ul class=\"passkeys\">\n", NULL, 0);
	for (i = 0; r == 0 && i < n; i++) {
		fmt_time(keys[i]->created_at, created);
		fmt_time(keys[i]->last_used_at, used);
		snprintf(id, sizeof(id), "%lld", (long long)keys[i]->id);
		a[0] = id;
		a[1] = keys[i]->name;
		a[2] = srv_str(lang, S_PASSKEY_CREATED);
		a[3] = created;
		a[4] = srv_str(lang, S_PASSKEY_LAST_USED);
		a[5] = keys[i]->last_used_at > 0 ? used : srv_str(lang, S_PASSKEY_NEVER);
		a[6] = keys[i]->cloned ? srv_str(lang, S_PASSKEY_CLONED) : NULL;
		r = srv_tpl(b, "<li class=\"passkey\" data-id=\"{0}\"><strong>{1}</strong><br>"
		    "{2}: {3}<br>{4}: <span class=\"last-used\">{5}</span>", a, 7);
		if (r == 0 && keys[i]->cloned)
			r = srv_tpl(b, "<br><span class=\"error\">{6}</span>", a, 7);
		r = r != 0 ? r : srv_tpl(b, "\n<form method=\"post\" action=\"/account/passkey/remove\">",
		    NULL, 0);
		r = r != 0 ? r : add_form_fields(b, lang, csrf);
		a[1] = srv_str(lang, S_PASSKEY_REMOVE);
		r = r != 0 ? r : srv_tpl(b, "<input type=\"hidden\" name=\"id\" value=\"{0}\">"
		    "<button type=\"submit\" class=\"secondary\">{1}</button></form></li>\n", a, 2);
	}
	if (r == 0 && n > 0)
		r = srv_tpl(b, "</ul>\n", NULL, 0);
	if (!fresh) {
		/* adding a passkey needs a recent sign-in (srv_passkey_session_fresh) */
		a[0] = srv_str(lang, S_PASSKEY_REAUTH);
		a[1] = srv_passkey_reauth_link(lang);
		a[2] = srv_str(lang, S_PASSKEY_REAUTH_LINK);
		return r != 0 ? r : srv_tpl(b, "<p id=\"passkey-reauth\">{0} "
		    "<a href=\"{1}\" id=\"passkey-reauth-link\">{2}</a></p>\n</section>\n", a, 3);
	}
	a[0] = srv_str(lang, S_PASSKEY_NAME_LABEL);
	a[1] = srv_str(lang, S_PASSKEY_ADD);
	a[2] = srv_str(lang, S_PASSKEY_FAILED);
	return r != 0 ? r : srv_tpl(b,
	    "<div id=\"passkey-add-box\" hidden><label for=\"passkey_name\">{0}</label>"
	    "<input id=\"passkey_name\" name=\"passkey_name\" type=\"text\" maxlength=\"64\" "
	    "autocomplete=\"off\"><button type=\"button\" id=\"passkey-add\">{1}</button></div>\n"
	    "<p class=\"error\" id=\"passkey-error\" role=\"alert\" hidden>{2}</p>\n</section>\n", a, 3);
}

static int
render_consents(struct cx_dynbuf *b, enum srv_lang lang, const char *csrf,
    struct srv_consent **v, size_t n)
{
	const char *a[4];
	char since[32];
	size_t i;
	int r;

	a[0] = srv_str(lang, S_CONSENTS_TITLE);
	r = srv_tpl(b, "<section id=\"consents\"><h2>{0}</h2>\n", a, 1);
	if (r == 0 && n == 0) {
		a[0] = srv_str(lang, S_CONSENTS_NONE);
		r = srv_tpl(b, "<p>{0}</p>\n", a, 1);
	}
	for (i = 0; r == 0 && i < n; i++) {
		fmt_time(v[i]->granted_at, since);
		a[0] = v[i]->client_id;
		a[1] = v[i]->client_name != NULL ? v[i]->client_name : v[i]->client_id;
		a[2] = srv_str(lang, S_CONSENT_SINCE);
		a[3] = since;
		r = srv_tpl(b, "<div class=\"consent\" data-client=\"{0}\"><h3>{1}</h3>", a, 4);
		r = r != 0 ? r : add_scopes(b, lang, v[i]->scope);
		r = r != 0 ? r : srv_tpl(b, "<p class=\"hint\">{2}: {3}</p>"
		    "<form method=\"post\" action=\"/account/consent/revoke\">", a, 4);
		r = r != 0 ? r : add_form_fields(b, lang, csrf);
		a[1] = srv_str(lang, S_CONSENT_REVOKE);
		r = r != 0 ? r : srv_tpl(b, "<input type=\"hidden\" name=\"client_id\" value=\"{0}\">"
		    "<button type=\"submit\" class=\"secondary\">{1}</button></form></div>\n", a, 2);
	}
	return r != 0 ? r : srv_tpl(b, "</section>\n", NULL, 0);
}

/* The text of one audit event for the citizen, and whether a portal name follows (1: the
 * event's subject names it, 2: its actor) and the scope's attributes. */
static enum srv_str
event_text(const struct srv_audit_event *e, int *with_client, int *with_scope)
{
	int ok = e->outcome != NULL && strcmp(e->outcome, "success") == 0;
	const char *a = e->action;

	*with_client = *with_scope = 0;
	if (strcmp(a, "card.login") == 0)
		return ok ? S_HIST_LOGIN_CARD : S_HIST_LOGIN_FAILED;
	if (strncmp(a, "login.", 6) == 0) {
		if (!ok)
			return S_HIST_LOGIN_FAILED;
		if (strcmp(a, "login.passkey") == 0)
			return S_HIST_LOGIN_PASSKEY;
		return S_HIST_LOGIN_PASSWORD;
	}
	if (strcmp(a, "consent.grant") == 0) {
		*with_client = *with_scope = 1;
		return S_HIST_RELEASE;
	}
	/* the portal (the actor) received the attributes of the scope at a code exchange */
	if (strcmp(a, "data.release") == 0) {
		*with_client = 2;
		*with_scope = 1;
		return S_HIST_RELEASE;
	}
	/* a bank or an airport (the actor) verified this citizen's chip card */
	if (strcmp(a, "document.verify") == 0) {
		*with_client = 2;
		return S_HIST_DOC_VERIFIED;
	}
	if (strcmp(a, "consent.deny") == 0 || strcmp(a, "consent.revoke") == 0) {
		*with_client = 1;
		return a[8] == 'd' ? S_HIST_DENY : S_HIST_REVOKE;
	}
	if (strcmp(a, "passkey.register") == 0 && ok)
		return S_HIST_PASSKEY_ADDED;
	if (strcmp(a, "passkey.remove") == 0)
		return S_HIST_PASSKEY_REMOVED;
	if (strcmp(a, "passkey.cloned") == 0)
		return S_HIST_PASSKEY_CLONED;
	if (strcmp(a, "session.end_all") == 0)
		return S_HIST_SIGNOUT_ALL;
	return S_HIST_OTHER;
}

static int
render_history(struct srv_app *app, struct cx_dynbuf *b, enum srv_lang lang,
    struct srv_audit_event **v, size_t n)
{
	const char *a[4];
	char at[32];
	size_t i;
	int r, with_client, with_scope;

	a[0] = srv_str(lang, S_HISTORY_TITLE);
	r = srv_tpl(b, "<section id=\"history\"><h2>{0}</h2>\n", a, 1);
	if (r == 0 && n == 0) {
		a[0] = srv_str(lang, S_HISTORY_NONE);
		r = srv_tpl(b, "<p>{0}</p>\n", a, 1);
	}
	if (r == 0 && n > 0)
		r = srv_tpl(b, "<ul class=\"history\">\n", NULL, 0);
	for (i = 0; r == 0 && i < n; i++) {
		struct srv_client *c = NULL;
		const char *who;
		json_t *d = NULL;

		fmt_time(v[i]->at, at);
		a[0] = at;
		a[1] = srv_str(lang, event_text(v[i], &with_client, &with_scope));
		a[2] = v[i]->action;
		r = srv_tpl(b, "<li data-action=\"{2}\"><time>{0}</time> {1}", a, 3);
		who = with_client == 2 ? v[i]->actor : v[i]->subject;
		if (r == 0 && with_client && who != NULL) {
			/* who: the portal's display name while it is registered */
			int rc = srv_store_client_get(app->store, who, &c);

			if (rc != 0 && rc != EID_ERR_NOT_FOUND && rc != EID_ERR_INVALID_ARGUMENT)
				r = rc;
			a[0] = c != NULL && c->name != NULL ? c->name : who;
			r = r != 0 ? r : srv_tpl(b, " <strong>{0}</strong>", a, 1);
			srv_client_free(&c);
		}
		if (r == 0 && with_scope && v[i]->details != NULL &&
		    (d = json_loads(v[i]->details, JSON_REJECT_DUPLICATES, NULL)) != NULL)
			r = add_scopes(b, lang, json_string_value(json_object_get(d, "scope")));
		json_decref(d);
		r = r != 0 ? r : srv_tpl(b, "</li>\n", NULL, 0);
	}
	if (r == 0 && n > 0)
		r = srv_tpl(b, "</ul>\n", NULL, 0);
	return r != 0 ? r : srv_tpl(b, "</section>\n", NULL, 0);
}

int
srv_handle_account(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp)
{
	enum srv_lang lang = srv_pages_lang(req);
	struct srv_session s;
	struct srv_citizen *c = NULL;
	struct srv_passkey **keys = NULL;
	struct srv_consent **cons = NULL;
	struct srv_audit_event **ev = NULL;
	size_t nkeys = 0, ncons = 0, nev = 0;
	char tok[SRV_CSRF_LEN];
	const char *account, *a[6];
	int r;

	if ((r = srv_signin_current(app, req, &s)) == EID_ERR_NOT_FOUND)
		return srv_web_redirect(resp, "/login?return_to=%2Faccount");
	if (r != 0)
		return r;
	account = json_string_value(json_object_get(s.data, "account"));
	if ((r = srv_store_citizen_get(app->store, account, &c)) == EID_ERR_NOT_FOUND) {
		r = srv_web_redirect(resp, "/login?return_to=%2Faccount");
		goto out;
	}
	if (r != 0 ||
	    (r = srv_store_passkey_list(app->store, account, &keys, &nkeys)) != 0 ||
	    (r = srv_store_consent_list(app->store, account, &cons, &ncons)) != 0 ||
	    (r = srv_store_audit_list_account(app->store, account, SRV_ACCOUNT_HISTORY_MAX,
	    &ev, &nev)) != 0 ||
	    (r = srv_web_csrf_token(app, req, resp, tok)) != 0)
		goto out;

	r = srv_page_begin(resp, 200, lang, srv_str(lang, S_ACCOUNT_TITLE));
	a[0] = srv_str(lang, S_ACCOUNT_NAME);
	a[1] = c->name;
	a[2] = srv_str(lang, S_ACCOUNT_LEVEL);
	a[3] = srv_str(lang, c->level >= 2 ? S_ACCOUNT_LEVEL2 : S_ACCOUNT_LEVEL1);
	a[4] = c->level >= 2 ? "2" : "1";
	r = r != 0 ? r : srv_tpl(&resp->body,
	    "<section id=\"profile\"><dl><dt>{0}</dt><dd id=\"account-name\">{1}</dd>"
	    "<dt>{2}</dt><dd id=\"account-level\" data-level=\"{4}\">{3}</dd></dl></section>\n",
	    a, 5);
	r = r != 0 ? r : render_passkeys(&resp->body, lang, tok, keys, nkeys,
	    srv_passkey_session_fresh(app, &s));
	a[0] = srv_str(lang, S_TOTP_TITLE);
	a[1] = srv_str(lang, c->totp_secret_enc != NULL ? S_TOTP_ON : S_TOTP_OFF);
	a[2] = c->totp_secret_enc != NULL ? "on" : "off";
	r = r != 0 ? r : srv_tpl(&resp->body,
	    "<section id=\"totp\"><h2>{0}</h2><p data-totp=\"{2}\">{1}</p></section>\n", a, 3);
	r = r != 0 ? r : render_consents(&resp->body, lang, tok, cons, ncons);
	r = r != 0 ? r : render_history(app, &resp->body, lang, ev, nev);
	a[0] = srv_str(lang, S_SIGNOUT_ALL_HINT);
	a[1] = srv_str(lang, S_SIGNOUT_ALL);
	r = r != 0 ? r : srv_tpl(&resp->body,
	    "<section id=\"signout\"><form method=\"post\" action=\"/account/logout-all\">", a, 2);
	r = r != 0 ? r : add_form_fields(&resp->body, lang, tok);
	r = r != 0 ? r : srv_tpl(&resp->body, "<p class=\"hint\">{0}</p>"
	    "<button type=\"submit\" id=\"logout-all\">{1}</button></form></section>\n"
	    "<script src=\"/static/passkey.js\" defer></script>\n", a, 2);
	r = r != 0 ? r : srv_page_end(resp, lang, "/account", NULL);
out:
	cx_wipe(tok, sizeof(tok));
	srv_audit_list_free(ev, nev);
	srv_consent_list_free(cons, ncons);
	srv_passkey_list_free(keys, nkeys);
	srv_citizen_free(&c);
	srv_session_clear(&s);
	return r;
}

/*
 * The common start of every POST: the CSRF check (403 page) and the signed-in account
 * (303 to the sign-in page). 0: go on with *s; 1: resp is answered; < 0: error.
 */
static int
post_begin(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp,
    struct srv_session *s)
{
	int r;

	memset(s, 0, sizeof(*s));
	if (!srv_web_csrf_ok(app, req)) {
		log_info("account_csrf_refused", LS("remote", req->remote_ip));
		r = render_forbidden(resp, srv_pages_lang(req));
		return r != 0 ? r : 1;
	}
	if ((r = srv_signin_current(app, req, s)) == EID_ERR_NOT_FOUND) {
		r = srv_web_redirect(resp, "/login?return_to=%2Faccount");
		return r != 0 ? r : 1;
	}
	return r;
}

static int
back_to_account(const struct srv_req *req, struct srv_resp *resp)
{
	return srv_web_redirect(resp, srv_pages_lang(req) == SRV_LANG_EN ?
	    "/account?ui_locales=en" : "/account?ui_locales=vi");
}

int
srv_handle_account_passkey_remove(struct srv_app *app, const struct srv_req *req,
    struct srv_resp *resp)
{
	const char *v = srv_kvlist_get(&req->form, "id", NULL), *account;
	struct srv_session s;
	char details[48];
	long long id;
	char *end;
	int r;

	if ((r = post_begin(app, req, resp, &s)) != 0)
		return r < 0 ? r : 0;
	account = json_string_value(json_object_get(s.data, "account"));
	errno = 0;
	id = v != NULL ? strtoll(v, &end, 10) : 0;
	if (v == NULL || *v == '\0' || *end != '\0' || errno != 0 || id <= 0)
		r = EID_ERR_NOT_FOUND;
	else
		r = srv_store_passkey_remove(app->store, account, (int64_t)id);
	if (r == 0) {
		snprintf(details, sizeof(details), "{\"passkey\":%lld}", id);
		audit(app, account, "passkey.remove", account, details);
		log_info("passkey_removed", LS("account", account));
	}
	if (r == 0 || r == EID_ERR_NOT_FOUND)      /* not the account's: nothing to do */
		r = back_to_account(req, resp);
	srv_session_clear(&s);
	return r;
}

int
srv_handle_account_consent_revoke(struct srv_app *app, const struct srv_req *req,
    struct srv_resp *resp)
{
	const char *client_id = srv_kvlist_get(&req->form, "client_id", NULL), *account;
	struct srv_session s;
	int r;

	if ((r = post_begin(app, req, resp, &s)) != 0)
		return r < 0 ? r : 0;
	account = json_string_value(json_object_get(s.data, "account"));
	if (client_id == NULL || client_id[0] == '\0') {
		r = back_to_account(req, resp);
		goto out;
	}
	r = srv_store_consent_remove(app->store, account, client_id);
	if (r == EID_ERR_NOT_FOUND) {
		r = back_to_account(req, resp);
		goto out;
	}
	/* the portal's refresh tokens rest on the consent: they go with it */
	if (r != 0 || (r = srv_refresh_revoke_client(app, account, client_id)) != 0)
		goto out;
	audit(app, account, "consent.revoke", client_id, "{}");
	log_info("consent_revoked", LS("account", account), LS("client_id", client_id));
	r = back_to_account(req, resp);
out:
	srv_session_clear(&s);
	return r;
}

int
srv_handle_account_logout_all(struct srv_app *app, const struct srv_req *req,
    struct srv_resp *resp)
{
	struct srv_session s;
	const char *account;
	char details[48];
	unsigned n = 0;
	int r;

	if ((r = post_begin(app, req, resp, &s)) != 0)
		return r < 0 ? r : 0;
	account = json_string_value(json_object_get(s.data, "account"));
	if ((r = srv_signin_end_all(app, account, &n)) != 0)
		goto out;
	/* this very session too, should it not have been in the account's index */
	{
		struct srv_session cur;

		if ((r = srv_session_load(app, s.id, &cur)) == 0) {
			srv_session_ended(app, cur.data);
			n++;
			r = srv_session_destroy(app, s.id);
		}
		srv_session_clear(&cur);
		if (r != 0 && r != EID_ERR_NOT_FOUND)
			goto out;
	}
	snprintf(details, sizeof(details), "{\"sessions\":%u}", n);
	audit(app, account, "session.end_all", account, details);
	log_info("logout", LS("via", "account_logout_all"), LS("account", account));
	if ((r = srv_web_set_cookie(app, resp, SRV_SESSION_COOKIE, "", "SameSite=Lax; Max-Age=0")) != 0)
		goto out;
	r = srv_web_redirect(resp, "/login?return_to=%2Faccount");
out:
	srv_session_clear(&s);
	return r;
}
