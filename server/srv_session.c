/* srv_session.c - SSO sessions in Redis (see srv_session.h). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cx_util.h"
#include "srv_backchannel.h"
#include "srv_log.h"
#include "srv_session.h"
#include "srv_web.h"

#define SESSION_INDEX "eid:sessions"
#define ACCOUNT_INDEX_SECTION "acctsess"    /* "eid:acctsess:<hash(account id)>" */
#define SESSION_KEY_PREFIX "eid:sess:"      /* srv_redis_key(.., "sess", ..) */
#define END_BATCH 64                        /* index members read per round trip */

static void
account_index_key(struct srv_app *app, const char *account_id, char key[SRV_REDIS_KEY_MAX])
{
	srv_redis_key(app->redis, ACCOUNT_INDEX_SECTION, account_id, strlen(account_id), key);
}

/* The data's account id, or NULL when it has none (such a session is not indexed). */
static const char *
data_account(const json_t *data)
{
	const char *a = json_string_value(json_object_get(data, "account"));

	return a != NULL && a[0] != '\0' ? a : NULL;
}

static unsigned
ttl_for(const struct srv_app *app, time_t now, time_t expires)
{
	time_t left = expires - now;
	time_t idle = (time_t)app->cfg->session_idle_timeout;

	if (left <= 0)
		return 0;
	return (unsigned)(left < idle ? left : idle);
}

int
srv_session_create(struct srv_app *app, const json_t *data, struct srv_session *out)
{
	char key[SRV_REDIS_KEY_MAX], ikey[SRV_REDIS_KEY_MAX], *text = NULL;
	const char *account;
	time_t now = app->now();
	json_t *copy = NULL;
	int r, stored = 0;

	memset(out, 0, sizeof(*out));
	if ((copy = json_deep_copy(data)) == NULL)
		return EID_ERR_NOMEM;
	out->created = now;
	out->expires = now + (time_t)app->cfg->session_max_lifetime;
	if (json_object_set_new(copy, "created", json_integer((json_int_t)out->created)) != 0 ||
	    json_object_set_new(copy, "expires", json_integer((json_int_t)out->expires)) != 0 ||
	    (text = json_dumps(copy, JSON_COMPACT)) == NULL) {
		r = EID_ERR_NOMEM;
		goto out;
	}
	cx_random_token(out->id, sizeof(out->id), SRV_SESSION_ID_BYTES);
	srv_redis_key(app->redis, "sess", out->id, strlen(out->id), key);
	if ((r = srv_redis_set(app->redis, key, text, strlen(text),
	    ttl_for(app, now, out->expires), 1)) != 0)
		goto out;
	stored = 1;
	/* the index members are the hashed key, never the id itself */
	if ((r = srv_redis_zadd(app->redis, SESSION_INDEX, (long long)out->expires, key,
	    app->cfg->session_max_lifetime)) != 0)
		goto out;
	if ((account = data_account(copy)) != NULL) {
		account_index_key(app, account, ikey);
		if ((r = srv_redis_zadd(app->redis, ikey, (long long)out->created, key,
		    app->cfg->session_max_lifetime)) != 0)
			goto out;
	}
	out->data = copy;
	copy = NULL;
out:
	/* a session that is not in its indexes must not live */
	if (r != 0 && stored && (srv_redis_del(app->redis, key) != 0 ||
	    srv_redis_zrem(app->redis, SESSION_INDEX, key) != 0))
		log_warn("session_destroy_failed", LS("reason", "index write failed"));
	free(text);
	json_decref(copy);
	if (r != 0)
		cx_wipe(out->id, sizeof(out->id));
	return r;
}

int
srv_session_load(struct srv_app *app, const char *id, struct srv_session *out)
{
	char key[SRV_REDIS_KEY_MAX];
	uint8_t *val = NULL;
	size_t len = 0;
	json_t *data = NULL;
	time_t now = app->now();
	unsigned ttl;
	int r;

	memset(out, 0, sizeof(*out));
	if (strlen(id) != SRV_SESSION_ID_LEN - 1)
		return EID_ERR_NOT_FOUND;
	srv_redis_key(app->redis, "sess", id, strlen(id), key);
	if ((r = srv_redis_get(app->redis, key, &val, &len)) != 0)
		return r;
	data = json_loadb((const char *)val, len, JSON_REJECT_DUPLICATES, NULL);
	free(val);
	if (data == NULL || !json_is_object(data)) {
		json_decref(data);
		return EID_ERR_NOT_FOUND;
	}
	out->created = (time_t)json_integer_value(json_object_get(data, "created"));
	out->expires = (time_t)json_integer_value(json_object_get(data, "expires"));
	if ((ttl = ttl_for(app, now, out->expires)) == 0) {
		json_decref(data);
		if (srv_redis_del(app->redis, key) != 0)
			return EID_ERR_REDIS;
		return EID_ERR_NOT_FOUND;
	}
	/* idle timeout slides; the absolute expiry never moves */
	if ((r = srv_redis_expire(app->redis, key, ttl)) != 0) {
		json_decref(data);
		return r;
	}
	snprintf(out->id, sizeof(out->id), "%s", id);
	out->data = data;
	return 0;
}

