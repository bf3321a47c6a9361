/* srv_oauth_client.c - client authentication at the token-type endpoints (see the header). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cx_util.h"
#include "eid_limits.h"
#include "srv_accounts.h"
#include "srv_oauth_client.h"

#define GENERIC_AUTH_FAILED "Client authentication failed."

static const struct {
	enum srv_client_auth method;
	const char *name;
} auth_names[] = {
	{ SRV_CLIENT_AUTH_SECRET_BASIC, "client_secret_basic" },
	{ SRV_CLIENT_AUTH_SECRET_POST, "client_secret_post" },
	{ SRV_CLIENT_AUTH_PRIVATE_KEY_JWT, "private_key_jwt" },
	{ SRV_CLIENT_AUTH_NONE, "none" },
};

const char *
srv_client_auth_name(enum srv_client_auth m)
{
	size_t i;

	for (i = 0; i < sizeof(auth_names) / sizeof(auth_names[0]); i++)
		if (auth_names[i].method == m)
			return auth_names[i].name;
	return NULL;
}

void
srv_client_credentials_clear(struct srv_client_credentials *c)
{
	free(c->client_id);
	cx_free_str(c->secret);
	cx_free_str(c->assertion);
	memset(c, 0, sizeof(*c));
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * application/x-www-form-urlencoded decoding of in[0..len) into a fresh string:
 * '+' is a space, %XX a byte; a malformed escape is EID_ERR_ENCODING, a NUL byte
 * EID_ERR_FORMAT. The output is never longer than the input.
 */
static int
form_decode(const char *in, size_t len, char **out)
{
	char *o = malloc(len + 1);
	size_t i, n = 0;
	int r = 0;

	*out = NULL;
	if (o == NULL)
		return EID_ERR_NOMEM;
	for (i = 0; i < len; i++) {
		if (in[i] == '+')
			o[n++] = ' ';
		else if (in[i] == '%') {
			int hi, lo;

			if (len - i < 3) {
				r = EID_ERR_ENCODING;
				goto out;
			}
			if ((hi = hexval(in[i + 1])) < 0 || (lo = hexval(in[i + 2])) < 0) {
				r = EID_ERR_ENCODING;
				goto out;
			}
			if (hi == 0 && lo == 0) {
				r = EID_ERR_FORMAT;
				goto out;
			}
			o[n++] = (char)(hi * 16 + lo);
			i += 2;
		} else
			o[n++] = in[i];
	}
	o[n] = '\0';
	*out = o;
	o = NULL;
out:
	if (o != NULL) {
		cx_wipe(o, len + 1);
		free(o);
	}
	return r;
}

/* The Basic credentials of an Authorization header value (RFC 7617, RFC 6749 2.3.1). */
static int
parse_basic(const char *hv, struct srv_client_credentials *out)
{
	uint8_t *raw = NULL;
	size_t rawlen = 0, b64len;
	const char *b64, *colon;
	int r;

	if (strncasecmp(hv, "basic", 5) != 0 || (hv[5] != ' ' && hv[5] != '\t'))
		return EID_ERR_FORMAT;
	b64 = hv + 5;
	while (*b64 == ' ' || *b64 == '\t')
		b64++;
	b64len = strlen(b64);
	while (b64len > 0 && (b64[b64len - 1] == ' ' || b64[b64len - 1] == '\t'))
		b64len--;
	if (b64len == 0)
		return EID_ERR_FORMAT;
	if (b64len > SRV_OAUTH_BASIC_MAX_B64)
		return EID_ERR_TOO_LARGE;
	if ((r = cx_b64_decode_alloc(&raw, &rawlen, b64, b64len, SRV_OAUTH_BASIC_MAX_B64)) != 0) {
		r = r == EID_ERR_NOMEM ? r : EID_ERR_ENCODING;
		goto out;
	}
	if (memchr(raw, '\0', rawlen) != NULL) {
		r = EID_ERR_FORMAT;
		goto out;
	}
	/* url-encoded ids and secrets cannot hold a raw ':', so the first one splits */
	if ((colon = memchr(raw, ':', rawlen)) == NULL || colon == (const char *)raw) {
		r = EID_ERR_FORMAT;
		goto out;
	}
	if ((r = form_decode((const char *)raw, (size_t)(colon - (const char *)raw), &out->client_id)) != 0 ||
	    (r = form_decode(colon + 1, rawlen - (size_t)(colon + 1 - (const char *)raw), &out->secret)) != 0)
		goto out;
	if (out->client_id[0] == '\0') {
		r = EID_ERR_FORMAT;
		goto out;
	}
	if (strlen(out->client_id) > EID_CLIENT_ID_MAX || strlen(out->secret) > SRV_OAUTH_SECRET_MAX) {
		r = EID_ERR_TOO_LARGE;
		goto out;
	}
	out->method = SRV_CLIENT_AUTH_SECRET_BASIC;
out:
	if (raw != NULL) {
		cx_wipe(raw, rawlen);
		free(raw);
	}
	return r;
}

