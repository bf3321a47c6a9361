/*
 * srv_handle_documents.c - chip document verification for relying parties (banks,
 * airports): POST /v1/documents/challenge and POST /v1/documents/verify.
 *
 * Both need an access token with the scope "document_verify" (RFC 6750 bearer,
 * srv_tokens_bearer); the calling client is the token's client_id.
 *
 * challenge  8 random bytes for the chip's Active Authentication, kept in Redis for
 *            SRV_DOC_CHALLENGE_TTL seconds under "eid:docch:<hash(challenge)>" with the
 *            client id as the value (SET NX): only the client it was issued to can use
 *            it, and only once.
 * verify     parse (srv_documents_parse) -> take the submitted challenge (GETDEL, so a
 *            replay or a race finds nothing) -> verify against a trust snapshot
 *            (srv_documents_verify) -> a verification id -> audit -> the verdict.
 *
 * Privacy: the verdict, the data groups and the face image are personal data; nothing
 * of them is logged. The audit event carries the client, the verification id, the
 * outcome and srv_documents_audit_details() (citizen ID only as a keyed pseudonym).
 * The audit write is part of the verification: when it fails, the caller gets 503 and
 * no verdict, so every verdict ever given out is in the audit log.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cx_util.h"
#include "srv_documents.h"
#include "srv_log.h"
#include "srv_tokens.h"

#define DOC_SCOPE                   "document_verify"
#define DOC_CHALLENGE_SECTION       "docch"
#define SRV_DOC_CHALLENGE_TTL       120     /* seconds */
#define DOC_VERIFICATION_ID_BYTES   16

static void
challenge_key(struct srv_app *app, const uint8_t ch[CARD_AA_CHALLENGE_LEN], char key[SRV_REDIS_KEY_MAX])
{
	srv_redis_key(app->redis, DOC_CHALLENGE_SECTION, ch, CARD_AA_CHALLENGE_LEN, key);
}

int
srv_handle_documents_challenge(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp)
{
	uint8_t ch[CARD_AA_CHALLENGE_LEN];
	char key[SRV_REDIS_KEY_MAX], b64[CX_B64_LEN(CARD_AA_CHALLENGE_LEN)];
	const char *client_id;
	json_t *claims = NULL, *o = NULL;
	int r, tries;

	if ((r = srv_tokens_bearer(app, req, DOC_SCOPE, &claims, resp)) != 0)
		return r == EID_ERR_DENIED ? 0 : r;
	client_id = json_string_value(json_object_get(claims, "client_id"));
	/* a collision of 64 random bits is not expected; SET NX makes it harmless anyway */
	for (tries = 0;; tries++) {
		cx_random(ch, sizeof(ch));
		challenge_key(app, ch, key);
		r = srv_redis_set(app->redis, key, client_id, strlen(client_id), SRV_DOC_CHALLENGE_TTL, 1);
		if (r != EID_ERR_EXISTS || tries >= 2)
			break;
	}
	if (r != 0)
		goto out;
	if ((r = cx_b64_encode(b64, sizeof(b64), ch, sizeof(ch))) != 0)
		goto out;
	if ((o = json_pack("{s:s,s:i}", "challenge", b64, "expires_in", SRV_DOC_CHALLENGE_TTL)) == NULL) {
		r = EID_ERR_NOMEM;
		goto out;
	}
	resp->no_store = 1;
	r = srv_resp_json(resp, 201, o);
out:
	json_decref(o);
	json_decref(claims);
	return r;
}

/* SRV_DOC_CHALLENGE_*: take the submitted challenge; one issued to someone else is
 * consumed too (it was disclosed to another party, so it must not be usable). */
static int
take_challenge(struct srv_app *app, const struct srv_doc_request *dr, const char *client_id, int *status)
{
	char key[SRV_REDIS_KEY_MAX];
	uint8_t *val = NULL;
	size_t len = 0;
	int r;

	*status = SRV_DOC_CHALLENGE_NONE;
	if (!dr->have_aa)
		return 0;
	challenge_key(app, dr->aa_challenge, key);
	r = srv_redis_take(app->redis, key, &val, &len);
	if (r == EID_ERR_NOT_FOUND) {
		*status = SRV_DOC_CHALLENGE_BAD;
		return 0;
	}
	if (r != 0)
		return r;
	*status = cx_ct_equal(val, len, client_id, strlen(client_id)) ? SRV_DOC_CHALLENGE_TAKEN :
	    SRV_DOC_CHALLENGE_BAD;
	free(val);
	return 0;
}

