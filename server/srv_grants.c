/* srv_grants.c - authorization codes and refresh tokens in Redis (see srv_grants.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srv_authorize.h"
#include "srv_grants.h"
#include "tok_jsonw.h"

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

/*
 * Redeem in one round trip: take the code and, if it was there, leave the used marker
 * (ARGV[1], for ARGV[2] seconds); if it was not, answer the marker a first use left.
 * Answer {1, grant} or {0, marker or nil}.
 */
static const char CODE_REDEEM_LUA[] =
    "local g = redis.call('GETDEL', KEYS[1]) "
    "if not g then return {0, redis.call('GET', KEYS[2])} end "
    "redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2]) "
    "return {1, g}";

int
srv_code_redeem(struct srv_app *app, const char *code, const char *jti, const char *family,
    long long at_exp, json_t **grant, json_t **used)
{
	char key[SRV_REDIS_KEY_MAX], ukey[SRV_REDIS_KEY_MAX], ttl[16];
	const char *argv[4] = { key, ukey, NULL, ttl };
	struct srv_redis_val v[2];
	struct cx_dynbuf mbuf;
	struct tok_jsonw w;
	json_t *marker;
	char *mtext = NULL;
	size_t n = 0;
	int r;

	*grant = NULL;
	*used = NULL;
	if (code == NULL || strlen(code) != SRV_GRANT_TOKEN_LEN - 1)
		return EID_ERR_NOT_FOUND;
	srv_redis_key(app->redis, "code", code, strlen(code), key);
	srv_redis_key(app->redis, "codeused", code, strlen(code), ukey);
	/* the winner records what it is about to issue, before issuing it (written directly:
	   jti and family are base64url; jansson for anything that needs escaping) */
	cx_dynbuf_init(&mbuf, 1024);
	tok_jsonw_begin(&w, &mbuf);
	tok_jsonw_str(&w, "jti", jti);
	tok_jsonw_str(&w, "family", family);
	tok_jsonw_int(&w, "exp", at_exp);
	if (tok_jsonw_end(&w) == 0)
		mtext = cx_dynbuf_take(&mbuf, NULL);
	else {
		marker = json_pack("{s:s,s:s,s:I}", "jti", jti, "family", family, "exp", (json_int_t)at_exp);
		mtext = marker != NULL ? json_dumps(marker, JSON_COMPACT) : NULL;
		json_decref(marker);
	}
	cx_dynbuf_free(&mbuf);
	if (mtext == NULL)
		return EID_ERR_NOMEM;
	argv[2] = mtext;
	snprintf(ttl, sizeof(ttl), "%u", (unsigned)SRV_CODE_USED_TTL);
	r = srv_redis_script(app->redis, CODE_REDEEM_LUA, 2, argv, NULL, 4, 0, v, 2, &n);
	free(mtext);
	if (r != 0)
		return r;
	if (n != 2 || v[0].type != SRV_REDIS_INT)
		r = EID_ERR_REDIS;
	else if (v[0].integer == 1)
		r = v[1].type == SRV_REDIS_STR ? load_json((const uint8_t *)v[1].str, v[1].len, grant) :
		    EID_ERR_REDIS;
	else {
		r = EID_ERR_NOT_FOUND;
		if (v[1].type == SRV_REDIS_STR &&
		    load_json((const uint8_t *)v[1].str, v[1].len, used) != 0)
			*used = NULL;
	}
	srv_redis_vals_free(v, n);
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

/*
 * A refresh token's stored value is its grant, led by the keys its take must look at:
 * {"fk": family revocation flag key, "ck": client revocation mark key ("" if none),
 * "family": ..., the grant's other members}, so that the take script finds them with one
 * anchored match, and the value stays the JSON grant older readers expect. For values
 * without that lead (stored before it existed) refresh_get does the checks itself.
 */
int
srv_refresh_issue(struct srv_app *app, const json_t *grant, const char *family,
    char token[SRV_GRANT_TOKEN_LEN])
{
	char fk[SRV_REDIS_KEY_MAX], ck[SRV_REDIS_KEY_MAX];
	json_t *g = json_deep_copy(grant), *v = NULL;
	int r = EID_ERR_NOMEM;

	if (g == NULL || json_object_set_new(g, "family", json_string(family)) != 0 ||
	    (json_object_get(g, "fiat") == NULL &&      /* the family's birth, kept on rotation */
	    json_object_set_new(g, "fiat", json_integer((json_int_t)app->now())) != 0))
		goto out;
	(void)json_object_del(g, "fk");
	(void)json_object_del(g, "ck");
	if (family_key(app, family, fk) != 0) {
		r = new_token(app, "rt", g, SRV_REFRESH_TTL, token);
		goto out;
	}
	if (client_mark_key(app, json_string_value(json_object_get(g, "account")),
	    json_string_value(json_object_get(g, "client_id")), ck) != 0)
		ck[0] = '\0';
	/* insertion order is kept by json_dumps: the lead comes first */
	if ((v = json_pack("{s:s,s:s,s:s}", "fk", fk, "ck", ck, "family", family)) == NULL ||
	    json_object_update_missing(v, g) != 0)
		goto out;
	r = new_token(app, "rt", v, SRV_REFRESH_TTL, token);
out:
	json_decref(g);
	json_decref(v);
	return r;
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

/*
 * Take (ARGV[1] "1") or look at a refresh token in one round trip. KEYS: the token, its
 * used marker. ARGV[2]: the marker's TTL, ARGV[3]: a family revocation flag's TTL.
 * Answers: {0}: unknown. {2}: taken before: its family is revoked now. {3, marker}: taken
 * before, marker without its family's key: the caller revokes. {4, value}: a value
 * without the lead (srv_refresh_issue): taken (no marker yet) or looked at, the caller
 * does the rest. {1, value, family revoked (0/1), client mark or nil}: taken (marker
 * left) or looked at.
 */
static const char REFRESH_GET_LUA[] =
    "local take = ARGV[1] == '1' "
    "local v "
    "if take then v = redis.call('GETDEL', KEYS[1]) else v = redis.call('GET', KEYS[1]) end "
    "if not v then "
    "  if not take then return {0} end "
    "  local u = redis.call('GET', KEYS[2]) "
    "  if not u then return {0} end "
    "  local ufk = string.match(u, '^{\"fk\":\"(eid:rtfam:[%w_%-]+)\"') "
    "  if not ufk then return {3, u} end "
    "  redis.call('SET', ufk, '1', 'EX', ARGV[3]) "
    "  return {2} "
    "end "
    "local fk, ck, fam = string.match(v, "
    "  '^{\"fk\":\"(eid:rtfam:[%w_%-]+)\",\"ck\":\"([%w_:%-]*)\",\"family\":\"([%w_%-]+)\"') "
    "if not fk or (ck ~= '' and string.sub(ck, 1, 10) ~= 'eid:rtcli:') then return {4, v} end "
    "if take then "
    "  redis.call('SET', KEYS[2], '{\"fk\":\"' .. fk .. '\",\"family\":\"' .. fam .. '\"}', "
    "    'EX', ARGV[2]) "
    "end "
    "local cm = false "
    "if ck ~= '' then cm = redis.call('GET', ck) end "
    "return {1, v, redis.call('EXISTS', fk), cm}";

/* The used marker of a token whose value had no lead (see REFRESH_GET_LUA). */
static int
put_legacy_marker(struct srv_app *app, const char *ukey, const char *family)
{
	json_t *m = json_pack("{s:s}", "family", family != NULL ? family : "");
	int r;

	r = m == NULL ? EID_ERR_NOMEM : put_json(app, ukey, m, SRV_REFRESH_TTL, 0);
	json_decref(m);
	return r;
}

/* 1 if a client revocation mark (a time) is at or after the birth of g's family. */
static int
mark_covers(const json_t *g, const struct srv_redis_val *mark)
{
	long long at;

	if (mark->type != SRV_REDIS_STR)
		return 0;
	at = strtoll(mark->str, NULL, 10);
	return json_integer_value(json_object_get(g, "fiat")) <= at ? 1 : 0;
}

static int
refresh_get(struct srv_app *app, const char *token, int take, json_t **grant)
{
	char key[SRV_REDIS_KEY_MAX], ukey[SRV_REDIS_KEY_MAX], mttl[16], fttl[16];
	const char *argv[5] = { key, ukey, take ? "1" : "0", mttl, fttl };
	struct srv_redis_val v[4];
	json_t *g = NULL, *used = NULL;
	size_t n = 0;
	int r, rev;

	*grant = NULL;
	if (token == NULL || strlen(token) != SRV_GRANT_TOKEN_LEN - 1)
		return EID_ERR_NOT_FOUND;
	srv_redis_key(app->redis, "rt", token, strlen(token), key);
	srv_redis_key(app->redis, "rtused", token, strlen(token), ukey);
	snprintf(mttl, sizeof(mttl), "%u", (unsigned)SRV_REFRESH_TTL);
	snprintf(fttl, sizeof(fttl), "%u", (unsigned)(SRV_REFRESH_TTL + 3600));
	if ((r = srv_redis_script(app->redis, REFRESH_GET_LUA, 2, argv, NULL, 5, !take, v, 4, &n)) != 0)
		return r;
	if (n < 1 || v[0].type != SRV_REDIS_INT) {
		r = EID_ERR_REDIS;
		goto out;
	}
	switch (v[0].integer) {
	case 0:
		r = EID_ERR_NOT_FOUND;
		goto out;
	case 2:
		r = EID_ERR_DENIED;         /* a replay: the script revoked the family */
		goto out;
	case 3:
		/* a replay of a token whose marker does not name its family's key */
		if (n != 2 || v[1].type != SRV_REDIS_STR) {
			r = EID_ERR_REDIS;
			goto out;
		}
		if ((r = load_json((const uint8_t *)v[1].str, v[1].len, &used)) != 0)
			goto out;
		if ((r = srv_refresh_revoke_family(app,
		    json_string_value(json_object_get(used, "family")))) == 0)
			r = EID_ERR_DENIED;
		goto out;
	case 1:
	case 4:
		if (n < 2 || v[1].type != SRV_REDIS_STR || (v[0].integer == 1 && n != 4)) {
			r = EID_ERR_REDIS;
			goto out;
		}
		break;
	default:
		r = EID_ERR_REDIS;
		goto out;
	}
	if ((r = load_json((const uint8_t *)v[1].str, v[1].len, &g)) != 0)
		goto out;
	(void)json_object_del(g, "fk");
	(void)json_object_del(g, "ck");
	if (v[0].integer == 1)
		rev = (v[2].type == SRV_REDIS_INT && v[2].integer != 0) || mark_covers(g, &v[3]);
	else {
		/* a value stored without the lead: the steps the script could not do */
		const char *family = json_string_value(json_object_get(g, "family"));

		if (take && (r = put_legacy_marker(app, ukey, family)) != 0)
			goto out;
		if ((rev = family_revoked(app, family)) == 0)
			rev = client_revoked(app, g);
	}
	if (rev != 0) {
		r = rev < 0 ? rev : EID_ERR_NOT_FOUND;
		goto out;
	}
	*grant = g;
	g = NULL;
	r = 0;
out:
	srv_redis_vals_free(v, n);
	json_decref(g);
	json_decref(used);
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
