/*
 * srv_web.h - what every browser-facing page shares: cookies with the right attributes,
 * the double-submit CSRF token, and 303 redirects.
 *
 * Cookies are HttpOnly, Path=/, Secure and named with the __Host- prefix, unless the
 * issuer is a plain-http loopback URL (tests, demos): browsers refuse a __Host- cookie
 * without Secure, so there both go (eid_session, eid_csrf). Every reader and writer of a
 * cookie goes through srv_web_cookie_name. The CSRF token is a random value in the csrf cookie
 * (SameSite=Strict) that every form repeats in a hidden "csrf" field; the two are
 * compared in constant time.
 */
#ifndef SRV_WEB_H
#define SRV_WEB_H

#include "cx_util.h"
#include "srv_app.h"

#define SRV_CSRF_COOKIE "__Host-eid_csrf"
#define SRV_CSRF_BYTES 32
#define SRV_CSRF_LEN CX_B64URL_LEN(SRV_CSRF_BYTES)

/* Pure: 1 when cookies must carry Secure (the issuer is not http on loopback). */
int srv_web_cookie_secure(const struct srv_app *app);
/* The name to use for a cookie named "__Host-..." in the code: unchanged when cookies are
 * Secure, else without the prefix (a pointer into name). */
const char *srv_web_cookie_name(const struct srv_app *app, const char *name);
/* Set-Cookie: name=value; Path=/; HttpOnly; attrs[; Secure]. */
int srv_web_set_cookie(const struct srv_app *app, struct srv_resp *resp, const char *name,
    const char *value, const char *attrs) EID_WARN_UNUSED;
/* The form's CSRF token: the cookie's if present, else a new one set as a cookie. */
int srv_web_csrf_token(const struct srv_app *app, const struct srv_req *req,
    struct srv_resp *resp, char tok[SRV_CSRF_LEN]) EID_WARN_UNUSED;
/* Double-submit check: cookie and form field present, the field once, equal. */
int srv_web_csrf_ok(const struct srv_app *app, const struct srv_req *req);
/* 303 See Other to location (the body is emptied). */
int srv_web_redirect(struct srv_resp *resp, const char *location) EID_WARN_UNUSED;

#endif /* SRV_WEB_H */