static int
dup_str(const char *s, char **out)
{
	if ((*out = strdup(s)) == NULL)
		return EID_ERR_NOMEM;
	return 0;
}

int
srv_oauth_client_parse(const struct srv_req *req, struct srv_client_credentials *out)
{
	size_t n_auth = 0, n_id = 0, n_secret = 0, n_atype = 0, n_assert = 0;
	const char *authz, *id, *secret, *atype, *assertion;
	int r = 0;

	memset(out, 0, sizeof(*out));
	authz = srv_kvlist_get(&req->headers, "authorization", &n_auth);
	id = srv_req_param(req, "client_id", &n_id);
	secret = srv_req_param(req, "client_secret", &n_secret);
	atype = srv_req_param(req, "client_assertion_type", &n_atype);
	assertion = srv_req_param(req, "client_assertion", &n_assert);

	/* parse: one of each at most, one method at most */
	if (n_auth > 1 || n_id > 1 || n_secret > 1 || n_atype > 1 || n_assert > 1)
		return EID_ERR_INVALID_ARGUMENT;
	if ((authz != NULL) + (secret != NULL) + (atype != NULL || assertion != NULL) > 1)
		return EID_ERR_INVALID_ARGUMENT;

	if (authz != NULL) {
		if ((r = parse_basic(authz, out)) != 0)
			goto out;
		/* RFC 6749 3.2.1 lets a client name itself; it must be the same client */
		if (id != NULL && strcmp(id, out->client_id) != 0)
			r = EID_ERR_INVALID_ARGUMENT;
		goto out;
	}
	if (id != NULL && strlen(id) > EID_CLIENT_ID_MAX) {
		r = EID_ERR_TOO_LARGE;
		goto out;
	}
	if (secret != NULL) {
		if (id == NULL || id[0] == '\0') {
			r = EID_ERR_FORMAT;
			goto out;
		}
		if (strlen(secret) > SRV_OAUTH_SECRET_MAX) {
			r = EID_ERR_TOO_LARGE;
			goto out;
		}
		out->method = SRV_CLIENT_AUTH_SECRET_POST;
		if ((r = dup_str(id, &out->client_id)) != 0 || (r = dup_str(secret, &out->secret)) != 0)
			goto out;
	} else if (atype != NULL || assertion != NULL) {
		/* the client id comes from the assertion's iss/sub when client_id is absent */
		out->method = SRV_CLIENT_AUTH_PRIVATE_KEY_JWT;
		if ((id != NULL && (r = dup_str(id, &out->client_id)) != 0) ||
		    (assertion != NULL && (r = dup_str(assertion, &out->assertion)) != 0))
			goto out;
	} else if (id != NULL) {
		if (id[0] == '\0') {
			r = EID_ERR_FORMAT;
			goto out;
		}
		out->method = SRV_CLIENT_AUTH_NONE;
		r = dup_str(id, &out->client_id);
	}
out:
	if (r != 0)
		srv_client_credentials_clear(out);
	return r;
}

int
srv_oauth_error_respond(struct srv_resp *resp, const struct srv_oauth_error *e)
{
	int r;

	srv_kvlist_clear(&resp->headers);
	r = srv_resp_error(resp, e->status, e->error, e->description);
	if (r == 0 && e->status == 401)
		r = srv_resp_header(resp, "WWW-Authenticate", "Basic realm=\"eid\"");
	return r;
}

