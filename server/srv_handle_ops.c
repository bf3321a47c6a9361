/*
 * srv_handle_ops.c - operational endpoints: /healthz, /readyz, /metrics, /jwks, /session
 * and the landing page.
 */
#include <stdio.h>
#include <string.h>

#include "srv_app.h"
#include "srv_log.h"
#include "srv_session.h"

int
srv_handle_healthz(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp)
{
	(void)app;
	(void)req;
	return srv_resp_text(resp, 200, "application/json", "{\"status\":\"ok\"}");
}

/* Ready when both stores answer; says which one does not. */
int
srv_handle_readyz(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp)
{
	int redis_ok = srv_redis_ping(app->redis) == 0;
	int db_ok = srv_store_ping(app->store) == 0;
	json_t *o;
	int r;

	(void)req;
	o = json_pack("{s:s,s:s,s:s}", "status", redis_ok && db_ok ? "ready" : "not_ready",
	    "redis", redis_ok ? "ok" : "unavailable", "database", db_ok ? "ok" : "unavailable");
	if (o == NULL)
		return EID_ERR_NOMEM;
	r = srv_resp_json(resp, redis_ok && db_ok ? 200 : 503, o);
	json_decref(o);
	return r;
}

int
srv_handle_metrics(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp)
{
	const struct srv_keys_snapshot *snap;
	struct srv_metrics_gauges g;
	long long n = -1;

	(void)req;
	if (srv_session_count(app, &n) != 0)
		n = -1;                 /* Redis down: leave the gauge out rather than lie */
	snap = srv_keys_acquire(app->keys);
	g.active_sessions = n;
	g.signing_keys = (long long)tok_keyset_count(snap->published);
	g.up_seconds = (long long)(app->now() - app->started_at);
	srv_keys_release(app->keys, snap);
	cx_dynbuf_reset(&resp->body);
	resp->status = 200;
	resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
	return srv_metrics_render(app->metrics, &g, &resp->body);
}

int
srv_handle_jwks(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp)
{
	const struct srv_keys_snapshot *snap;
	int r;

	(void)req;
	(void)srv_keys_refresh(app->keys);
	snap = srv_keys_acquire(app->keys);
	cx_dynbuf_reset(&resp->body);
	r = cx_dynbuf_add(&resp->body, snap->jwks_json, snap->jwks_len);
	srv_keys_release(app->keys, snap);
	resp->status = 200;
	resp->content_type = "application/jwk-set+json";
	resp->cache_max_age = 300;      /* keys rotate with overlap; 5 minutes is safe */
	return r;
}

/* Who is signed in on this browser: {"authenticated": false} or the session's claims. */
int
srv_handle_session(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp)
{
	const char *cookie = srv_req_header(req, "cookie");
	char id[SRV_SESSION_ID_LEN];
	struct srv_session s;
	json_t *o = NULL;
	int r;

	if (cookie == NULL || srv_session_cookie_id(app, cookie, id) != 0)
		return srv_resp_text(resp, 200, "application/json", "{\"authenticated\":false}");
	r = srv_session_load(app, id, &s);
	cx_wipe(id, sizeof(id));
	if (r == EID_ERR_NOT_FOUND)
		return srv_resp_text(resp, 200, "application/json", "{\"authenticated\":false}");
	if (r != 0)
		return r;
	o = json_pack("{s:b,s:O?,s:O?,s:O?,s:I}", "authenticated", 1,
	    "acr", json_object_get(s.data, "acr"), "amr", json_object_get(s.data, "amr"),
	    "auth_time", json_object_get(s.data, "auth_time"), "expires", (json_int_t)s.expires);
	srv_session_clear(&s);
	if (o == NULL)
		return EID_ERR_NOMEM;
	r = srv_resp_json(resp, 200, o);
	json_decref(o);
	return r;
}

int
srv_handle_home(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp)
{
	int r;

	(void)req;
	cx_dynbuf_reset(&resp->body);
	resp->status = 200;
	resp->content_type = "text/html; charset=utf-8";
	r = cx_dynbuf_add_str(&resp->body,
	    "<!doctype html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	    "<title>eID</title></head><body><main>"
	    "<h1>eID &mdash; Định danh điện tử</h1>"
	    "<p>The e-ID server is running.</p>"
	    "<ul><li><a href=\"/login\">Đăng nhập / Sign in</a></li><li><a href=\"/jwks\">JWKS</a></li><li><a href=\"/readyz\">/readyz</a></li></ul>"
	    "<p>Issuer: <code>");
	r = r != 0 ? r : srv_html_add_escaped(&resp->body, app->cfg->issuer);
	return r != 0 ? r : cx_dynbuf_add_str(&resp->body, "</code></p></main></body></html>\n");
}
