/* srv_oauth_client.c - client authentication at the token-type endpoints (see the header). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cx_util.h"
#include "eid_limits.h"
#include "srv_accounts.h"
#include "srv_client_keys.h"
#include "srv_gencache.h"
#include "srv_log.h"
#include "srv_oauth_client.h"
#include "tok_jws.h"
#include "tok_jwt.h"
#include "tok_util.h"

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

/* ---- the client cache (see the header): a srv_gencache on "clients_generation" ---- */

/* A copy of a client record; the metadata is shared (read-only, reference-counted). */
static int
client_copy(const struct srv_client *src, struct srv_client **out)
{
	struct srv_client *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (c == NULL)
		return EID_ERR_NOMEM;
	*c = *src;
	c->client_id = c->name = NULL;
	c->metadata = NULL;
	if ((c->client_id = strdup(src->client_id)) == NULL ||
	    (src->name != NULL && (c->name = strdup(src->name)) == NULL)) {
		srv_client_free(&c);
		return EID_ERR_NOMEM;
	}
	c->metadata = json_incref(src->metadata);
	*out = c;
	return 0;
}

static int
cache_load(struct srv_store *s, const char *client_id, void **rec)
{
	struct srv_client *c = NULL;
	int r = srv_store_client_get(s, client_id, &c);

	*rec = c;
	return r;
}

static int
cache_copy(const void *rec, void **out)
{
	struct srv_client *c = NULL;
	int r = client_copy(rec, &c);

	*out = c;
	return r;
}

static void
cache_free(void **rec)
{
	struct srv_client *c = *rec;

	srv_client_free(&c);
	*rec = NULL;
}

static const struct srv_gencache_type client_cache_type = {
	.setting = "clients_generation",
	.slots = SRV_CLIENT_CACHE_SLOTS,
	.recheck_ms = SRV_CLIENT_CACHE_RECHECK_MS,
	.load = cache_load,
	.copy = cache_copy,
	.free_rec = cache_free,
};

static struct srv_gencache client_cache = SRV_GENCACHE_INIT(&client_cache_type);

void
srv_oauth_client_cache_clear(void)
{
	srv_gencache_clear(&client_cache);
}

int
srv_oauth_client_get(struct srv_app *app, const char *client_id, struct srv_client **out)
{
	void *rec = NULL;
	int r = srv_gencache_get(&client_cache, app->store, client_id, &rec);

	*out = rec;
	return r;
}

/* ---- private_key_jwt (RFC 7523, OIDC Core 9) ---- */

static const enum tok_alg assertion_algs[] = {
	TOK_ALG_RS256, TOK_ALG_PS256, TOK_ALG_ES256, TOK_ALG_EDDSA,
};

/* A NumericDate member as a number (tok_jwt_check_times has checked its form). */
static int
claim_time(const json_t *claims, const char *name, double *t)
{
	const json_t *v = json_object_get(claims, name);

	if (v == NULL)
		return 1;
	if (!json_is_number(v))
		return -1;
	*t = json_number_value(v);
	return 0;
}

static int
claim_str_eq(const json_t *claims, const char *name, const char *want)
{
	const json_t *v = json_object_get(claims, name);

	return json_is_string(v) && json_string_length(v) == strlen(want) &&
	    strcmp(json_string_value(v), want) == 0;
}

static int
check_fail(const char **why, const char *reason)
{
	*why = reason;
	return EID_ERR_DENIED;
}

