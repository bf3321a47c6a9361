/* srv_web.c - cookies, CSRF and redirects for the HTML pages (see srv_web.h). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "srv_web.h"

/* Secure cookies, except when the issuer is a plain-http loopback URL (tests, demos). */
int
srv_web_cookie_secure(const struct srv_app *app)
{
	static const char *const loopback[] = { "127.", "localhost:", "localhost/", "[::1]" };
	const char *iss = app->cfg->issuer, *host;
	size_t i;

	if (iss == NULL || strncasecmp(iss, "http://", 7) != 0)
		return 1;
	host = iss + 7;
	if (strcasecmp(host, "localhost") == 0)
		return 0;
	for (i = 0; i < sizeof(loopback) / sizeof(loopback[0]); i++)
		if (strncasecmp(host, loopback[i], strlen(loopback[i])) == 0)
			return 0;
	return 1;
}

const char *
srv_web_cookie_name(const struct srv_app *app, const char *name)
{
	static const char prefix[] = "__Host-";

	if (!srv_web_cookie_secure(app) && strncmp(name, prefix, sizeof(prefix) - 1) == 0)
		return name + sizeof(prefix) - 1;
	return name;
}

int
srv_web_set_cookie(const struct srv_app *app, struct srv_resp *resp, const char *name, const char *value,
    const char *attrs)
{
	char buf[256];
	int n;

	n = snprintf(buf, sizeof(buf), "%s=%s; Path=/; HttpOnly; %s%s", srv_web_cookie_name(app, name),
	    value, attrs,
	    srv_web_cookie_secure(app) ? "; Secure" : "");
	if (n < 0 || (size_t)n >= sizeof(buf))
		return EID_ERR_INTERNAL;
	n = srv_resp_header(resp, "Set-Cookie", buf);
	cx_wipe(buf, sizeof(buf));
	return n;
}

/* The form's CSRF token: the cookie's if it has one, else a new one set as a cookie. */
int
srv_web_csrf_token(const struct srv_app *app, const struct srv_req *req, struct srv_resp *resp,
    char tok[SRV_CSRF_LEN])
{
	if (srv_cookie_get(srv_req_header(req, "cookie"), srv_web_cookie_name(app, SRV_CSRF_COOKIE), tok,
	    SRV_CSRF_LEN) == 0)
		return 0;
	cx_random_token(tok, SRV_CSRF_LEN, SRV_CSRF_BYTES);
	return srv_web_set_cookie(app, resp, SRV_CSRF_COOKIE, tok, "SameSite=Strict");
}

/* Double-submit check: cookie and form field present, once, equal (constant time). */
int
srv_web_csrf_ok(const struct srv_app *app, const struct srv_req *req)
{
	char tok[SRV_CSRF_LEN];
	const char *field;
	size_t count = 0;
	int ok;

	field = srv_kvlist_get(&req->form, "csrf", &count);
	if (field == NULL || count != 1 ||
	    srv_cookie_get(srv_req_header(req, "cookie"), srv_web_cookie_name(app, SRV_CSRF_COOKIE), tok,
	    sizeof(tok)) != 0)
		return 0;
	ok = cx_ct_streq(tok, field);
	cx_wipe(tok, sizeof(tok));
	return ok;
}

int
srv_web_redirect(struct srv_resp *resp, const char *location)
{
	cx_dynbuf_reset(&resp->body);
	resp->status = 303;
	resp->content_type = "text/plain; charset=utf-8";
	return srv_resp_header(resp, "Location", location);
}

