/* srv_routes.c - the one route table and the dispatcher (see srv_app.h). */
#include <stdio.h>
#include <string.h>

#include "eid_limits.h"
#include "srv_app.h"
#include "srv_handle_card.h"
#include "srv_handle_account.h"
#include "srv_handle_passkey.h"
#include "srv_log.h"

/* Index 0 is the pseudo-route for unknown paths, so metrics can count 404s. */
const struct srv_route srv_routes[] = {
	{ 0, NULL, NULL, 0, "not_found" },
	{ SRV_GET, "/", srv_handle_home, SRV_ROUTE_HTML, "home" },
	{ SRV_GET, "/healthz", srv_handle_healthz, SRV_ROUTE_NO_STORE, "healthz" },
	{ SRV_GET, "/readyz", srv_handle_readyz, SRV_ROUTE_NO_STORE, "readyz" },
	{ SRV_GET, "/metrics", srv_handle_metrics, SRV_ROUTE_NO_STORE, "metrics" },
	{ SRV_GET, "/jwks", srv_handle_jwks, 0, "jwks" },
	{ SRV_GET, "/session", srv_handle_session, SRV_ROUTE_NO_STORE, "session" },
	/* -- OAuth/OIDC token endpoints (srv_handle_token.c, srv_handle_discovery.c, ...) -- */
	{ SRV_POST, "/token", srv_handle_token, SRV_ROUTE_FORM | SRV_ROUTE_NO_STORE, "token" },
	{ SRV_GET, "/.well-known/openid-configuration", srv_handle_discovery, 0, "discovery" },
	{ SRV_POST, "/introspect", srv_handle_introspect, SRV_ROUTE_FORM | SRV_ROUTE_NO_STORE, "introspect" },
	{ SRV_POST, "/revoke", srv_handle_revoke, SRV_ROUTE_FORM | SRV_ROUTE_NO_STORE, "revoke" },
	/* -- citizen sign-in pages (srv_handle_login.c) -- */
	{ SRV_GET | SRV_POST, "/login", srv_handle_login,
	  SRV_ROUTE_FORM | SRV_ROUTE_HTML | SRV_ROUTE_NO_STORE | SRV_ROUTE_HEAVY, "login" },
	{ SRV_POST, "/logout", srv_handle_logout, SRV_ROUTE_FORM | SRV_ROUTE_HTML | SRV_ROUTE_NO_STORE, "logout" },
	{ SRV_GET, "/static/eid.css", srv_handle_static_css, 0, "static_css" },
	/* -- authorization (srv_handle_authorize.c) -- */
	{ SRV_GET | SRV_POST, "/authorize", srv_handle_authorize, SRV_ROUTE_FORM | SRV_ROUTE_HTML | SRV_ROUTE_NO_STORE, "authorize" },
	{ SRV_POST, "/consent", srv_handle_consent, SRV_ROUTE_FORM | SRV_ROUTE_HTML | SRV_ROUTE_NO_STORE, "consent" },
	{ SRV_GET, "/static/form_post.js", srv_handle_form_post_js, 0, "static_js" },
	{ SRV_GET | SRV_POST, "/userinfo", srv_handle_userinfo, SRV_ROUTE_FORM | SRV_ROUTE_NO_STORE, "userinfo" },
	{ SRV_GET | SRV_POST, "/end_session", srv_handle_end_session, SRV_ROUTE_FORM | SRV_ROUTE_HTML | SRV_ROUTE_NO_STORE, "end_session" },
	/* -- chip documents (srv_handle_documents.c) -- */
	{ SRV_POST, "/v1/documents/challenge", srv_handle_documents_challenge, SRV_ROUTE_NO_STORE, "documents_challenge" },
	{ SRV_POST, "/v1/documents/verify", srv_handle_documents_verify,
	  SRV_ROUTE_JSON | SRV_ROUTE_BIG_BODY | SRV_ROUTE_NO_STORE | SRV_ROUTE_HEAVY, "documents_verify" },
	/* -- level 2 with the chip card (srv_handle_card.c) -- */
	{ SRV_GET, "/account/card", srv_handle_account_card, SRV_ROUTE_HTML | SRV_ROUTE_NO_STORE, "account_card" },
	{ SRV_POST, "/v1/card/challenge", srv_handle_card_challenge, SRV_ROUTE_JSON | SRV_ROUTE_NO_STORE, "card_challenge" },
	{ SRV_POST, "/v1/card/bind", srv_handle_card_bind,
	  SRV_ROUTE_JSON | SRV_ROUTE_BIG_BODY | SRV_ROUTE_NO_STORE | SRV_ROUTE_HEAVY, "card_bind" },
	{ SRV_POST, "/v1/card/login", srv_handle_card_login_api,
	  SRV_ROUTE_JSON | SRV_ROUTE_BIG_BODY | SRV_ROUTE_NO_STORE | SRV_ROUTE_HEAVY, "card_login" },
	{ SRV_GET | SRV_POST, "/login/card", srv_handle_login_card,
	  SRV_ROUTE_FORM | SRV_ROUTE_HTML | SRV_ROUTE_NO_STORE, "login_card" },
	{ SRV_GET, "/login/card/status", srv_handle_login_card_status, SRV_ROUTE_NO_STORE, "login_card_status" },
	{ SRV_GET, "/static/card_login.js", srv_handle_card_login_js, 0, "static_card_js" },
	/* -- passkeys (srv_handle_passkey.c) and the account page (srv_handle_account.c) -- */
	{ SRV_POST, "/passkey/register/options", srv_handle_passkey_register_options, SRV_ROUTE_FORM | SRV_ROUTE_NO_STORE, "passkey_register_options" },
	{ SRV_POST, "/passkey/register", srv_handle_passkey_register, SRV_ROUTE_FORM | SRV_ROUTE_NO_STORE, "passkey_register" },
	{ SRV_POST, "/passkey/login/options", srv_handle_passkey_login_options, SRV_ROUTE_FORM | SRV_ROUTE_NO_STORE, "passkey_login_options" },
	{ SRV_POST, "/passkey/login", srv_handle_passkey_login, SRV_ROUTE_FORM | SRV_ROUTE_NO_STORE, "passkey_login" },
	{ SRV_GET, "/static/passkey.js", srv_handle_passkey_js, 0, "static_passkey_js" },
	{ SRV_GET, "/account", srv_handle_account, SRV_ROUTE_HTML | SRV_ROUTE_NO_STORE, "account" },
	{ SRV_POST, "/account/passkey/remove", srv_handle_account_passkey_remove, SRV_ROUTE_FORM | SRV_ROUTE_HTML | SRV_ROUTE_NO_STORE, "account_passkey_remove" },
	{ SRV_POST, "/account/consent/revoke", srv_handle_account_consent_revoke, SRV_ROUTE_FORM | SRV_ROUTE_HTML | SRV_ROUTE_NO_STORE, "account_consent_revoke" },
	{ SRV_POST, "/account/logout-all", srv_handle_account_logout_all, SRV_ROUTE_FORM | SRV_ROUTE_HTML | SRV_ROUTE_NO_STORE, "account_logout_all" },
};
const size_t srv_routes_count = sizeof(srv_routes) / sizeof(srv_routes[0]);

