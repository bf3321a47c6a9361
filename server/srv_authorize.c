/*
 * srv_authorize.c - the authorization request as pure functions (see srv_authorize.h).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "cx_buf.h"
#include "cx_util.h"
#include "srv_authorize.h"

#define STAGE1(e, reason, code, text) \
	((e)->redirect = 0, (e)->status = 400, (e)->error = (code), (e)->description = (text), \
	 (e)->page_reason = (reason), EID_ERR_DENIED)
#define STAGE2(e, code, text) \
	((e)->redirect = 1, (e)->status = 400, (e)->error = (code), (e)->description = (text), \
	 (e)->page_reason = 0, EID_ERR_DENIED)

void
srv_authz_request_clear(struct srv_authz_request *a)
{
	free(a->client_id);
	free(a->redirect_uri);
	free(a->scope);
	free(a->state);
	free(a->nonce);
	free(a->code_challenge);
	free(a->login_hint);
	free(a->ui_locales);
	memset(a, 0, sizeof(*a));
}

/* The single value of a parameter. 0 absent, 1 present once, -1 repeated. */
static int
one(const struct srv_kvlist *p, const char *name, const char **v)
{
	size_t count = 0;

	*v = srv_kvlist_get(p, name, &count);
	if (count > 1) {
		*v = NULL;
		return -1;
	}
	return *v != NULL;
}

static int
dup_opt(const char *v, char **out)
{
	*out = NULL;
	if (v == NULL)
		return 0;
	if ((*out = strdup(v)) == NULL)
		return EID_ERR_NOMEM;
	return 0;
}

/* Printable ASCII without controls (what we accept in state, nonce, hints). */
static int
printable(const char *s, size_t max)
{
	size_t n = strlen(s);
	size_t i;

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

static int
has_token(const char *list, const char *tok, size_t n)
{
	const char *p = list;

	while (p != NULL && *p != '\0') {
		size_t m;

		while (*p == ' ')
			p++;
		m = strcspn(p, " ");
		if (m == n && m > 0 && strncmp(p, tok, n) == 0)
			return 1;
		p += m;
	}
	return 0;
}

int
srv_scope_covers(const char *have, const char *want)
{
	const char *p = want;

	if (want == NULL)
		return 1;
	if (have == NULL)
		return *want == '\0';
	while (*p != '\0') {
		size_t m;

		while (*p == ' ')
			p++;
		m = strcspn(p, " ");
		if (m > 0 && !has_token(have, p, m))
			return 0;
		p += m;
	}
	return 1;
}

int
srv_scope_union(const char *have, const char *want, char **out)
{
	struct cx_dynbuf b;
	const char *lists[2] = { have, want };
	size_t i;
	int r = 0;

	cx_dynbuf_init(&b, SRV_AUTHZ_SCOPE_MAX * 2 + 2);
	for (i = 0; i < 2 && r == 0; i++) {
		const char *p = lists[i];

		while (p != NULL && *p != '\0' && r == 0) {
			size_t m;

			while (*p == ' ')
				p++;
			m = strcspn(p, " ");
			if (m > 0 && !has_token(cx_dynbuf_str(&b), p, m)) {
				if (b.len > 0)
					r = cx_dynbuf_add(&b, " ", 1);
				r = r != 0 ? r : cx_dynbuf_add(&b, p, m);
			}
			p += m;
		}
	}
	if (r == 0 && (*out = strdup(cx_dynbuf_str(&b))) == NULL)
		r = EID_ERR_NOMEM;
	cx_dynbuf_free(&b);
	return r;
}

int
srv_client_metadata_has(const struct srv_client *c, const char *member, const char *value)
{
	json_t *v;
	size_t i;

	/* exact, byte-for-byte (redirect URIs: OIDC Core 3.1.2.1, RFC 9700 2.1) */
	json_array_foreach(json_object_get(c->metadata, member), i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), value) == 0)
			return 1;
	return 0;
}

/* RFC 7636 4.2: code_challenge = BASE64URL(SHA256(verifier)): exactly 43 characters. */
static int
challenge_ok(const char *c)
{
	size_t i;

	if (strlen(c) != 43)
		return 0;
	for (i = 0; i < 43; i++) {
		unsigned char ch = (unsigned char)c[i];

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    ch == '-' || ch == '_'))
			return 0;
	}
	return 1;
}