int
srv_session_save(struct srv_app *app, struct srv_session *s)
{
	char key[SRV_REDIS_KEY_MAX], *text;
	unsigned ttl = ttl_for(app, app->now(), s->expires);
	int r;

	if (ttl == 0)
		return EID_ERR_NOT_FOUND;
	if ((text = json_dumps(s->data, JSON_COMPACT)) == NULL)
		return EID_ERR_NOMEM;
	srv_redis_key(app->redis, "sess", s->id, strlen(s->id), key);
	r = srv_redis_set(app->redis, key, text, strlen(text), ttl, 0);
	free(text);
	return r;
}

/*
 * Take the session stored under its hashed key (GETDEL: one caller gets it) and drop it
 * from the indexes. *data: its JSON (caller's; NULL if gone or unreadable), set even
 * when dropping an index entry then fails. 0, EID_ERR_NOT_FOUND when it was gone already
 * (its global index entry is dropped all the same), or a Redis error.
 */
static int
take_by_key(struct srv_app *app, const char *key, json_t **data)
{
	char ikey[SRV_REDIS_KEY_MAX];
	const char *account;
	uint8_t *val = NULL;
	size_t len = 0;
	int r, found;

	*data = NULL;
	r = srv_redis_take(app->redis, key, &val, &len);
	if (r != 0 && r != EID_ERR_NOT_FOUND)
		return r;
	found = r == 0;
	if (found) {
		*data = json_loadb((const char *)val, len, JSON_REJECT_DUPLICATES, NULL);
		cx_wipe(val, len);
		free(val);
		if (*data != NULL && !json_is_object(*data)) {
			json_decref(*data);
			*data = NULL;
		}
	}
	if (*data != NULL && (account = data_account(*data)) != NULL) {
		account_index_key(app, account, ikey);
		if ((r = srv_redis_zrem(app->redis, ikey, key)) != 0)
			return r;
	}
	if ((r = srv_redis_zrem(app->redis, SESSION_INDEX, key)) != 0)
		return r;
	return found ? 0 : EID_ERR_NOT_FOUND;
}

int
srv_session_destroy(struct srv_app *app, const char *id)
{
	char key[SRV_REDIS_KEY_MAX];
	json_t *data = NULL;
	int r;

	srv_redis_key(app->redis, "sess", id, strlen(id), key);
	r = take_by_key(app, key, &data);
	json_decref(data);
	return r == EID_ERR_NOT_FOUND ? 0 : r;
}

int
srv_session_end_account(struct srv_app *app, const char *account_id, unsigned *ended)
{
	char ikey[SRV_REDIS_KEY_MAX];
	long long now = (long long)app->now();
	char **m = NULL;
	size_t n = 0, i, seen = 0;
	json_t *data;
	unsigned cnt = 0;
	int r = 0;

	if (ended != NULL)
		*ended = 0;
	if (account_id == NULL || account_id[0] == '\0')
		return EID_ERR_INVALID_ARGUMENT;
	account_index_key(app, account_id, ikey);
	while (seen < SRV_SESSION_END_MAX) {
		/* the oldest members first; each one handled leaves the set */
		if ((r = srv_redis_zrange_by_score(app->redis, ikey, LLONG_MIN, now, END_BATCH,
		    &m, &n)) != 0 || n == 0)
			break;
		for (i = 0; i < n && r == 0 && seen < SRV_SESSION_END_MAX; i++, seen++) {
			/* only ever a session key: a tampered index names no other key */
			if (strncmp(m[i], SESSION_KEY_PREFIX, strlen(SESSION_KEY_PREFIX)) == 0) {
				r = take_by_key(app, m[i], &data);
				if (data != NULL) {     /* it was alive: ours to announce */
					srv_session_ended(app, data);
					cnt++;
				}
				json_decref(data);
				if (r == EID_ERR_NOT_FOUND)
					r = 0;
			}
			/* gone, unreadable or not a session key: out of the account's set */
			if (r == 0)
				r = srv_redis_zrem(app->redis, ikey, m[i]);
		}
		srv_redis_members_free(m, n);
		m = NULL;
		if (r != 0)
			break;
	}
	if (ended != NULL)
		*ended = cnt;
	return r;
}

void
srv_session_ended(struct srv_app *app, const json_t *data)
{
	int r;

	/* back-channel logout: jobs in Redis for the worker, no HTTP here */
	if ((r = srv_backchannel_enqueue_session(app, data)) != 0)
		log_warn("backchannel_enqueue_failed", LS("reason", eid_strerror(r)));
}

void
srv_session_clear(struct srv_session *s)
{
	json_decref(s->data);
	cx_wipe(s->id, sizeof(s->id));
	memset(s, 0, sizeof(*s));
}

int
srv_session_cookie_id(const struct srv_app *app, const char *cookie, char out[SRV_SESSION_ID_LEN])
{
	return srv_cookie_get(cookie, srv_web_cookie_name(app, SRV_SESSION_COOKIE), out, SRV_SESSION_ID_LEN);
}

int
srv_session_count(struct srv_app *app, long long *n)
{
	return srv_redis_zcount_from(app->redis, SESSION_INDEX, (long long)app->now(), n);
}