int
srv_client_assertion_check(const json_t *header, const json_t *claims, const char *client_id,
    const char *issuer, time_t now, long long *exp, const char **why)
{
	const json_t *alg = json_object_get(header, "alg"), *jti;
	char *token_endpoint = NULL;
	double e = 0, iat = 0, nbf = 0;
	enum tok_alg a;
	size_t i;
	int r, aud_ok, ok_alg = 0, has_iat, has_nbf;

	*exp = 0;
	*why = "claims";
	if (!json_is_object(header) || !json_is_object(claims) || client_id == NULL || issuer == NULL)
		return EID_ERR_DENIED;
	/* header: the allowlist again (tok_jws_verify enforced it; this check is the rule) */
	if (json_is_string(alg) && tok_alg_from_name(json_string_value(alg), &a) == 0)
		for (i = 0; i < sizeof(assertion_algs) / sizeof(assertion_algs[0]); i++)
			if (assertion_algs[i] == a)
				ok_alg = 1;
	if (!ok_alg)
		return check_fail(why, "alg");
	/* who: iss == sub == client_id (RFC 7523 3 items 1, 2) */
	if (!claim_str_eq(claims, "iss", client_id))
		return check_fail(why, "iss");
	if (!claim_str_eq(claims, "sub", client_id))
		return check_fail(why, "sub");
	/* for whom: the token endpoint or the issuer (RFC 7523 3 item 3, OIDC Core 9) */
	if ((token_endpoint = malloc(strlen(issuer) + sizeof("/token"))) == NULL)
		return EID_ERR_NOMEM;
	memcpy(token_endpoint, issuer, strlen(issuer));
	memcpy(token_endpoint + strlen(issuer), "/token", sizeof("/token"));
	aud_ok = tok_jwt_check_aud(claims, token_endpoint) == 0 || tok_jwt_check_aud(claims, issuer) == 0;
	free(token_endpoint);
	if (!aud_ok)
		return check_fail(why, "aud");
	/* when: exp required, nbf/iat not in the future, short-lived */
	if (json_object_get(claims, "exp") == NULL)
		return check_fail(why, "exp");
	r = tok_jwt_check_times(claims, now, SRV_CLIENT_ASSERTION_LEEWAY);
	if (r == EID_ERR_JWT_EXPIRED)
		return check_fail(why, "expired");
	if (r != 0)
		return check_fail(why, "times");
	if (claim_time(claims, "exp", &e) != 0 || (has_iat = claim_time(claims, "iat", &iat)) < 0 ||
	    (has_nbf = claim_time(claims, "nbf", &nbf)) < 0)
		return check_fail(why, "times");
	if (has_nbf == 0 && nbf >= e)
		return check_fail(why, "times");
	if (has_iat == 0 ? e - iat > SRV_CLIENT_ASSERTION_MAX_LIFETIME :
	    e - (double)now > SRV_CLIENT_ASSERTION_MAX_LIFETIME + SRV_CLIENT_ASSERTION_LEEWAY)
		return check_fail(why, "lifetime");
	/* once: jti (RFC 7523 3 item 7; recorded by the caller) */
	jti = json_object_get(claims, "jti");
	if (!json_is_string(jti) || json_string_length(jti) == 0 ||
	    json_string_length(jti) > SRV_CLIENT_ASSERTION_JTI_MAX ||
	    json_string_length(jti) != strlen(json_string_value(jti)))
		return check_fail(why, "jti");
	*exp = (long long)e;
	*why = NULL;
	return 0;
}

int
srv_client_assertion_peek_iss(const char *assertion, char **client_id)
{
	const char *d1, *d2;
	const json_t *iss;
	json_t *claims = NULL;
	uint8_t *raw = NULL;
	size_t len, rawlen = 0;
	int r = EID_ERR_JWS;

	*client_id = NULL;
	if (assertion == NULL || (len = strlen(assertion)) > EID_JWS_MAX_BYTES)
		return EID_ERR_JWS;
	if ((d1 = memchr(assertion, '.', len)) == NULL ||
	    (d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - assertion))) == NULL ||
	    memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - assertion)) != NULL)
		return EID_ERR_JWS;
	if ((r = tok_b64url_decode_alloc(d1 + 1, (size_t)(d2 - d1 - 1), EID_JWS_MAX_BYTES, &raw,
	    &rawlen)) != 0) {
		r = r == EID_ERR_NOMEM ? r : EID_ERR_JWS;
		goto out;
	}
	if ((r = tok_json_load_object((const char *)raw, rawlen, EID_JWS_MAX_BYTES, &claims)) != 0) {
		r = r == EID_ERR_NOMEM ? r : EID_ERR_JWS;
		goto out;
	}
	iss = json_object_get(claims, "iss");
	if (!json_is_string(iss) || json_string_length(iss) == 0 ||
	    json_string_length(iss) > EID_CLIENT_ID_MAX ||
	    json_string_length(iss) != strlen(json_string_value(iss))) {
		r = EID_ERR_JWS;
		goto out;
	}
	r = dup_str(json_string_value(iss), client_id);
out:
	json_decref(claims);
	free(raw);
	return r;
}

int
srv_client_assertion_verify(const char *assertion, const struct tok_keyset *ks,
    const char *client_id, const char *issuer, time_t now, json_t **claims, long long *exp,
    const char **why)
{
	json_t *header = NULL, *c = NULL;
	uint8_t *payload = NULL;
	size_t plen = 0;
	int r;

	*claims = NULL;
	*exp = 0;
	*why = "jws";
	if (assertion == NULL || ks == NULL)
		return EID_ERR_DENIED;
	r = tok_jws_verify(assertion, strlen(assertion), assertion_algs,
	    sizeof(assertion_algs) / sizeof(assertion_algs[0]), tok_keyset_lookup, (void *)ks,
	    &header, &payload, &plen);
	if (r != 0) {
		*why = r == EID_ERR_KID_UNKNOWN ? "kid" : r == EID_ERR_ALG_NOT_ALLOWED ? "alg" :
		    r == EID_ERR_BAD_SIGNATURE ? "signature" : "jws";
		if (r != EID_ERR_NOMEM && r != EID_ERR_KID_UNKNOWN)
			r = EID_ERR_DENIED;
		goto out;
	}
	if ((r = tok_json_load_object((const char *)payload, plen, EID_JWS_MAX_BYTES, &c)) != 0) {
		*why = "claims";
		r = r == EID_ERR_NOMEM ? r : EID_ERR_DENIED;
		goto out;
	}
	if ((r = srv_client_assertion_check(header, c, client_id, issuer, now, exp, why)) != 0)
		goto out;
	*claims = c;
	c = NULL;
out:
	json_decref(header);
	json_decref(c);
	free(payload);
	return r;
}