static int
parse_prompt(const char *v, int *out)
{
	const char *p = v;

	*out = 0;
	while (*p != '\0') {
		size_t m;

		while (*p == ' ')
			p++;
		m = strcspn(p, " ");
		if (m == 4 && strncmp(p, "none", 4) == 0)
			*out |= SRV_PROMPT_NONE;
		else if (m == 5 && strncmp(p, "login", 5) == 0)
			*out |= SRV_PROMPT_LOGIN;
		else if (m == 7 && strncmp(p, "consent", 7) == 0)
			*out |= SRV_PROMPT_CONSENT;
		else if (m > 0)
			return -1;      /* select_account, create, or garbage */
		p += m;
	}
	/* OIDC Core 3.1.2.1: none with any other value is an error */
	if ((*out & SRV_PROMPT_NONE) && *out != SRV_PROMPT_NONE)
		return -1;
	return 0;
}

/* The lowest level among the acr values we know (a request accepts any of them); 0 if none. */
static int
parse_acr(const char *v)
{
	int level = 0;

	if (has_token(v, "urn:eid:level:1", 15))
		level = 1;
	else if (has_token(v, "urn:eid:level:2", 15))
		level = 2;
	return level;
}

static int
parse_max_age(const char *v, long *out)
{
	char *end;
	long n;

	if (v[0] < '0' || v[0] > '9' || strlen(v) > 9)
		return -1;
	n = strtol(v, &end, 10);
	if (*end != '\0' || n < 0)
		return -1;
	*out = n;
	return 0;
}