const char *const srv_route_names[] = {
	"not_found", "home", "healthz", "readyz", "metrics", "jwks", "session",
	/* -- OAuth/OIDC token endpoints -- */
	"token", "discovery", "introspect", "revoke",
	/* -- citizen sign-in pages -- */
	"login", "logout", "static_css",
	/* -- authorization -- */
	"authorize", "consent", "static_js", "userinfo", "end_session",
	/* -- chip documents (srv_handle_documents.c) -- */
	"documents_challenge", "documents_verify",
	/* -- level 2 with the chip card (srv_handle_card.c) -- */
	"account_card", "card_challenge", "card_bind", "card_login", "login_card",
	"login_card_status", "static_card_js",
	/* -- passkeys and the account page -- */
	"passkey_register_options", "passkey_register", "passkey_login_options", "passkey_login",
	"static_passkey_js", "account", "account_passkey_remove", "account_consent_revoke",
	"account_logout_all",
};

_Static_assert(sizeof(srv_route_names) / sizeof(srv_route_names[0]) ==
    sizeof(srv_routes) / sizeof(srv_routes[0]), "route names match the route table");

static void
methods_text(unsigned m, char *out, size_t outsz)
{
	static const struct { unsigned bit; const char *name; } names[] = {
		{ SRV_GET, "GET, HEAD" }, { SRV_POST, "POST" }, { SRV_DELETE, "DELETE" },
	};
	size_t i, used = 0;

	out[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((m & names[i].bit) != 0 && used < outsz)
			used += (size_t)snprintf(out + used, outsz - used, "%s%s", used ? ", " : "",
			    names[i].name);
}

size_t
srv_route_find(enum srv_method method, const char *path, unsigned *status, char *allow, size_t allowsz)
{
	size_t i;

	if (allowsz > 0)
		allow[0] = '\0';
	for (i = 1; i < srv_routes_count; i++) {
		unsigned m = srv_routes[i].methods;

		if (strcmp(srv_routes[i].path, path) != 0)
			continue;
		if ((m & method) != 0 || (method == SRV_HEAD && (m & SRV_GET) != 0)) {
			*status = 0;
			return i;
		}
		methods_text(m, allow, allowsz);
		*status = 405;
		return 0;
	}
	*status = 404;
	return 0;
}

size_t
srv_route_body_cap(size_t route)
{
	if (route > 0 && route < srv_routes_count && (srv_routes[route].flags & SRV_ROUTE_BIG_BODY))
		return EID_HTTP_MAX_DOC_BODY_BYTES;
	return EID_HTTP_MAX_BODY_BYTES;
}

static void
map_error(int err, struct srv_resp *resp)
{
	int r;

	srv_kvlist_clear(&resp->headers);
	switch (err) {
	case EID_ERR_REDIS_DOWN:
	case EID_ERR_REDIS:
		r = srv_resp_error(resp, 503, "temporarily_unavailable",
		    "The session store is unavailable. Try again in a few seconds.");
		r = r != 0 ? r : srv_resp_header(resp, "Retry-After", "1");
		break;
	case EID_ERR_DB:
	case EID_ERR_DB_BUSY:
		r = srv_resp_error(resp, 503, "temporarily_unavailable",
		    "The database is busy or unavailable. Try again in a few seconds.");
		r = r != 0 ? r : srv_resp_header(resp, "Retry-After", "1");
		break;
	case EID_ERR_TOO_LARGE:
		r = srv_resp_error(resp, 413, "invalid_request", "The request is too large.");
		break;
	default:
		r = srv_resp_error(resp, 500, "server_error",
		    "The server met an internal error. The request id in the X-Request-Id header identifies it in the logs.");
		break;
	}
	if (r != 0) {
		/* out of memory while reporting: send an empty 500 */
		cx_dynbuf_reset(&resp->body);
		resp->status = 500;
	}
}

void
srv_dispatch(struct srv_app *app, size_t route, unsigned route_status, const char *allow,
    const struct srv_req *req, struct srv_resp *resp)
{
	int r;

	if (route == 0) {
		if (route_status == 405) {
			r = srv_resp_error(resp, 405, "invalid_request", "This method is not allowed here.");
			if (r == 0 && allow != NULL && allow[0] != '\0')
				r = srv_resp_header(resp, "Allow", allow);
		} else
			r = srv_resp_error(resp, 404, "not_found", "There is nothing at this address.");
		if (r != 0)
			map_error(r, resp);
		return;
	}
	if (srv_routes[route].flags & SRV_ROUTE_NO_STORE)
		resp->no_store = 1;
	if (srv_routes[route].flags & SRV_ROUTE_HTML)
		resp->html = 1;
	if ((r = srv_routes[route].handler(app, req, resp)) != 0) {
		if (r != EID_ERR_REDIS_DOWN)
			log_error("handler_failed", LS("route", srv_routes[route].name),
			    LS("reason", eid_strerror(r)));
		map_error(r, resp);
	}
}
