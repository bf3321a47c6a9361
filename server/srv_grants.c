/* srv_grants.c - authorization codes and refresh tokens in Redis (see srv_grants.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srv_authorize.h"
#include "srv_grants.h"

static int
load_json(const uint8_t *val, size_t len, json_t **out)
{
	json_t *o = json_loadb((const char *)val, len, JSON_REJECT_DUPLICATES, NULL);

	if (o == NULL || !json_is_object(o)) {
		json_decref(o);
		return EID_ERR_NOT_FOUND;       /* not ours: treat as unknown */
	}
	*out = o;
	return 0;
}

static int
put_json(struct srv_app *app, const char *key, const json_t *o, unsigned ttl, int nx)
{
	char *text = json_dumps(o, JSON_COMPACT);
	int r;

	if (text == NULL)
		return EID_ERR_NOMEM;
	r = srv_redis_set(app->redis, key, text, strlen(text), ttl, nx);
	free(text);
	return r;
}

static int
get_json(struct srv_app *app, const char *key, int take, json_t **out)
{
	uint8_t *val = NULL;
	size_t len = 0;
	int r;

	*out = NULL;
	r = take ? srv_redis_take(app->redis, key, &val, &len) :
	    srv_redis_get(app->redis, key, &val, &len);
	if (r != 0)
		return r;
	r = load_json(val, len, out);
	cx_wipe(val, len);
	free(val);
	return r;
}

static int
new_token(struct srv_app *app, const char *section, const json_t *grant, unsigned ttl,
    char token[SRV_GRANT_TOKEN_LEN])
{
	char key[SRV_REDIS_KEY_MAX];
	int r, tries;

	for (tries = 0; tries < 3; tries++) {
		cx_random_token(token, SRV_GRANT_TOKEN_LEN, SRV_GRANT_TOKEN_BYTES);
		srv_redis_key(app->redis, section, token, strlen(token), key);
		if ((r = put_json(app, key, grant, ttl, 1)) != EID_ERR_EXISTS)
			break;
	}
	if (r != 0)
		cx_wipe(token, SRV_GRANT_TOKEN_LEN);
	return r;
}

int
srv_code_issue(struct srv_app *app, const json_t *grant, char code[SRV_GRANT_TOKEN_LEN])
{
	return new_token(app, "code", grant, SRV_AUTHZ_CODE_TTL, code);
}

int
srv_code_redeem(struct srv_app *app, const char *code, const char *jti, const char *family,
    long long at_exp, json_t **grant, json_t **used)
{
	char key[SRV_REDIS_KEY_MAX], ukey[SRV_REDIS_KEY_MAX];
	json_t *marker;
	int r;

	*grant = NULL;
	*used = NULL;
	if (code == NULL || strlen(code) != SRV_GRANT_TOKEN_LEN - 1)
		return EID_ERR_NOT_FOUND;
	srv_redis_key(app->redis, "code", code, strlen(code), key);
	srv_redis_key(app->redis, "codeused", code, strlen(code), ukey);
	r = get_json(app, key, 1, grant);
	if (r == EID_ERR_NOT_FOUND) {
		r = get_json(app, ukey, 0, used);
		return r == 0 ? EID_ERR_NOT_FOUND : r;
	}
	if (r != 0)
		return r;
	/* the winner records what it is about to issue, before issuing it */
	marker = json_pack("{s:s,s:s,s:I}", "jti", jti, "family", family, "exp", (json_int_t)at_exp);
	if (marker == NULL)
		r = EID_ERR_NOMEM;
	else
		r = put_json(app, ukey, marker, SRV_CODE_USED_TTL, 0);
	json_decref(marker);
	if (r != 0) {
		json_decref(*grant);
		*grant = NULL;
	}
	return r;
}

static int
family_key(struct srv_app *app, const char *family, char key[SRV_REDIS_KEY_MAX])
{
	if (family == NULL || *family == '\0')
		return EID_ERR_NOT_FOUND;
	srv_redis_key(app->redis, "rtfam", family, strlen(family), key);
	return 0;
}

static int
family_revoked(struct srv_app *app, const char *family)
{
	char key[SRV_REDIS_KEY_MAX];
	uint8_t *val = NULL;
	size_t len;
	int r;

	if ((r = family_key(app, family, key)) != 0)
		return r;
	r = srv_redis_get(app->redis, key, &val, &len);
	free(val);
	if (r == EID_ERR_NOT_FOUND)
		return 0;
	return r == 0 ? 1 : r;
}

int
srv_refresh_revoke_family(struct srv_app *app, const char *family)
{
	char key[SRV_REDIS_KEY_MAX];
	int r;

	if ((r = family_key(app, family, key)) != 0)
		return 0;
	return srv_redis_set(app->redis, key, "1", 1, SRV_REFRESH_TTL + 3600, 0);
}