int
srv_authz_parse(const struct srv_kvlist *params, const struct srv_client *client,
    long long now, struct srv_authz_request *out, struct srv_authz_error *err)
{
	static const char *const single[] = { "response_type", "scope", "state", "nonce",
		"code_challenge", "code_challenge_method", "prompt", "max_age", "login_hint",
		"ui_locales", "acr_values", "response_mode", "display", "claims_locales",
		"id_token_hint", NULL };
	const char *client_id, *redirect_uri, *v, *registered;
	size_t i;
	int r;

	memset(out, 0, sizeof(*out));
	out->max_age = -1;
	out->created = now;

	/* stage 1: who is asking and where the answer goes; never redirected */
	if (one(params, "client_id", &client_id) != 1 || client == NULL ||
	    client->disabled || strcmp(client->client_id, client_id) != 0)
		return STAGE1(err, SRV_AUTHZ_PAGE_CLIENT, "invalid_request",
		    "The client_id is missing, repeated or unknown.");
	if (one(params, "redirect_uri", &redirect_uri) != 1 ||
	    !srv_client_metadata_has(client, "redirect_uris", redirect_uri))
		return STAGE1(err, SRV_AUTHZ_PAGE_REDIRECT, "invalid_request",
		    "The redirect_uri is missing, repeated or not registered for this client.");
	if ((r = dup_opt(client_id, &out->client_id)) != 0 ||
	    (r = dup_opt(redirect_uri, &out->redirect_uri)) != 0)
		return r;
	/* state first, so that every later error carries it back */
	if (one(params, "state", &v) == 1 && printable(v, SRV_AUTHZ_PARAM_MAX) &&
	    (r = dup_opt(v, &out->state)) != 0)
		return r;
	if (one(params, "response_mode", &v) == 1 && strcmp(v, "form_post") == 0)
		out->form_post = 1;

	/* stage 2: errors go back to the client */
	for (i = 0; single[i] != NULL; i++)
		if (one(params, single[i], &v) < 0)
			return STAGE2(err, "invalid_request", "A request parameter was given more than once.");
	if (one(params, "state", &v) == 1 && out->state == NULL)
		return STAGE2(err, "invalid_request", "The state parameter is too long or has control characters.");
	if (one(params, "response_mode", &v) == 1 && strcmp(v, "query") != 0 && strcmp(v, "form_post") != 0)
		return STAGE2(err, "invalid_request", "response_mode must be query or form_post.");
	if (one(params, "request", &v) != 0)
		return STAGE2(err, "request_not_supported", "Request objects are not supported.");
	if (one(params, "request_uri", &v) != 0)
		return STAGE2(err, "request_uri_not_supported", "request_uri is not supported.");
	if (one(params, "registration", &v) != 0)
		return STAGE2(err, "registration_not_supported", "The registration parameter is not supported.");
	if (one(params, "response_type", &v) != 1)
		return STAGE2(err, "invalid_request", "response_type is required.");
	if (strcmp(v, "code") != 0)
		return STAGE2(err, "unsupported_response_type", "Only response_type=code is supported.");
	if (!srv_client_metadata_has(client, "grant_types", "authorization_code"))
		return STAGE2(err, "unauthorized_client", "This client is not registered for the authorization_code grant.");

	if (one(params, "scope", &v) != 1 || strlen(v) > SRV_AUTHZ_SCOPE_MAX || !has_token(v, "openid", 6))
		return STAGE2(err, "invalid_scope", "The scope must include openid.");
	registered = json_string_value(json_object_get(client->metadata, "scope"));
	if (!srv_scope_covers(registered, v))
		return STAGE2(err, "invalid_scope", "The scope asks for more than this client is registered for.");
	if ((r = srv_scope_union(NULL, v, &out->scope)) != 0)
		return r;

	/* PKCE S256 for every client (RFC 9700 2.1.1); plain is refused */
	if (one(params, "code_challenge", &v) != 1)
		return STAGE2(err, "invalid_request", "code_challenge is required (PKCE with S256).");
	if (!challenge_ok(v))
		return STAGE2(err, "invalid_request", "code_challenge must be the base64url SHA-256 of the code_verifier (43 characters).");
	if ((r = dup_opt(v, &out->code_challenge)) != 0)
		return r;
	if (one(params, "code_challenge_method", &v) != 1 || strcmp(v, "S256") != 0)
		return STAGE2(err, "invalid_request", "code_challenge_method must be S256.");

	if (one(params, "nonce", &v) == 1) {
		if (!printable(v, SRV_AUTHZ_PARAM_MAX))
			return STAGE2(err, "invalid_request", "The nonce is too long or has control characters.");
		if ((r = dup_opt(v, &out->nonce)) != 0)
			return r;
	}
	if (one(params, "prompt", &v) == 1 && parse_prompt(v, &out->prompt) != 0)
		return STAGE2(err, "invalid_request", "prompt must be none, or any of login and consent.");
	if (one(params, "max_age", &v) == 1 && parse_max_age(v, &out->max_age) != 0)
		return STAGE2(err, "invalid_request", "max_age must be a non-negative number of seconds.");
	if (one(params, "acr_values", &v) == 1) {
		if (strlen(v) > SRV_AUTHZ_PARAM_MAX)
			return STAGE2(err, "invalid_request", "acr_values is too long.");
		out->acr_level = parse_acr(v);
	}
	if (one(params, "login_hint", &v) == 1 && printable(v, 64) &&
	    (r = dup_opt(v, &out->login_hint)) != 0)
		return r;
	if (one(params, "ui_locales", &v) == 1 && printable(v, 64) &&
	    (r = dup_opt(v, &out->ui_locales)) != 0)
		return r;
	return 0;
}

enum srv_authz_next
srv_authz_decide(const struct srv_authz_request *a, const struct srv_authz_session *s,
    long long now, struct srv_authz_error *err)
{
	int stale = 0, weak = 0, fresh;

	/* a sign-in that happened for this very request satisfies prompt=login and max_age */
	fresh = a->resumed && s->has_session && s->auth_time >= a->created;
	if (!s->has_session)
		stale = 1;
	else if (!fresh) {
		if (a->prompt & SRV_PROMPT_LOGIN)
			stale = 1;
		if (a->max_age == 0 || (a->max_age > 0 && now - s->auth_time > a->max_age))
			stale = 1;
	}
	if (s->has_session && a->acr_level > s->level)
		weak = 1;
	if (stale || weak) {
		if (!(a->prompt & SRV_PROMPT_NONE))
			return SRV_AUTHZ_LOGIN;
		if (stale)
			(void)STAGE2(err, "login_required", "The citizen is not signed in (prompt=none).");
		else
			(void)STAGE2(err, "unmet_authentication_requirements",
			    "The session does not meet the requested assurance level (prompt=none).");
		return SRV_AUTHZ_FAIL;
	}
	if ((a->prompt & SRV_PROMPT_CONSENT) || !srv_scope_covers(s->consented_scope, a->scope)) {
		if (!(a->prompt & SRV_PROMPT_NONE))
			return SRV_AUTHZ_CONSENT;
		(void)STAGE2(err, "consent_required", "The citizen has not consented to this request (prompt=none).");
		return SRV_AUTHZ_FAIL;
	}
	return SRV_AUTHZ_ISSUE;
}

