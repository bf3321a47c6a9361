/* srv_signin.c - starting and ending citizen sessions (see srv_signin.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx_util.h"
#include "srv_log.h"
#include "srv_signin.h"
#include "srv_web.h"


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

int
srv_signin_start(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp,
    const char *account_id, const char *acr, const char *const *amr, size_t n_amr)
{
	char old[SRV_SESSION_ID_LEN];
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
	/* indexed under the account by srv_session_create (for sign out everywhere) */
	r = srv_session_create(app, data, &s);
	json_decref(data);
	if (r != 0)
		return r;
	r = srv_web_set_cookie(app, resp, SRV_SESSION_COOKIE, s.id, "SameSite=Lax");
	if (r != 0 && srv_session_destroy(app, s.id) != 0)  /* a session nobody holds */
		log_warn("session_destroy_failed", LS("reason", "cookie not set"));
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

int
srv_signin_end_all(struct srv_app *app, const char *account_id, unsigned *ended)
{
	/* the per-account index lives with the sessions (srv_session.h) */
	return srv_session_end_account(app, account_id, ended);
}
