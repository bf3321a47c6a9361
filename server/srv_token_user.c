/*
 * srv_token_user.c - authorization_code and refresh_token grants (see srv_token_user.h).
 */
#include <stdlib.h>
#include <string.h>

#include "cx_util.h"
#include "srv_authorize.h"
#include "srv_grants.h"
#include "srv_log.h"
#include "srv_profile.h"
#include "srv_subject.h"
#include "srv_token_user.h"
#include "srv_tokens.h"
#include "tok_jsonw.h"

#define DENY(e, st, code, text) \
	(*(e) = (struct srv_oauth_error){ (st), (code), (text) }, EID_ERR_DENIED)

static const char INVALID_CODE[] =
    "The authorization code is invalid, expired, already used, or was issued to another client.";
static const char INVALID_REFRESH[] =
    "The refresh token is invalid, expired, revoked, or was issued to another client.";

static const char *
gstr(const json_t *grant, const char *name)
{
	return json_string_value(json_object_get(grant, name));
}

/*
 * The citizen's attributes went to a portal: one "data.release" audit event per code
 * exchanged (actor the client, subject the account, details the scope), so that the
 * account page can say who received what and when. The event rides on the answer, which
 * leaves only once the event is durable (srv_http.c); a failure to audit is logged only:
 * the tokens are issued.
 */
static void
audit_release(struct srv_resp *resp, int64_t now, const char *client_id, const char *account,
    const char *scope)
{
	struct srv_audit_event e;
	struct cx_dynbuf b;
	struct tok_jsonw w;
	json_t *d = NULL;
	char *text = NULL;
	int r = EID_ERR_NOMEM;

	if (account == NULL)
		return;
	/* details {"scope":...}: written directly, or through jansson when it needs escaping */
	cx_dynbuf_init(&b, 4096);
	tok_jsonw_begin(&w, &b);
	tok_jsonw_str(&w, "scope", scope != NULL ? scope : "");
	if (tok_jsonw_end(&w) == 0)
		text = cx_dynbuf_take(&b, NULL);
	else if ((d = json_pack("{s:s}", "scope", scope != NULL ? scope : "")) != NULL)
		text = json_dumps(d, JSON_COMPACT);
	cx_dynbuf_free(&b);
	if (text != NULL) {
		memset(&e, 0, sizeof(e));
		e.at = now;
		e.actor = (char *)client_id;
		e.action = "data.release";
		e.subject = (char *)account;
		e.outcome = "success";
		e.details = text;
		r = srv_resp_audit(resp, &e);
	}
	json_decref(d);
	free(text);
	if (r != 0)
		log_warn("audit_append_failed", LS("action", "data.release"), LS("reason", eid_strerror(r)));
}

static int
has_scope(const char *list, const char *tok)
{
	return srv_scope_covers(list, tok);
}

/* The single value of a form parameter, or NULL (absent or repeated: check_form refused those). */
static const char *
param(const struct srv_req *req, const char *name)
{
	return srv_kvlist_get(&req->form, name, NULL);
}

/*
 * Issue the tokens for grant (account, scope, acr, amr, auth_time, sid, nonce) to client.
 * family: the refresh family (new for a code, the same for a refresh). jti: chosen by
 * the caller (the code's used marker names it).
 */
static int
issue_tokens(struct srv_app *app, const struct srv_client *client, const json_t *grant,
    const char *scope, const char *family, const char *jti, int with_nonce,
    struct srv_resp *resp, struct srv_oauth_error *err)
{
	const char *account = gstr(grant, "account"), *acr = gstr(grant, "acr");
	const char *alg_name = json_string_value(json_object_get(client->metadata,
	    "id_token_signed_response_alg"));
	struct srv_access_token_params ap;
	struct srv_id_token_params ip;
	struct srv_citizen *citizen = NULL;
	char sub[SRV_SUBJECT_MAX], refresh[SRV_GRANT_TOKEN_LEN];
	char *access = NULL, *id_token = NULL;
	long expires_in = 0;
	enum tok_alg alg = TOK_ALG_RS256;
	json_t *rgrant = NULL;
	int r, with_refresh;