static int
deny(struct srv_oauth_error *err, unsigned status, const char *error, const char *desc)
{
	err->status = status;
	err->error = error;
	err->description = desc;
	return EID_ERR_DENIED;
}

/* The method a client registered; RFC 7591 2: client_secret_basic when absent. */
static enum srv_client_auth
registered_method(const struct srv_client *c)
{
	const char *name = json_string_value(json_object_get(c->metadata, "token_endpoint_auth_method"));
	size_t i;

	if (name == NULL)
		return SRV_CLIENT_AUTH_SECRET_BASIC;
	for (i = 0; i < sizeof(auth_names) / sizeof(auth_names[0]); i++)
		if (strcmp(auth_names[i].name, name) == 0)
			return auth_names[i].method;
	return SRV_CLIENT_AUTH_MISSING;     /* unknown: matches nothing */
}

/*
 * Decide for the shared-secret methods (pure apart from the keyed hash). The hash is
 * computed in every case, against a dummy record when there is no usable client, so
 * an unknown client costs the same as a wrong secret.
 */
static int
secret_auth_ok(const struct srv_secret *s, const struct srv_client *c,
    const struct srv_client_credentials *cred)
{
	static const struct srv_client dummy = { .has_secret = 1 };
	int usable = c != NULL && c->has_secret && !c->disabled;
	int secret_ok = srv_client_secret_check(s, usable ? c : &dummy, cred->secret);
	int method_ok = c != NULL && registered_method(c) == cred->method;

	return usable & secret_ok & method_ok;
}

int
srv_oauth_client_authenticate(struct srv_app *app, const struct srv_req *req,
    struct srv_client **client, struct srv_oauth_error *err)
{
	struct srv_client_credentials cred;
	struct srv_client *c = NULL;
	int r;

	*client = NULL;
	/* parse */
	r = srv_oauth_client_parse(req, &cred);
	if (r == EID_ERR_NOMEM)
		return r;
	if (r == EID_ERR_INVALID_ARGUMENT) {
		r = deny(err, 400, "invalid_request",
		    "Use exactly one client authentication method, and give each parameter once.");
		goto out;
	}
	if (r != 0 || cred.method == SRV_CLIENT_AUTH_MISSING) {
		r = deny(err, 401, "invalid_client", GENERIC_AUTH_FAILED);
		goto out;
	}
	if (cred.method == SRV_CLIENT_AUTH_PRIVATE_KEY_JWT || cred.method == SRV_CLIENT_AUTH_NONE) {
		/* later slice: RFC 7523 assertions, public clients at /token with PKCE */
		r = deny(err, 401, "invalid_client",
		    "This client authentication method is not supported yet.");
		goto out;
	}

	/* look up (an unknown client is not an error here: it fails the decision below) */
	r = srv_store_client_get(app->store, cred.client_id, &c);
	if (r == EID_ERR_NOT_FOUND || r == EID_ERR_INVALID_ARGUMENT)
		c = NULL;
	else if (r != 0)
		goto out;

	/* decide */
	if (!secret_auth_ok(app->secret, c, &cred)) {
		r = deny(err, 401, "invalid_client", GENERIC_AUTH_FAILED);
		goto out;
	}
	*client = c;
	c = NULL;
	r = 0;
out:
	srv_client_free(&c);
	srv_client_credentials_clear(&cred);
	return r;
}

int
srv_oauth_check_form(const struct srv_req *req, struct srv_oauth_error *err)
{
	size_t i, j;

	if (req->method != SRV_POST || !srv_content_type_is(srv_req_header(req, "content-type"),
	    "application/x-www-form-urlencoded"))
		return deny(err, 400, "invalid_request",
		    "The request must be a POST with an application/x-www-form-urlencoded body.");
	for (i = 0; i < req->form.n; i++)
		for (j = i + 1; j < req->form.n; j++)
			if (strcmp(req->form.v[i].key, req->form.v[j].key) == 0)
				return deny(err, 400, "invalid_request",
				    "A request parameter was given more than once.");
	return 0;
}
