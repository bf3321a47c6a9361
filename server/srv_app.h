/*
 * srv_app.h - what a request handler can reach: configuration, stores, keys, metrics,
 * and the clock. One struct srv_app per eidd process, built by eidd.c and borrowed by
 * every handler. Tests build one with the parts they need (unused parts may be NULL).
 */
#ifndef SRV_APP_H
#define SRV_APP_H

#include <stdint.h>
#include <time.h>

#include "srv_config.h"
#include "srv_keys.h"
#include "srv_metrics.h"
#include "srv_redis.h"
#include "srv_secret.h"
#include "srv_req.h"
#include "srv_store.h"
#include "srv_trust.h"

struct srv_app {
	const struct srv_config *cfg;
	struct srv_store *store;
	struct srv_redis *redis;
	struct srv_keys *keys;
	struct srv_trust *trust;     /* CSCA trust store for /v1/documents/verify (may be NULL) */
	const struct srv_secret *secret;   /* derived keys: client secrets, TOTP, Redis key hashing */
	struct srv_metrics *metrics;
	time_t started_at;
	time_t (*now)(void);        /* injected clock */
};

/* A handler fills resp and returns 0, or returns an EID_ERR_* that the dispatcher maps
 * to an HTTP error (store down -> 503 temporarily_unavailable, anything else -> 500). */
typedef int (*srv_handler_fn)(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp);

/* Route flags */
#define SRV_ROUTE_FORM      0x01    /* body is application/x-www-form-urlencoded */
#define SRV_ROUTE_JSON      0x02    /* body is JSON */
#define SRV_ROUTE_BIG_BODY  0x04    /* body cap EID_HTTP_MAX_DOC_BODY_BYTES instead of the default */
#define SRV_ROUTE_NO_STORE  0x08    /* Cache-Control: no-store */
#define SRV_ROUTE_HTML      0x10    /* HTML page: strict CSP and friends */
#define SRV_ROUTE_HEAVY     0x20    /* POST runs on the heavy-work pool (srv_http.c): CPU-bound
                                       work (Argon2id, chip signatures) off the HTTP workers */

struct srv_route {
	unsigned methods;           /* SRV_GET | SRV_POST ... (GET routes also answer HEAD) */
	const char *path;           /* exact match */
	srv_handler_fn handler;
	unsigned flags;
	const char *name;           /* metrics label */
};

/* The route table and its size; index 0 is the "not_found" pseudo-route. */
extern const struct srv_route srv_routes[];
extern const size_t srv_routes_count;
extern const char *const srv_route_names[];

/*
 * Find the route for method + path. Returns its index (> 0) and sets *status 0; or 0
 * with *status 404 (no such path) or 405 (path exists, method not allowed; *allow gets
 * the Allow header value, a static string buffer owned by the caller of size >= 64).
 */
size_t srv_route_find(enum srv_method method, const char *path, unsigned *status, char *allow,
    size_t allowsz);

/* Body cap for a route (or the default for 0). */
size_t srv_route_body_cap(size_t route);

/* Route, run the handler, map errors. Always leaves a complete response in resp. */
void srv_dispatch(struct srv_app *app, size_t route, unsigned route_status, const char *allow,
    const struct srv_req *req, struct srv_resp *resp);

/* Handlers (srv_handle_*.c) */
int srv_handle_healthz(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp);
int srv_handle_readyz(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp);
int srv_handle_metrics(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp);
int srv_handle_jwks(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp);
int srv_handle_home(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp);
int srv_handle_session(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp);
/* Citizen sign-in pages (srv_handle_login.c): GET/POST /login, POST /logout, /static/eid.css */
int srv_handle_login(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp);
int srv_handle_logout(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp);
int srv_handle_static_css(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp);
/* Authorization endpoint and consent (srv_handle_authorize.c) */
int srv_handle_authorize(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp);
int srv_handle_consent(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp);
/* The origin of the portal a sign-in page's return_to ("/authorize?areq=...") leads to, for
 * the page's CSP form-action; EID_ERR_NOT_FOUND for any other return_to. *origin owned. */
int srv_authorize_return_origin(struct srv_app *app, const char *return_to, char **origin);
int srv_handle_form_post_js(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp);
/* UserInfo (srv_handle_userinfo.c) and RP-initiated logout (srv_handle_end_session.c) */
int srv_handle_userinfo(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp);
int srv_handle_end_session(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp);
/* OAuth/OIDC token endpoints (srv_handle_token.c, srv_handle_discovery.c, srv_handle_introspect.c) */
int srv_handle_token(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp);
int srv_handle_discovery(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp);
int srv_handle_introspect(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp);
int srv_handle_revoke(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp);
/* Chip document verification for relying parties (srv_handle_documents.c) */
int srv_handle_documents_challenge(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp);
int srv_handle_documents_verify(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp);

#endif /* SRV_APP_H */