static int
audit_verification(struct srv_app *app, const char *client_id, const char *verification_id,
    const json_t *verdict)
{
	struct srv_audit_event e;
	struct srv_citizen *cit = NULL;
	const char *idn, *subject = verification_id;
	uint8_t pkey[32];
	json_t *details;
	char *text;
	int r;

	if (app->secret != NULL)
		srv_secret_derive(app->secret, SRV_SUBKEY_AUDIT_PSEUDONYM, pkey);
	details = srv_documents_audit_details(client_id, verdict, app->secret != NULL ? pkey : NULL);
	cx_wipe(pkey, sizeof(pkey));
	if (details == NULL ||
	    json_object_set_new(details, "verification_id", json_string(verification_id)) != 0) {
		json_decref(details);
		return EID_ERR_NOMEM;
	}
	text = json_dumps(details, JSON_COMPACT);
	json_decref(details);
	if (text == NULL)
		return EID_ERR_NOMEM;
	/*
	 * A genuine card of a citizen with an account: the event is about that account, so
	 * the citizen sees on /account which bank or airport checked the card, and when.
	 */
	if (strcmp(json_string_value(json_object_get(verdict, "verdict")) != NULL ?
	    json_string_value(json_object_get(verdict, "verdict")) : "", "valid") == 0 &&
	    (idn = json_string_value(json_object_get(json_object_get(verdict, "document"),
	    "citizen_id"))) != NULL && strlen(idn) == 12 &&
	    srv_store_citizen_get(app->store, idn, &cit) == 0 && cit->citizen_id != NULL &&
	    strcmp(cit->citizen_id, idn) == 0 && cit->account_id != NULL)
		subject = cit->account_id;
	memset(&e, 0, sizeof(e));
	e.at = (int64_t)app->now();
	e.actor = (char *)client_id;
	e.action = "document.verify";
	e.subject = (char *)subject;
	e.outcome = (char *)json_string_value(json_object_get(verdict, "verdict"));
	e.details = text;
	r = srv_store_audit_append(app->store, &e);
	free(text);
	srv_citizen_free(&cit);
	if (r != 0)
		log_warn("audit_append_failed", LS("action", "document.verify"), LS("reason", eid_strerror(r)));
	return r;
}

int
srv_handle_documents_verify(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp)
{
	struct srv_doc_request dr;
	const struct srv_trust_snapshot *snap = NULL;
	char vid[CX_B64URL_LEN(DOC_VERIFICATION_ID_BYTES)];
	const char *client_id, *desc = NULL;
	json_t *claims = NULL, *verdict = NULL;
	int r, challenge_status;

	memset(&dr, 0, sizeof(dr));
	if ((r = srv_tokens_bearer(app, req, DOC_SCOPE, &claims, resp)) != 0)
		return r == EID_ERR_DENIED ? 0 : r;
	client_id = json_string_value(json_object_get(claims, "client_id"));
	if (!srv_content_type_is(srv_req_header(req, "content-type"), "application/json")) {
		r = srv_resp_error(resp, 415, "invalid_request",
		    "The request body must be application/json.");
		goto out;
	}
	/* parse */
	r = srv_documents_parse((const char *)req->body, req->body_len, &dr, &desc);
	if (r == EID_ERR_FORMAT || r == EID_ERR_TOO_LARGE) {
		r = srv_resp_error(resp, 400, "invalid_request",
		    desc != NULL ? desc : "The request body is not a valid document verification request.");
		goto out;
	}
	if (r != 0)
		goto out;
	/* the one-time challenge */
	if ((r = take_challenge(app, &dr, client_id, &challenge_status)) != 0)
		goto out;
	/* verify */
	if (app->trust != NULL) {
		(void)srv_trust_refresh(app->trust);
		snap = srv_trust_acquire(app->trust);
	}
	r = srv_documents_verify(&dr, snap != NULL ? snap->trust : NULL, challenge_status, app->now(),
	    &verdict);
	if (snap != NULL)
		srv_trust_release(app->trust, snap);
	srv_doc_request_clear(&dr);
	if (r != 0)
		goto out;
	cx_random_token(vid, sizeof(vid), DOC_VERIFICATION_ID_BYTES);
	if ((r = audit_verification(app, client_id, vid, verdict)) != 0)
		goto out;
	if (json_object_set_new(verdict, "verification_id", json_string(vid)) != 0) {
		r = EID_ERR_NOMEM;
		goto out;
	}
	resp->no_store = 1;
	r = srv_resp_json(resp, 200, verdict);
out:
	srv_doc_request_clear(&dr);
	json_decref(verdict);
	json_decref(claims);
	return r;
}