/*
 * srv_client_assertion_verify with the client's keys; an unknown kid asks
 * srv_client_keys for a (rate-limited) refresh of a jwks_uri and tries once more.
 * 0 with *claims and *exp set, EID_ERR_DENIED with *why, or EID_ERR_NOMEM.
 */
static int
assertion_verify(const struct srv_app *app, const struct srv_client *c, const char *assertion,
    time_t now, json_t **claims, long long *exp, const char **why)
{
	struct srv_client_keys *keys = NULL, *again = NULL;
	int r;

	*claims = NULL;
	if ((r = srv_client_keys_get(c, now, 0, &keys)) != 0) {
		*why = "keys";
		return r == EID_ERR_NOMEM ? r : EID_ERR_DENIED;
	}
	r = srv_client_assertion_verify(assertion, srv_client_keys_keyset(keys), c->client_id,
	    app->cfg->issuer, now, claims, exp, why);
	if (r == EID_ERR_KID_UNKNOWN && srv_client_keys_fetched(keys) &&
	    srv_client_keys_get(c, now, SRV_CLIENT_KEYS_REFRESH, &again) == 0 && again != keys)
		r = srv_client_assertion_verify(assertion, srv_client_keys_keyset(again), c->client_id,
		    app->cfg->issuer, now, claims, exp, why);
	if (r == EID_ERR_KID_UNKNOWN)
		r = EID_ERR_DENIED;
	srv_client_keys_release(&again);
	srv_client_keys_release(&keys);
	return r;
}

/* Record client_id + jti until exp + leeway: EID_ERR_REPLAY if it was there already. */
static int
assertion_jti_record(struct srv_app *app, const char *client_id, const char *jti, long long exp,
    time_t now)
{
	char key[SRV_REDIS_KEY_MAX];
	size_t idlen = strlen(client_id), jlen = strlen(jti);
	long long ttl = exp - (long long)now + SRV_CLIENT_ASSERTION_LEEWAY;
	char *id;
	int r;

	if (ttl < 1)
		ttl = 1;
	if (ttl > SRV_CLIENT_ASSERTION_MAX_LIFETIME + 2 * SRV_CLIENT_ASSERTION_LEEWAY)
		ttl = SRV_CLIENT_ASSERTION_MAX_LIFETIME + 2 * SRV_CLIENT_ASSERTION_LEEWAY;
	/* client_id NUL jti: unambiguous, as client ids hold no NUL */
	if ((id = malloc(idlen + 1 + jlen)) == NULL)
		return EID_ERR_NOMEM;
	memcpy(id, client_id, idlen + 1);
	memcpy(id + idlen + 1, jti, jlen);
	srv_redis_key(app->redis, "cajti", id, idlen + 1 + jlen, key);
	free(id);
	r = srv_redis_set(app->redis, key, "1", 1, (unsigned)ttl, 1);
	return r == EID_ERR_EXISTS ? EID_ERR_REPLAY : r;
}

/*
 * Authenticate with private_key_jwt. 0, EID_ERR_DENIED with *why, or a store error
 * (EID_ERR_DB*, EID_ERR_REDIS*, EID_ERR_NOMEM). *out gets the client whenever it was
 * found, whatever the result (for the log line); only 0 means it authenticated.
 */