int
srv_refresh_issue(struct srv_app *app, const json_t *grant, const char *family,
    char token[SRV_GRANT_TOKEN_LEN])
{
	json_t *g = json_deep_copy(grant);
	int r;

	if (g == NULL || json_object_set_new(g, "family", json_string(family)) != 0 ||
	    (json_object_get(g, "fiat") == NULL &&      /* the family's birth, kept on rotation */
	    json_object_set_new(g, "fiat", json_integer((json_int_t)app->now())) != 0)) {
		json_decref(g);
		return EID_ERR_NOMEM;
	}
	r = new_token(app, "rt", g, SRV_REFRESH_TTL, token);
	json_decref(g);
	return r;
}

/* The key of the "refresh families of account at client born before T are revoked" mark. */
static int
client_mark_key(struct srv_app *app, const char *account, const char *client_id,
    char key[SRV_REDIS_KEY_MAX])
{
	char id[512];
	int n;

	if (account == NULL || client_id == NULL)
		return EID_ERR_NOT_FOUND;
	n = snprintf(id, sizeof(id), "%s\n%s", account, client_id);
	if (n < 0 || (size_t)n >= sizeof(id))
		return EID_ERR_INVALID_ARGUMENT;
	srv_redis_key(app->redis, "rtcli", id, (size_t)n, key);
	return 0;
}

int
srv_refresh_revoke_client(struct srv_app *app, const char *account, const char *client_id)
{
	char key[SRV_REDIS_KEY_MAX], val[24];
	int r, n;

	if ((r = client_mark_key(app, account, client_id, key)) != 0)
		return r == EID_ERR_NOT_FOUND ? EID_ERR_INVALID_ARGUMENT : r;
	n = snprintf(val, sizeof(val), "%lld", (long long)app->now());
	return srv_redis_set(app->redis, key, val, (size_t)n, SRV_REFRESH_TTL + 3600, 0);
}

/* 1 if the grant's family was born at or before a revocation of its account at its client. */
static int
client_revoked(struct srv_app *app, const json_t *g)
{
	char key[SRV_REDIS_KEY_MAX];
	uint8_t *val = NULL;
	size_t len;
	long long at;
	int r;

	if (client_mark_key(app, json_string_value(json_object_get(g, "account")),
	    json_string_value(json_object_get(g, "client_id")), key) != 0)
		return 0;
	if ((r = srv_redis_get(app->redis, key, &val, &len)) != 0)
		return r == EID_ERR_NOT_FOUND ? 0 : r;
	at = strtoll((const char *)val, NULL, 10);
	free(val);
	return json_integer_value(json_object_get(g, "fiat")) <= at ? 1 : 0;
}

static int
refresh_get(struct srv_app *app, const char *token, int take, json_t **grant)
{
	char key[SRV_REDIS_KEY_MAX], ukey[SRV_REDIS_KEY_MAX];
	json_t *g = NULL, *used = NULL;
	const char *family;
	int r, rev;

	*grant = NULL;
	if (token == NULL || strlen(token) != SRV_GRANT_TOKEN_LEN - 1)
		return EID_ERR_NOT_FOUND;
	srv_redis_key(app->redis, "rt", token, strlen(token), key);
	srv_redis_key(app->redis, "rtused", token, strlen(token), ukey);
	r = get_json(app, key, take, &g);
	if (r == EID_ERR_NOT_FOUND) {
		/* used before? then this is a replay: the family goes */
		if ((r = get_json(app, ukey, 0, &used)) != 0)
			return r;
		if (!take)
			r = EID_ERR_NOT_FOUND;
		else if ((r = srv_refresh_revoke_family(app,
		    json_string_value(json_object_get(used, "family")))) == 0)
			r = EID_ERR_DENIED;
		json_decref(used);
		return r;
	}
	if (r != 0)
		return r;
	family = json_string_value(json_object_get(g, "family"));
	if (take) {
		json_t *m = json_pack("{s:s}", "family", family != NULL ? family : "");

		r = m == NULL ? EID_ERR_NOMEM : put_json(app, ukey, m, SRV_REFRESH_TTL, 0);
		json_decref(m);
		if (r != 0)
			goto out;
	}
	if ((rev = family_revoked(app, family)) != 0 || (rev = client_revoked(app, g)) != 0) {
		r = rev < 0 ? rev : EID_ERR_NOT_FOUND;
		goto out;
	}
	*grant = g;
	g = NULL;
	r = 0;
out:
	json_decref(g);
	return r;
}

int
srv_refresh_take(struct srv_app *app, const char *token, json_t **grant)
{
	return refresh_get(app, token, 1, grant);
}

int
srv_refresh_peek(struct srv_app *app, const char *token, json_t **grant)
{
	return refresh_get(app, token, 0, grant);
}