	refresh[0] = '\0';
	if (account == NULL || acr == NULL)
		return DENY(err, 400, "invalid_grant", INVALID_CODE);
	/* the citizen must still exist and be allowed in (the profile cache: a disabled
	   account is refused within SRV_PROFILE_CACHE_RECHECK_MS) */
	r = srv_citizen_profile_get(app, account, &citizen);
	if (r == EID_ERR_NOT_FOUND || (r == 0 && citizen->disabled)) {
		r = DENY(err, 400, "invalid_grant", "The account is no longer active.");
		goto out;
	}
	if (r != 0)
		goto out;
	if ((r = srv_subject_for_client(app->secret, client, account, sub)) != 0)
		goto out;
	if (alg_name != NULL && tok_alg_from_name(alg_name, &alg) != 0)
		alg = TOK_ALG_RS256;

	memset(&ap, 0, sizeof(ap));
	ap.client_id = client->client_id;
	ap.sub = sub;
	ap.scope = scope;
	ap.account_id = account;
	ap.acr = acr;
	ap.auth_time = (long long)json_integer_value(json_object_get(grant, "auth_time"));
	ap.jti = jti;
	if ((r = srv_tokens_issue_access(app, &ap, &access, &expires_in)) != 0)
		goto out;

	if (has_scope(scope, "openid")) {
		memset(&ip, 0, sizeof(ip));
		ip.client_id = client->client_id;
		ip.sub = sub;
		ip.nonce = with_nonce ? gstr(grant, "nonce") : NULL;
		ip.acr = acr;
		ip.amr = json_object_get(grant, "amr");
		ip.auth_time = ap.auth_time;
		ip.sid = gstr(grant, "sid");
		ip.access_token = access;
		ip.alg = alg;
		if ((r = srv_tokens_issue_id(app, &ip, &id_token)) != 0)
			goto out;
	}

	with_refresh = srv_client_metadata_has(client, "grant_types", "refresh_token");
	if (with_refresh) {
		/* the refresh grant: the code's grant without what only the code needed */
		if ((rgrant = json_deep_copy(grant)) == NULL) {
			r = EID_ERR_NOMEM;
			goto out;
		}
		(void)json_object_del(rgrant, "redirect_uri");
		(void)json_object_del(rgrant, "code_challenge");
		(void)json_object_del(rgrant, "nonce");
		(void)json_object_del(rgrant, "family");
		if (json_object_set_new(rgrant, "client_id", json_string(client->client_id)) != 0) {
			r = EID_ERR_NOMEM;
			goto out;
		}
		if ((r = srv_refresh_issue(app, rgrant, family, refresh)) != 0)
			goto out;
	}

	r = srv_tokens_respond(resp, access, expires_in, scope, id_token,
	    refresh[0] != '\0' ? refresh : NULL);
out:
	cx_wipe(refresh, sizeof(refresh));
	cx_free_str(access);
	cx_free_str(id_token);
	json_decref(rgrant);
	srv_citizen_free(&citizen);
	return r;
}

/* What the first redemption of a reused code issued goes (RFC 6749 4.1.2, 10.5). */
static void
revoke_after_reuse(struct srv_app *app, const json_t *used)
{
	json_t *claims = json_pack("{s:O,s:O}", "jti", json_object_get(used, "jti"),
	    "exp", json_object_get(used, "exp"));
	int r1 = EID_ERR_NOMEM, r2;

	if (claims != NULL && json_is_string(json_object_get(used, "jti")))
		r1 = srv_tokens_revoke_access(app, claims);
	r2 = srv_refresh_revoke_family(app, gstr(used, "family"));
	json_decref(claims);
	log_warn("code_reuse_revoked", LS("access_token", r1 == 0 ? "revoked" : "not revoked"),
	    LS("refresh_family", r2 == 0 ? "revoked" : "not revoked"));
}

