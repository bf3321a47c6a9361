/*
 * srv_handle_introspect.c - POST /introspect (RFC 7662) and POST /revoke (RFC 7009).
 *
 * Both need an authenticated client (srv_oauth_client) and a form body with a `token`
 * parameter; token_type_hint is optional and, being only a hint, is not enforced
 * (RFC 7009 2.1, RFC 7662 2.1): a token with the shape of our refresh tokens (43
 * base64url characters, no dots) is looked up as one (srv_grants), anything else as an
 * access token. A refresh token is reported active only to the client it was issued
 * to; revoking one revokes its whole family.
 *
 * Introspection answers {"active": false} for anything that is not a live access token
 * (bad form, bad signature, expired, revoked, oversized) and never says why. Revocation
 * answers 200 with an empty body whatever the token was, and acts only on a valid token
 * issued to the calling client (RFC 7009 2.1, 2.2). Both read or write the Redis
 * denylist, so they answer 503 while Redis is down (EID_ERR_REDIS_DOWN from here).
 */
#include <string.h>

#include "srv_grants.h"
#include "srv_log.h"
#include "srv_oauth_client.h"
#include "srv_tokens.h"

/*
 * Shared parse + verify for both endpoints. 0 with *client and *token set; or
 * EID_ERR_DENIED with the error response already written; or an infrastructure error.
 */
static int
token_endpoint_begin(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp,
    struct srv_client **client, const char **token)
{
	struct srv_oauth_error err = { 0 };
	size_t n_token = 0, n_hint = 0;
	int r;

	*client = NULL;
	*token = NULL;
	resp->no_store = 1;
	if ((r = srv_oauth_check_form(req, &err)) != 0)
		goto out;
	if ((r = srv_oauth_client_authenticate(app, req, client, &err)) != 0)
		goto out;
	*token = srv_req_param(req, "token", &n_token);
	(void)srv_req_param(req, "token_type_hint", &n_hint);
	if (*token == NULL || (*token)[0] == '\0') {
		err = (struct srv_oauth_error){ 400, "invalid_request", "The token parameter is missing." };
		r = EID_ERR_DENIED;
		goto out;
	}
	return 0;
out:
	srv_client_free(client);
	*token = NULL;
	if (r == EID_ERR_DENIED) {
		int rr = srv_oauth_error_respond(resp, &err);

		return rr != 0 ? rr : EID_ERR_DENIED;
	}
	return r;
}

/* The RFC 7662 2.2 answer for verified claims (pure). Caller json_decref. */
static json_t *
introspection_active(const json_t *claims)
{
	static const char *const copy[] = { "scope", "client_id", "sub", "exp", "iat", "iss",
		"aud", "jti", NULL };
	json_t *o = json_object();
	size_t i;

	if (o == NULL || json_object_set_new(o, "active", json_true()) != 0)
		goto fail;
	for (i = 0; copy[i] != NULL; i++) {
		json_t *v = json_object_get(claims, copy[i]);

		if (v != NULL && json_object_set(o, copy[i], v) != 0)
			goto fail;
	}
	if (json_object_set_new(o, "token_type", json_string("Bearer")) != 0)
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

static int
is_refresh_shape(const char *token)
{
	return strlen(token) == SRV_GRANT_TOKEN_LEN - 1 && strchr(token, '.') == NULL;
}

/* RFC 7662 for a refresh token: active only for its own client. Caller json_decref. */
static int
introspect_refresh(struct srv_app *app, const struct srv_client *client, const char *token,
    json_t **out)
{
	json_t *g = NULL;
	const char *owner;
	int r;

	*out = NULL;
	r = srv_refresh_peek(app, token, &g);
	if (r != 0 && r != EID_ERR_NOT_FOUND)
		return r;
	owner = g != NULL ? json_string_value(json_object_get(g, "client_id")) : NULL;
	if (owner != NULL && strcmp(owner, client->client_id) == 0)
		*out = json_pack("{s:b,s:s,s:O,s:s,s:s}", "active", 1, "client_id", owner,
		    "scope", json_object_get(g, "scope"), "token_type", "refresh_token",
		    "iss", app->cfg->issuer);
	else
		*out = json_pack("{s:b}", "active", 0);
	json_decref(g);
	return *out != NULL ? 0 : EID_ERR_NOMEM;
}

int
srv_handle_introspect(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp)
{
	struct srv_client *client = NULL;
	json_t *claims = NULL, *o = NULL;
	const char *token;
	int r;

	if ((r = token_endpoint_begin(app, req, resp, &client, &token)) != 0)
		return r == EID_ERR_DENIED ? 0 : r;
	if (is_refresh_shape(token)) {
		if ((r = introspect_refresh(app, client, token, &o)) == 0)
			r = srv_resp_json(resp, 200, o);
		goto out;
	}
	r = srv_tokens_verify_access(app, token, &claims);
	if (r == EID_ERR_REDIS || r == EID_ERR_REDIS_DOWN)
		goto out;
	if (r == 0)
		o = introspection_active(claims);
	else
		o = json_pack("{s:b}", "active", 0);
	if (o == NULL) {
		r = EID_ERR_NOMEM;
		goto out;
	}
	r = srv_resp_json(resp, 200, o);
out:
	json_decref(o);
	json_decref(claims);
	srv_client_free(&client);
	return r;
}

int
srv_handle_revoke(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp)
{
	struct srv_client *client = NULL;
	json_t *claims = NULL;
	const char *token, *owner;
	int r;

	if ((r = token_endpoint_begin(app, req, resp, &client, &token)) != 0)
		return r == EID_ERR_DENIED ? 0 : r;
	/* an invalid, expired or foreign token: nothing to do, and the answer is the same */
	if (is_refresh_shape(token)) {
		json_t *g = NULL;

		r = srv_refresh_peek(app, token, &g);
		if (r != 0 && r != EID_ERR_NOT_FOUND)
			goto out;
		owner = g != NULL ? json_string_value(json_object_get(g, "client_id")) : NULL;
		if (owner != NULL && strcmp(owner, client->client_id) == 0) {
			r = srv_refresh_revoke_family(app, json_string_value(json_object_get(g, "family")));
			if (r == 0)
				log_info("refresh_token_revoked", LS("client_id", client->client_id));
		}
		json_decref(g);
		if (r != 0 && r != EID_ERR_NOT_FOUND)
			goto out;
	} else if (srv_tokens_verify_access_signed(app, token, &claims) == 0) {
		owner = json_string_value(json_object_get(claims, "client_id"));
		if (owner != NULL && strcmp(owner, client->client_id) == 0) {
			if ((r = srv_tokens_revoke_access(app, claims)) != 0)
				goto out;
			log_info("token_revoked", LS("client_id", client->client_id));
		}
	}
	cx_dynbuf_reset(&resp->body);
	resp->status = 200;
	resp->content_type = "text/plain; charset=utf-8";
	r = 0;
out:
	json_decref(claims);
	srv_client_free(&client);
	return r;
}
