/* srv_signin.c - starting and ending citizen sessions (see srv_signin.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx_util.h"
#include "srv_log.h"
#include "srv_signin.h"
#include "srv_web.h"

/* srv_session.c's index of live sessions (members: hashed session keys). */
#define SESSION_INDEX "eid:sessions"
#define END_ALL_MAX 1000            /* sessions ended per call at most */

const char *
srv_signin_safe_return_to(const char *v)
{
	size_t i, n;

	if (v == NULL || v[0] != '/' || v[1] == '/' || v[1] == '\\')
		return "/";
	n = strlen(v);
	if (n > SRV_SIGNIN_RETURN_TO_MAX)
		return "/";
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c < 0x21 || c == 0x7f || c == '\\')
			return "/";
	}
	return v;
}

static void
account_index_key(struct srv_app *app, const char *account_id, char key[SRV_REDIS_KEY_MAX])
{
	srv_redis_key(app->redis, "acctsess", account_id, strlen(account_id), key);
}

int
srv_signin_start(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp,
    const char *account_id, const char *acr, const char *const *amr, size_t n_amr)
{
	char old[SRV_SESSION_ID_LEN], skey[SRV_REDIS_KEY_MAX], ikey[SRV_REDIS_KEY_MAX];
	const char *cookie = srv_req_header(req, "cookie");
	char sid[CX_B64URL_LEN(16)];
	struct srv_session s;
	json_t *data = NULL, *amrs, *carried = NULL;
	size_t i;
	int r;

	if (account_id == NULL || acr == NULL || n_amr == 0 || n_amr > SRV_SIGNIN_MAX_AMR)
		return EID_ERR_INVALID_ARGUMENT;
	/* sid: the OIDC session id relying parties see (ID tokens, logout tokens) */
	cx_random_token(sid, sizeof(sid), 16);
	if (cookie != NULL && srv_session_cookie_id(app, cookie, old) == 0) {
		/*
		 * The session id always changes at sign-in. The same citizen signing in again
		 * (prompt=login, step-up) continues the SSO session: its sid and the portals it
		 * reached carry over, so nobody is logged out. Anyone else ends it first: the
		 * portals of the old session hear of it (back-channel logout).
		 */
		memset(&s, 0, sizeof(s));
		r = srv_session_load(app, old, &s);
		if (r == 0 && json_is_string(json_object_get(s.data, "account")) &&
		    strcmp(json_string_value(json_object_get(s.data, "account")), account_id) == 0) {
			if (json_is_string(json_object_get(s.data, "sid")) &&
			    strlen(json_string_value(json_object_get(s.data, "sid"))) < sizeof(sid))
				snprintf(sid, sizeof(sid), "%s", json_string_value(json_object_get(s.data, "sid")));
			carried = json_incref(json_object_get(s.data, "clients"));
		} else if (r == 0)
			srv_session_ended(app, s.data);
		srv_session_clear(&s);
		if (r == 0 || r == EID_ERR_NOT_FOUND)
			r = srv_session_destroy(app, old);
		cx_wipe(old, sizeof(old));
		if (r != 0) {
			json_decref(carried);
			return r;
		}
	}
	if ((amrs = json_array()) == NULL) {
		json_decref(carried);
		return EID_ERR_NOMEM;
	}
	for (i = 0; i < n_amr; i++)
		if (json_array_append_new(amrs, json_string(amr[i])) != 0) {
			json_decref(amrs);
			json_decref(carried);
			return EID_ERR_NOMEM;
		}
	data = json_pack("{s:s,s:s,s:s,s:o,s:I,s:o}", "account", account_id, "sid", sid,
	    "acr", acr, "amr", amrs, "auth_time", (json_int_t)app->now(), "clients",
	    json_is_array(carried) ? json_incref(carried) : json_array());
	json_decref(carried);
	if (data == NULL)
		return EID_ERR_NOMEM;
	r = srv_session_create(app, data, &s);
	json_decref(data);
	if (r != 0)
		return r;
	srv_redis_key(app->redis, "sess", s.id, strlen(s.id), skey);
	account_index_key(app, account_id, ikey);
	r = srv_redis_zadd(app->redis, ikey, (long long)s.created, skey,
	    app->cfg->session_max_lifetime);
	if (r == 0)
		r = srv_web_set_cookie(app, resp, SRV_SESSION_COOKIE, s.id, "SameSite=Lax");
	if (r != 0 && srv_session_destroy(app, s.id) != 0)  /* an unindexed session must not live */
		log_warn("session_destroy_failed", LS("reason", "index write failed"));
	srv_session_clear(&s);
	return r;
}

int
srv_signin_current(struct srv_app *app, const struct srv_req *req, struct srv_session *s)
{
	const char *cookie = srv_req_header(req, "cookie");
	char id[SRV_SESSION_ID_LEN];
	int r;

	memset(s, 0, sizeof(*s));
	if (cookie == NULL || srv_session_cookie_id(app, cookie, id) != 0)
		return EID_ERR_NOT_FOUND;
	r = srv_session_load(app, id, s);
	cx_wipe(id, sizeof(id));
	if (r == 0 && json_string_value(json_object_get(s->data, "account")) == NULL) {
		srv_session_clear(s);
		r = EID_ERR_NOT_FOUND;
	}
	return r;
}

/* End the session stored under its hashed key skey (if still alive); 1 if it was. */
static int
end_by_key(struct srv_app *app, const char *skey)
{
	uint8_t *val = NULL;
	size_t len = 0;
	json_t *data;
	int r;

	if ((r = srv_redis_get(app->redis, skey, &val, &len)) == EID_ERR_NOT_FOUND)
		return 0;
	if (r != 0)
		return r;
	data = json_loadb((const char *)val, len, JSON_REJECT_DUPLICATES, NULL);
	cx_wipe(val, len);
	free(val);
	if (data != NULL && json_is_object(data))
		srv_session_ended(app, data);
	json_decref(data);
	if ((r = srv_redis_del(app->redis, skey)) != 0 ||
	    (r = srv_redis_zrem(app->redis, SESSION_INDEX, skey)) != 0)
		return r;
	return 1;
}

int
srv_signin_end_all(struct srv_app *app, const char *account_id, unsigned *ended)
{
	char ikey[SRV_REDIS_KEY_MAX];
	long long now = (long long)app->now();
	char *member = NULL;
	unsigned n = 0, i;
	int r = 0;

	if (ended != NULL)
		*ended = 0;
	if (account_id == NULL)
		return EID_ERR_INVALID_ARGUMENT;
	account_index_key(app, account_id, ikey);
	for (i = 0; i < END_ALL_MAX; i++) {
		/* claimed members move to now + 1, out of this drain's reach */
		if ((r = srv_redis_zclaim_due(app->redis, ikey, now, now + 1, &member)) != 0)
			break;
		r = end_by_key(app, member);
		if (r >= 0) {
			n += (unsigned)r;
			r = srv_redis_zrem(app->redis, ikey, member);
		}
		free(member);
		member = NULL;
		if (r != 0)
			break;
	}
	if (r == EID_ERR_NOT_FOUND)
		r = 0;
	if (ended != NULL)
		*ended = n;
	return r;
}
