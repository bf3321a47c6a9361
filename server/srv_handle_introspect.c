/*
 * srv_handle_introspect.c - POST /introspect (RFC 7662) and POST /revoke (RFC 7009).
 *
 * Both need an authenticated client (srv_oauth_client) and a form body with a `token`
 * parameter; token_type_hint is optional and, being only a hint, is not enforced
 * (RFC 7009 2.1, RFC 7662 2.1): every token is looked up as an access token, the only
 * kind this server issues so far.
 *
 * Introspection answers {"active": false} for anything that is not a live access token
 * (bad form, bad signature, expired, revoked, oversized) and never says why. Revocation
 * answers 200 with an empty body whatever the token was, and acts only on a valid token
 * issued to the calling client (RFC 7009 2.1, 2.2). Both read or write the Redis
 * denylist, so they answer 503 while Redis is down (EID_ERR_REDIS_DOWN from here).
 */
#include <string.h>

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

int
srv_handle_introspect(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp)
{
	struct srv_client *client = NULL;
	json_t *claims = NULL, *o = NULL;
	const char *token;
	int r;

	if ((r = token_endpoint_begin(app, req, resp, &client, &token)) != 0)
		return r == EID_ERR_DENIED ? 0 : r;
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
	if (srv_tokens_verify_access_signed(app, token, &claims) == 0) {
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
