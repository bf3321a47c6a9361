/*
 * srv_handle_userinfo.c - GET/POST /userinfo (OpenID Connect Core 5.3).
 *
 *   verify   RFC 6750 bearer access token with scope openid (srv_tokens_bearer); the
 *            citizen is the account sealed into the token (srv_tokens_account_ref),
 *            read through the profile cache (srv_profile.h: a change or a disabled
 *            account is seen within SRV_PROFILE_CACHE_RECHECK_MS); a disabled or
 *            removed account is 401 invalid_token
 *   decide   the claims the token's scope releases (pure: srv_userinfo_claims)
 *   respond  JSON, no-store; sub equals the ID token's sub for this client
 *
 * Scope -> claims (OIDC Core 5.4): profile -> name, birthdate, gender; citizen_id ->
 * citizen_id; address -> address (an object: formatted, street_address, locality, region,
 * postal_code, country); phone -> phone_number, phone_number_verified; email -> email,
 * email_verified. A value not on record is left out (never null or ""), and so is its
 * _verified flag. These claims are released here only, not in the ID token: every flow
 * we support issues an access token (Core 5.4, last paragraph).
 */
#include <stdlib.h>
#include <string.h>

#include "srv_app.h"
#include "srv_authorize.h"
#include "srv_log.h"
#include "srv_profile.h"
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
	if (srv_scope_covers(scope, "address") && c->address != NULL) {
		/* stored normalised (srv_address_normalize); anything else is not released */
		json_t *a = json_loads(c->address, JSON_REJECT_DUPLICATES, NULL);

		if (json_is_object(a) && json_object_size(a) > 0) {
			if (json_object_set_new(o, "address", a) != 0)
				goto fail;
		} else
			json_decref(a);
	}
	if (srv_scope_covers(scope, "phone") && c->phone_number != NULL &&
	    (json_object_set_new(o, "phone_number", json_string(c->phone_number)) != 0 ||
	    json_object_set_new(o, "phone_number_verified", json_boolean(c->phone_number_verified)) != 0))
		goto fail;
	if (srv_scope_covers(scope, "email") && c->email != NULL &&
	    (json_object_set_new(o, "email", json_string(c->email)) != 0 ||
	    json_object_set_new(o, "email_verified", json_boolean(c->email_verified)) != 0))
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
	r = srv_citizen_profile_get(app, account, &citizen);
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
