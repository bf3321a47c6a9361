/*
 * srv_handle_userinfo.c - GET/POST /userinfo (OpenID Connect Core 5.3).
 *
 *   verify   RFC 6750 bearer access token with scope openid (srv_tokens_bearer); the
 *            citizen is the account sealed into the token (srv_tokens_account_ref)
 *   decide   the claims the token's scope releases (pure: srv_userinfo_claims)
 *   respond  JSON, no-store; sub equals the ID token's sub for this client
 *
 * Scope -> claims: profile -> name, birthdate, gender; citizen_id -> citizen_id. The
 * address, phone and email scopes release nothing until the store keeps those fields.
 */
#include <stdlib.h>
#include <string.h>

#include "srv_app.h"
#include "srv_authorize.h"
#include "srv_log.h"
#include "srv_tokens.h"

/* Pure: the userinfo object for a citizen, a sub and a granted scope. Caller json_decref. */
static json_t *
userinfo_claims(const struct srv_citizen *c, const char *sub, const char *scope)
{
	json_t *o = json_pack("{s:s}", "sub", sub);

	if (o == NULL)
		return NULL;
	if (srv_scope_covers(scope, "profile")) {
		if ((c->name != NULL && json_object_set_new(o, "name", json_string(c->name)) != 0) ||
		    (c->birth_date != NULL && json_object_set_new(o, "birthdate", json_string(c->birth_date)) != 0) ||
		    (c->sex != NULL && json_object_set_new(o, "gender", json_string(c->sex)) != 0))
			goto fail;
	}
	if (srv_scope_covers(scope, "citizen_id") && c->citizen_id != NULL &&
	    json_object_set_new(o, "citizen_id", json_string(c->citizen_id)) != 0)
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

static int
invalid_token(struct srv_resp *resp)
{
	int r = srv_resp_error(resp, 401, "invalid_token", "The access token does not name an active citizen.");

	return r != 0 ? r : srv_resp_header(resp, "WWW-Authenticate",
	    "Bearer realm=\"eid\", error=\"invalid_token\"");
}

int
srv_handle_userinfo(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp)
{
	struct srv_citizen *citizen = NULL;
	json_t *claims = NULL, *out = NULL;
	char *account = NULL;
	int r;

	resp->no_store = 1;
	if ((r = srv_tokens_bearer(app, req, "openid", &claims, resp)) != 0)
		return r == EID_ERR_DENIED ? 0 : r;
	r = srv_tokens_account_ref(app->secret, claims, &account);
	if (r == EID_ERR_NOT_FOUND) {
		r = invalid_token(resp);
		goto out;
	}
	if (r != 0)
		goto out;
	r = srv_store_citizen_get(app->store, account, &citizen);
	if (r == EID_ERR_NOT_FOUND || (r == 0 && citizen->disabled)) {
		r = invalid_token(resp);
		goto out;
	}
	if (r != 0)
		goto out;
	out = userinfo_claims(citizen, json_string_value(json_object_get(claims, "sub")),
	    json_string_value(json_object_get(claims, "scope")));
	if (out == NULL) {
		r = EID_ERR_NOMEM;
		goto out;
	}
	r = srv_resp_json(resp, 200, out);
	log_info("userinfo_released", LS("client_id", json_string_value(json_object_get(claims, "client_id"))));
out:
	free(account);
	srv_citizen_free(&citizen);
	json_decref(claims);
	json_decref(out);
	return r;
}