/* form-urlencode one name=value pair onto b (with a leading separator). */
static int
add_param(struct cx_dynbuf *b, char *sep, const char *name, const char *value)
{
	int r;

	if (value == NULL)
		return 0;
	r = cx_dynbuf_add(b, sep, 1);
	*sep = '&';
	r = r != 0 ? r : cx_dynbuf_add_str(b, name);
	r = r != 0 ? r : cx_dynbuf_add(b, "=", 1);
	return r != 0 ? r : srv_pct_encode(b, value, "");
}

/* scheme://host[:port] of a URI (for CSP form-action), or NULL. */
char *
srv_authz_origin(const char *uri)
{
	const char *p = strstr(uri, "://");
	size_t n;
	char *o;

	if (p != NULL) {
		p += 3;
		p += strcspn(p, "/?#");
	} else if ((p = strchr(uri, ':')) != NULL)
		p++;                /* "com.example.app:/cb": the scheme is the CSP source */
	else
		return NULL;
	n = (size_t)(p - uri);
	if ((o = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(o, uri, n);
	o[n] = '\0';
	return o;
}

static int
hidden(struct cx_dynbuf *b, const char *name, const char *value)
{
	int r;

	if (value == NULL)
		return 0;
	r = cx_dynbuf_add_str(b, "<input type=\"hidden\" name=\"");
	r = r != 0 ? r : cx_dynbuf_add_str(b, name);
	r = r != 0 ? r : cx_dynbuf_add_str(b, "\" value=\"");
	r = r != 0 ? r : srv_html_add_escaped(b, value);
	return r != 0 ? r : cx_dynbuf_add_str(b, "\">\n");
}

int
srv_authz_respond(struct srv_resp *resp, const struct srv_authz_request *a,
    const char *issuer, const char *code, const char *error, const char *description)
{
	struct cx_dynbuf loc;
	char sep;
	int r;

	cx_dynbuf_reset(&resp->body);
	resp->no_store = 1;
	if (a->form_post) {
		struct cx_dynbuf *b = &resp->body;

		resp->status = 200;
		resp->content_type = "text/html; charset=utf-8";
		resp->html = 1;
		free(resp->form_action);
		if ((resp->form_action = srv_authz_origin(a->redirect_uri)) == NULL)
			return EID_ERR_NOMEM;
		r = cx_dynbuf_add_str(b, "<!doctype html>\n<html><head><meta charset=\"utf-8\">"
		    "<title>…</title><script src=\"/static/form_post.js\" defer></script></head>\n"
		    "<body><form method=\"post\" id=\"form_post\" action=\"");
		r = r != 0 ? r : srv_html_add_escaped(b, a->redirect_uri);
		r = r != 0 ? r : cx_dynbuf_add_str(b, "\">\n");
		r = r != 0 ? r : hidden(b, "code", code);
		r = r != 0 ? r : hidden(b, "error", error);
		r = r != 0 ? r : hidden(b, "error_description", description);
		r = r != 0 ? r : hidden(b, "state", a->state);
		r = r != 0 ? r : hidden(b, "iss", issuer);
		r = r != 0 ? r : cx_dynbuf_add_str(b, "<noscript><button type=\"submit\">Continue / Tiếp tục</button></noscript>\n"
		    "</form></body></html>\n");
		return r;
	}
	cx_dynbuf_init(&loc, 8192);
	r = cx_dynbuf_add_str(&loc, a->redirect_uri);
	sep = strchr(a->redirect_uri, '?') != NULL ? '&' : '?';
	r = r != 0 ? r : add_param(&loc, &sep, "code", code);
	r = r != 0 ? r : add_param(&loc, &sep, "error", error);
	r = r != 0 ? r : add_param(&loc, &sep, "error_description", description);
	r = r != 0 ? r : add_param(&loc, &sep, "state", a->state);
	r = r != 0 ? r : add_param(&loc, &sep, "iss", issuer);
	if (r == 0) {
		resp->status = 303;
		resp->content_type = "text/plain; charset=utf-8";
		r = srv_resp_header(resp, "Location", cx_dynbuf_str(&loc));
	}
	cx_dynbuf_free(&loc);
	return r;
}

static int
set_opt(json_t *o, const char *k, const char *v)
{
	return v == NULL ? 0 : json_object_set_new(o, k, json_string(v));
}

int
srv_authz_to_json(const struct srv_authz_request *a, json_t **out)
{
	json_t *o = json_object();

	if (o == NULL ||
	    set_opt(o, "client_id", a->client_id) != 0 ||
	    set_opt(o, "redirect_uri", a->redirect_uri) != 0 ||
	    set_opt(o, "scope", a->scope) != 0 ||
	    set_opt(o, "state", a->state) != 0 ||
	    set_opt(o, "nonce", a->nonce) != 0 ||
	    set_opt(o, "code_challenge", a->code_challenge) != 0 ||
	    set_opt(o, "login_hint", a->login_hint) != 0 ||
	    set_opt(o, "ui_locales", a->ui_locales) != 0 ||
	    json_object_set_new(o, "prompt", json_integer(a->prompt)) != 0 ||
	    json_object_set_new(o, "max_age", json_integer(a->max_age)) != 0 ||
	    json_object_set_new(o, "acr_level", json_integer(a->acr_level)) != 0 ||
	    json_object_set_new(o, "form_post", json_integer(a->form_post)) != 0 ||
	    json_object_set_new(o, "created", json_integer(a->created)) != 0) {
		json_decref(o);
		return EID_ERR_NOMEM;
	}
	*out = o;
	return 0;
}

static int
get_opt(const json_t *o, const char *k, char **out)
{
	return dup_opt(json_string_value(json_object_get(o, k)), out);
}

int
srv_authz_from_json(const json_t *o, struct srv_authz_request *out)
{
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = get_opt(o, "client_id", &out->client_id)) != 0 ||
	    (r = get_opt(o, "redirect_uri", &out->redirect_uri)) != 0 ||
	    (r = get_opt(o, "scope", &out->scope)) != 0 ||
	    (r = get_opt(o, "state", &out->state)) != 0 ||
	    (r = get_opt(o, "nonce", &out->nonce)) != 0 ||
	    (r = get_opt(o, "code_challenge", &out->code_challenge)) != 0 ||
	    (r = get_opt(o, "login_hint", &out->login_hint)) != 0 ||
	    (r = get_opt(o, "ui_locales", &out->ui_locales)) != 0) {
		srv_authz_request_clear(out);
		return r;
	}
	out->prompt = (int)json_integer_value(json_object_get(o, "prompt"));
	out->max_age = (long)json_integer_value(json_object_get(o, "max_age"));
	out->acr_level = (int)json_integer_value(json_object_get(o, "acr_level"));
	out->form_post = (int)json_integer_value(json_object_get(o, "form_post"));
	out->created = (long long)json_integer_value(json_object_get(o, "created"));
	if (out->client_id == NULL || out->redirect_uri == NULL || out->scope == NULL ||
	    out->code_challenge == NULL) {
		srv_authz_request_clear(out);
		return EID_ERR_FORMAT;
	}
	return 0;
}

int
srv_pkce_s256_matches(const char *verifier, const char *challenge)
{
	unsigned char h[SHA256_DIGEST_LENGTH];
	char enc[CX_B64URL_LEN(SHA256_DIGEST_LENGTH)];
	size_t i, n;
	int ok;

	if (verifier == NULL || challenge == NULL)
		return 0;
	/* RFC 7636 4.1: 43..128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~" */
	n = strlen(verifier);
	if (n < 43 || n > 128)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)verifier[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~'))
			return 0;
	}
	if (cx_sha256(h, verifier, n) != 0 || cx_b64url_encode(enc, sizeof(enc), h, sizeof(h)) != 0)
		return 0;
	ok = cx_ct_streq(enc, challenge);
	cx_wipe(h, sizeof(h));
	return ok;
}