int
srv_token_grant_code(struct srv_app *app, const struct srv_req *req,
    const struct srv_client *client, struct srv_resp *resp, struct srv_oauth_error *err)
{
	const char *code = param(req, "code"), *redirect_uri = param(req, "redirect_uri");
	const char *verifier = param(req, "code_verifier");
	char jti[CX_B64URL_LEN(SRV_TOKEN_JTI_BYTES)], family[CX_B64URL_LEN(SRV_FAMILY_ID_BYTES)];
	json_t *grant = NULL, *used = NULL;
	int r;

	if (!srv_client_metadata_has(client, "grant_types", "authorization_code"))
		return DENY(err, 400, "unauthorized_client",
		    "This client is not registered for the authorization_code grant.");
	if (code == NULL || redirect_uri == NULL)
		return DENY(err, 400, "invalid_request", "code and redirect_uri are required.");
	cx_random_token(jti, sizeof(jti), SRV_TOKEN_JTI_BYTES);
	cx_random_token(family, sizeof(family), SRV_FAMILY_ID_BYTES);
	r = srv_code_redeem(app, code, jti, family,
	    (long long)app->now() + SRV_ACCESS_TOKEN_LIFETIME, &grant, &used);
	if (r == EID_ERR_NOT_FOUND) {
		if (used != NULL)
			revoke_after_reuse(app, used);
		r = DENY(err, 400, "invalid_grant", INVALID_CODE);
		goto out;
	}
	if (r != 0)
		goto out;
	/* decide: the code is spent now, whatever follows */
	if (gstr(grant, "client_id") == NULL || strcmp(gstr(grant, "client_id"), client->client_id) != 0) {
		log_warn("code_wrong_client", LS("client_id", client->client_id));
		r = DENY(err, 400, "invalid_grant", INVALID_CODE);
		goto out;
	}
	if (gstr(grant, "redirect_uri") == NULL || strcmp(gstr(grant, "redirect_uri"), redirect_uri) != 0) {
		r = DENY(err, 400, "invalid_grant",
		    "redirect_uri does not match the one in the authorization request.");
		goto out;
	}
	if (!srv_pkce_s256_matches(verifier, gstr(grant, "code_challenge"))) {
		r = DENY(err, 400, "invalid_grant",
		    "PKCE verification failed: code_verifier is missing or does not match the code_challenge.");
		goto out;
	}
	r = issue_tokens(app, client, grant, gstr(grant, "scope"), family, jti, 1, resp, err);
	if (r == 0) {
		log_info("token_issued", LS("grant_type", "authorization_code"),
		    LS("client_id", client->client_id));
		audit_release(resp, (int64_t)app->now(), client->client_id, gstr(grant, "account"),
		    gstr(grant, "scope"));
	}
out:
	json_decref(grant);
	json_decref(used);
	return r;
}

int
srv_token_grant_refresh(struct srv_app *app, const struct srv_req *req,
    const struct srv_client *client, struct srv_resp *resp, struct srv_oauth_error *err)
{
	const char *token = param(req, "refresh_token"), *scope = param(req, "scope");
	char jti[CX_B64URL_LEN(SRV_TOKEN_JTI_BYTES)];
	json_t *grant = NULL;
	const char *family;
	int r;

	if (!srv_client_metadata_has(client, "grant_types", "refresh_token"))
		return DENY(err, 400, "unauthorized_client",
		    "This client is not registered for the refresh_token grant.");
	if (token == NULL)
		return DENY(err, 400, "invalid_request", "refresh_token is required.");
	r = srv_refresh_take(app, token, &grant);
	if (r == EID_ERR_DENIED) {
		log_warn("refresh_reuse_family_revoked", LS("client_id", client->client_id));
		return DENY(err, 400, "invalid_grant", INVALID_REFRESH);
	}
	if (r == EID_ERR_NOT_FOUND)
		return DENY(err, 400, "invalid_grant", INVALID_REFRESH);
	if (r != 0)
		return r;
	family = gstr(grant, "family");
	if (gstr(grant, "client_id") == NULL || strcmp(gstr(grant, "client_id"), client->client_id) != 0) {
		/* a token presented by another client is compromised: end its family */
		log_warn("refresh_wrong_client", LS("client_id", client->client_id));
		if ((r = srv_refresh_revoke_family(app, family)) == 0)
			r = DENY(err, 400, "invalid_grant", INVALID_REFRESH);
		goto out;
	}
	/* RFC 6749 6: a narrower scope may be asked, never a wider one */
	if (scope != NULL && (scope[0] == '\0' || !srv_scope_covers(gstr(grant, "scope"), scope))) {
		r = DENY(err, 400, "invalid_scope", "The scope must not exceed the one originally granted.");
		goto out;
	}
	cx_random_token(jti, sizeof(jti), SRV_TOKEN_JTI_BYTES);
	r = issue_tokens(app, client, grant, scope != NULL ? scope : gstr(grant, "scope"), family,
	    jti, 0, resp, err);
	if (r == 0)
		log_info("token_issued", LS("grant_type", "refresh_token"), LS("client_id", client->client_id));
out:
	json_decref(grant);
	return r;
}
