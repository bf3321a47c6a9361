/*
 * srv_handle_token.c - POST /token (RFC 6749 sections 3.2, 4.4, 5).
 *
 * grant_type=client_credentials is decided here; authorization_code and refresh_token
 * in srv_token_user.c. The steps:
 *   parse    form body, no repeated parameter, grant_type present
 *   verify   client authentication (srv_oauth_client)
 *   decide   grant allowed for the client, scope a subset of the registered scope
 *            (pure: token_decide_cc)
 *   respond  a signed RFC 9068 access token, no-store
 * Issuing needs no Redis.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx_util.h"
#include "srv_authorize.h"
#include "srv_log.h"
#include "srv_oauth_client.h"
#include "srv_token_user.h"
#include "srv_tokens.h"

#define SCOPE_MAX_TOKENS    32
#define SCOPE_MAX_BYTES     1024

/* RFC 6749 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ) */
static int
scope_char_ok(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
}

static int
scope_has(const char *list, const char *tok, size_t n)
{
	const char *p = list;

	while (p != NULL && *p != '\0') {
		size_t m = strcspn(p, " ");

		if (m == n && strncmp(p, tok, n) == 0)
			return 1;
		p += m;
		while (*p == ' ')
			p++;
	}
	return 0;
}

/* Scopes a client_credentials token can never carry: they name a person's sign-in. */
static int
user_only_scope(const char *tok, size_t n)
{
	return (n == 6 && strncmp(tok, "openid", 6) == 0) ||
	    (n == 14 && strncmp(tok, "offline_access", 14) == 0);
}

/*
 * Decide the granted scope (pure). requested NULL: the registered scope minus the
 * user-only scopes. *granted is a fresh string (caller frees), duplicates removed.
 * 0, EID_ERR_DENIED with *err filled, or EID_ERR_NOMEM.
 */
static int
token_decide_scope(const char *registered, const char *requested, char **granted,
    struct srv_oauth_error *err)
{
	const char *src = requested != NULL ? requested : (registered != NULL ? registered : "");
	struct cx_dynbuf out;
	size_t count = 0;
	const char *p;
	int r = 0;

	*granted = NULL;
	cx_dynbuf_init(&out, SCOPE_MAX_BYTES + 1);
	if (requested != NULL) {
		/* RFC 6749 3.3: tokens separated by single spaces, no empty scope */
		size_t len = strlen(requested);

		if (len == 0 || len > SCOPE_MAX_BYTES || requested[0] == ' ' || requested[len - 1] == ' ' ||
		    strstr(requested, "  ") != NULL)
			goto invalid;
		for (p = requested; *p != '\0'; p++)
			if (*p != ' ' && !scope_char_ok((unsigned char)*p))
				goto invalid;
	}
	for (p = src; *p != '\0';) {
		size_t n;

		while (*p == ' ')
			p++;
		if ((n = strcspn(p, " ")) == 0)
			break;
		if (user_only_scope(p, n)) {
			if (requested != NULL)
				goto invalid;
		} else if (requested != NULL && !scope_has(registered != NULL ? registered : "", p, n)) {
			goto invalid;
		} else if (!scope_has(cx_dynbuf_str(&out), p, n)) {
			if (++count > SCOPE_MAX_TOKENS)
				goto invalid;
			if ((out.len > 0 && (r = cx_dynbuf_add(&out, " ", 1)) != 0) ||
			    (r = cx_dynbuf_add(&out, p, n)) != 0)
				goto out;
		}
		p += n;
	}
	if (out.len == 0)
		goto invalid;
	*granted = cx_dynbuf_take(&out, NULL);
	r = *granted != NULL ? 0 : EID_ERR_NOMEM;
	goto out;
invalid:
	err->status = 400;
	err->error = "invalid_scope";
	err->description = "The requested scope is invalid, unknown, or not allowed for this client.";
	r = EID_ERR_DENIED;
out:
	cx_dynbuf_free(&out);
	return r;
}

int
srv_handle_token(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp)
{
	struct srv_oauth_error err = { 0 };
	struct srv_access_token_params p = { 0 };
	struct srv_client *client = NULL;
	const char *grant, *scope;
	char *granted = NULL, *token = NULL;
	size_t n_grant = 0, n_scope = 0;
	long expires_in = 0;
	int r;

	resp->no_store = 1;
	/* parse */
	if ((r = srv_oauth_check_form(req, &err)) != 0)
		goto out;
	grant = srv_req_param(req, "grant_type", &n_grant);
	scope = srv_req_param(req, "scope", &n_scope);
	if (grant == NULL || grant[0] == '\0') {
		err = (struct srv_oauth_error){ 400, "invalid_request", "The grant_type parameter is missing." };
		r = EID_ERR_DENIED;
		goto out;
	}
	/* verify */
	if ((r = srv_oauth_client_authenticate(app, req, &client, &err)) != 0)
		goto out;
	/* decide */
	if (strcmp(grant, "authorization_code") == 0) {
		r = srv_token_grant_code(app, req, client, resp, &err);
		goto out;
	}
	if (strcmp(grant, "refresh_token") == 0) {
		r = srv_token_grant_refresh(app, req, client, resp, &err);
		goto out;
	}
	if (strcmp(grant, "client_credentials") != 0) {
		err = (struct srv_oauth_error){ 400, "unsupported_grant_type",
		    "This grant type is not supported." };
		r = EID_ERR_DENIED;
		goto out;
	}
	if (!srv_client_metadata_has(client, "grant_types", grant)) {
		err = (struct srv_oauth_error){ 400, "unauthorized_client",
		    "This client is not registered for the client_credentials grant." };
		r = EID_ERR_DENIED;
		goto out;
	}
	if ((r = token_decide_scope(json_string_value(json_object_get(client->metadata, "scope")),
	    scope, &granted, &err)) != 0)
		goto out;
	/* respond */
	p.client_id = client->client_id;
	p.sub = client->client_id;
	p.scope = granted;
	if ((r = srv_tokens_issue_access(app, &p, &token, &expires_in)) != 0)
		goto out;
	r = srv_tokens_respond(resp, token, expires_in, granted, NULL, NULL);
	log_info("token_issued", LS("grant_type", "client_credentials"),
	    LS("client_id", client->client_id), LS("scope", granted));
out:
	if (r == EID_ERR_DENIED) {
		log_info("token_refused", LS("error", err.error),
		    LS("client_id", client != NULL ? client->client_id : "-"));
		r = srv_oauth_error_respond(resp, &err);
	}
	cx_free_str(token);
	free(granted);
	srv_client_free(&client);
	return r;
}
