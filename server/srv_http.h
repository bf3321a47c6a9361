/*
 * srv_http.h - the HTTP server: libmicrohttpd with a worker-thread pool, the named
 * limits from eid_limits.h, and the translation between MHD and struct srv_req/resp.
 *
 * Limits: header block (EID_HTTP_MAX_HEADER_BYTES, larger -> 431 by libmicrohttpd),
 * body (per route, larger -> 413 before the body is read when Content-Length says so),
 * idle timeout (http_timeout: slow clients are dropped), max connections.
 * Every response carries X-Request-Id and X-Content-Type-Options; HTML responses carry a
 * strict Content-Security-Policy with frame-ancestors 'none' and Referrer-Policy:
 * no-referrer; responses marked no_store carry Cache-Control: no-store.
 *
 * Heavy work: a POST to a route flagged SRV_ROUTE_HEAVY (password sign-in, chip
 * signature checks) is not run on the HTTP worker that read it. The connection is
 * suspended and the request queued for the heavy-work pool, one thread per CPU; the
 * answer is sent when the pool resumes the connection. A sign-in storm then queues
 * behind itself instead of holding every HTTP worker, and token, JWKS and page requests
 * keep their latency (tests/integration/test_heavy_pool.py).
 */
#ifndef SRV_HTTP_H
#define SRV_HTTP_H

#include "srv_app.h"

struct srv_http;

int srv_http_start(struct srv_app *app, struct srv_http **out, char *err, size_t errlen) EID_WARN_UNUSED;
/* Stop accepting new connections; in-flight requests go on. */
void srv_http_quiesce(struct srv_http *h);
/* Wait until no request is in flight or grace_ms passed; returns the number left. */
long srv_http_drain(struct srv_http *h, unsigned grace_ms);
void srv_http_stop(struct srv_http **h);

/*
 * The security and caching headers a response needs (pure; used by srv_http.c): up to
 * SRV_HTTP_SECURITY_MAX (name, value) pairs into out, in the order they are sent; the
 * values made for this response (a max-age, a form_post CSP) are written into scratch,
 * which must outlive out. Returns the count. Nothing is allocated.
 */
#define SRV_HTTP_SECURITY_MAX       6
#define SRV_HTTP_SECURITY_SCRATCH   640

struct srv_http_header {
	const char *name, *value;
};

size_t srv_http_security_headers(const struct srv_resp *resp,
    struct srv_http_header out[SRV_HTTP_SECURITY_MAX], char scratch[SRV_HTTP_SECURITY_SCRATCH]);

#endif /* SRV_HTTP_H */
