/*
 * srv_handle_discovery.c - GET /.well-known/openid-configuration (OpenID Connect
 * Discovery 1.0 section 3, RFC 8414 names for introspection and revocation).
 *
 * The document depends only on the issuer, so it is built once and kept (it is asked
 * for by every relying party at start-up and often after); a different issuer (tests
 * build apps with their own) rebuilds it. Responses are public and cacheable for an hour.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "srv_app.h"
#include "srv_validate.h"

#define DISCOVERY_MAX_AGE   3600

static pthread_mutex_t disco_lock = PTHREAD_MUTEX_INITIALIZER;
static char *disco_issuer;      /* the issuer the cached document was built for */
static char *disco_json;
static size_t disco_len;

static json_t *
str_array(const char *const *v)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && v[i] != NULL; i++)
		if (json_array_append_new(a, json_string(v[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static int
set_url(json_t *o, const char *name, const char *issuer, const char *path)
{
	size_t n = strlen(issuer) + strlen(path) + 1;
	char *u = malloc(n);
	int r;

	if (u == NULL)
		return -1;
	memcpy(u, issuer, strlen(issuer));
	memcpy(u + strlen(issuer), path, strlen(path) + 1);
	r = json_object_set_new(o, name, json_string(u));
	free(u);
	return r;
}

static int
set_list(json_t *o, const char *name, const char *const *v)
{
	return json_object_set_new(o, name, str_array(v));
}

/* Build the document for an issuer (pure). Caller json_decref. */
static json_t *
discovery_build(const char *issuer)
{
	static const char *const response_types[] = { "code", NULL };
	static const char *const response_modes[] = { "query", "form_post", NULL };
	static const char *const grant_types[] = { "authorization_code", "refresh_token",
		"client_credentials", NULL };
	static const char *const subject_types[] = { "pairwise", "public", NULL };
	static const char *const sig_algs[] = { "RS256", "PS256", "ES256", "EdDSA", NULL };
	static const char *const auth_methods[] = { "client_secret_basic", "client_secret_post",
		"private_key_jwt", "none", NULL };
	static const char *const secret_methods[] = { "client_secret_basic", "client_secret_post",
		"private_key_jwt", NULL };
	static const char *const pkce[] = { "S256", NULL };
	static const char *const claims[] = { "sub", "iss", "aud", "exp", "iat", "auth_time",
		"nonce", "acr", "amr", "azp", "sid", "name", "birthdate", "gender", "citizen_id",
		"address", "phone_number", "phone_number_verified", "email", "email_verified", NULL };
	static const char *const acr_values[] = { "urn:eid:level:1", "urn:eid:level:2", NULL };
	static const char *const locales[] = { "vi", "en", NULL };
	json_t *o = json_object();

	if (o == NULL ||
	    json_object_set_new(o, "issuer", json_string(issuer)) != 0 ||
	    set_url(o, "authorization_endpoint", issuer, "/authorize") != 0 ||
	    set_url(o, "token_endpoint", issuer, "/token") != 0 ||
	    set_url(o, "userinfo_endpoint", issuer, "/userinfo") != 0 ||
	    set_url(o, "jwks_uri", issuer, "/jwks") != 0 ||
	    set_url(o, "introspection_endpoint", issuer, "/introspect") != 0 ||
	    set_url(o, "revocation_endpoint", issuer, "/revoke") != 0 ||
	    set_url(o, "end_session_endpoint", issuer, "/end_session") != 0 ||
	    set_list(o, "response_types_supported", response_types) != 0 ||
	    set_list(o, "response_modes_supported", response_modes) != 0 ||
	    set_list(o, "grant_types_supported", grant_types) != 0 ||
	    set_list(o, "subject_types_supported", subject_types) != 0 ||
	    set_list(o, "id_token_signing_alg_values_supported", sig_algs) != 0 ||
	    set_list(o, "token_endpoint_auth_methods_supported", auth_methods) != 0 ||
	    set_list(o, "token_endpoint_auth_signing_alg_values_supported", sig_algs) != 0 ||
	    set_list(o, "introspection_endpoint_auth_methods_supported", secret_methods) != 0 ||
	    set_list(o, "revocation_endpoint_auth_methods_supported", secret_methods) != 0 ||
	    set_list(o, "code_challenge_methods_supported", pkce) != 0 ||
	    set_list(o, "scopes_supported", srv_known_scopes) != 0 ||
	    set_list(o, "claims_supported", claims) != 0 ||
	    set_list(o, "acr_values_supported", acr_values) != 0 ||
	    set_list(o, "ui_locales_supported", locales) != 0 ||
	    json_object_set_new(o, "authorization_response_iss_parameter_supported", json_true()) != 0 ||
	    json_object_set_new(o, "backchannel_logout_supported", json_true()) != 0 ||
	    json_object_set_new(o, "backchannel_logout_session_supported", json_true()) != 0 ||
	    json_object_set_new(o, "request_parameter_supported", json_false()) != 0 ||
	    json_object_set_new(o, "request_uri_parameter_supported", json_false()) != 0 ||
	    json_object_set_new(o, "claims_parameter_supported", json_false()) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int
srv_handle_discovery(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp)
{
	const char *issuer = app->cfg->issuer;
	int r = 0;

	(void)req;
	pthread_mutex_lock(&disco_lock);
	if (disco_json == NULL || strcmp(disco_issuer, issuer) != 0) {
		json_t *o = discovery_build(issuer);
		char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
		char *iss = strdup(issuer);

		json_decref(o);
		if (text == NULL || iss == NULL) {
			free(text);
			free(iss);
			r = EID_ERR_NOMEM;
			goto out;
		}
		free(disco_json);
		free(disco_issuer);
		disco_json = text;
		disco_len = strlen(text);
		disco_issuer = iss;
	}
	cx_dynbuf_reset(&resp->body);
	r = cx_dynbuf_add(&resp->body, disco_json, disco_len);
out:
	pthread_mutex_unlock(&disco_lock);
	if (r != 0)
		return r;
	resp->status = 200;
	resp->content_type = "application/json";
	resp->cache_max_age = DISCOVERY_MAX_AGE;
	return 0;
}