static int
assertion_auth(struct srv_app *app, const struct srv_req *req,
    const struct srv_client_credentials *cred, struct srv_client **out, const char **why)
{
	const char *atype = srv_req_param(req, "client_assertion_type", NULL);
	struct srv_client *c = NULL;
	json_t *claims = NULL;
	char *peeked = NULL;
	const char *id;
	long long exp = 0;
	time_t now;
	int r;

	*out = NULL;
	if (atype == NULL || strcmp(atype, SRV_CLIENT_ASSERTION_TYPE) != 0 || cred->assertion == NULL ||
	    cred->assertion[0] == '\0') {
		*why = "assertion_type";
		return EID_ERR_DENIED;
	}
	if (strlen(cred->assertion) > EID_JWS_MAX_BYTES) {
		*why = "assertion_size";
		return EID_ERR_DENIED;
	}
	/* which client: the client_id parameter, else the (not yet verified) iss */
	id = cred->client_id;
	if (id == NULL) {
		if ((r = srv_client_assertion_peek_iss(cred->assertion, &peeked)) != 0) {
			*why = "assertion_form";
			return r == EID_ERR_NOMEM ? r : EID_ERR_DENIED;
		}
		id = peeked;
	}
	r = srv_oauth_client_get(app, id, &c);
	if (r == EID_ERR_NOT_FOUND || r == EID_ERR_INVALID_ARGUMENT) {
		*why = "unknown_client";
		r = EID_ERR_DENIED;
		goto out;
	}
	if (r != 0)
		goto out;
	if (c->disabled || registered_method(c) != SRV_CLIENT_AUTH_PRIVATE_KEY_JWT) {
		*why = c->disabled ? "disabled" : "method";
		r = EID_ERR_DENIED;
		goto out;
	}
	now = app->now();
	if ((r = assertion_verify(app, c, cred->assertion, now, &claims, &exp, why)) != 0)
		goto out;
	/* last, so only valid assertions use up a jti */
	r = assertion_jti_record(app, c->client_id, json_string_value(json_object_get(claims, "jti")),
	    exp, now);
	if (r == EID_ERR_REPLAY) {
		*why = "replay";
		r = EID_ERR_DENIED;
		goto out;
	}
out:
	json_decref(claims);
	free(peeked);
	*out = c;
	return r;
}

/* ---- none (public clients) ---- */

int
srv_oauth_client_none_allowed(const struct srv_client *c, const char *path)
{
	if (c == NULL || c->disabled || registered_method(c) != SRV_CLIENT_AUTH_NONE || path == NULL)
		return 0;
	return strcmp(path, "/token") == 0 || strcmp(path, "/revoke") == 0;
}

/* Like assertion_auth, for a client_id alone. */
static int
none_auth(struct srv_app *app, const struct srv_req *req,
    const struct srv_client_credentials *cred, struct srv_client **out, const char **why)
{
	struct srv_client *c = NULL;
	int r;

	*out = NULL;
	r = srv_oauth_client_get(app, cred->client_id, &c);
	if (r == EID_ERR_NOT_FOUND || r == EID_ERR_INVALID_ARGUMENT) {
		*why = "unknown_client";
		return EID_ERR_DENIED;
	}
	if (r != 0)
		return r;
	*out = c;
	if (!srv_oauth_client_none_allowed(c, req->path)) {
		*why = registered_method(c) != SRV_CLIENT_AUTH_NONE ? "method" :
		    c->disabled ? "disabled" : "endpoint";
		return EID_ERR_DENIED;
	}
	return 0;
}

/* ---- the entry point ---- */

int
srv_oauth_client_authenticate(struct srv_app *app, const struct srv_req *req,
    struct srv_client **client, struct srv_oauth_error *err)
{
	struct srv_client_credentials cred;
	struct srv_client *c = NULL;
	const char *why = "credentials";
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
		why = r != 0 ? "credentials_form" : "no_credentials";
		r = EID_ERR_DENIED;
		goto denied;
	}
	if (cred.method == SRV_CLIENT_AUTH_PRIVATE_KEY_JWT) {
		r = assertion_auth(app, req, &cred, &c, &why);
	} else if (cred.method == SRV_CLIENT_AUTH_NONE) {
		r = none_auth(app, req, &cred, &c, &why);
	} else {
		/* look up (an unknown client is not an error here: it fails the decision below) */
		r = srv_oauth_client_get(app, cred.client_id, &c);
		if (r == EID_ERR_NOT_FOUND || r == EID_ERR_INVALID_ARGUMENT)
			c = NULL;
		else if (r != 0)
			goto out;
		/* decide */
		r = 0;
		if (!secret_auth_ok(app->secret, c, &cred)) {
			why = "secret";
			r = EID_ERR_DENIED;
		}
	}
	if (r == EID_ERR_DENIED)
		goto denied;
	if (r != 0)
		goto out;
	*client = c;
	c = NULL;
	goto out;
denied:
	/* one answer for every failure; the reason only in the log, with a registered id */
	log_info("client_auth_failed", LS("method", srv_client_auth_name(cred.method) != NULL ?
	    srv_client_auth_name(cred.method) : "-"), LS("reason", why),
	    LS("client_id", c != NULL ? c->client_id : "-"));
	r = deny(err, 401, "invalid_client", GENERIC_AUTH_FAILED);
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
