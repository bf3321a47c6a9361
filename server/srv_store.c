/*
 * srv_store.c - the back-end independent part of the store (see srv_store.h):
 * closing a store and freeing the records its get/list calls return.
 */
#include <stdlib.h>

#include "cx_util.h"
#include "srv_store.h"

void
srv_store_close(struct srv_store **s)
{
	if (s == NULL || *s == NULL)
		return;
	(*s)->ops->close(*s);
	*s = NULL;
}

void
srv_client_free(struct srv_client **c)
{
	struct srv_client *p;

	if (c == NULL || (p = *c) == NULL)
		return;
	free(p->client_id);
	free(p->name);
	json_decref(p->metadata);
	cx_wipe(p, sizeof(*p));         /* the secret hash */
	free(p);
	*c = NULL;
}

void
srv_citizen_free(struct srv_citizen **c)
{
	struct srv_citizen *p;

	if (c == NULL || (p = *c) == NULL)
		return;
	free(p->account_id);
	free(p->citizen_id);
	free(p->name);
	free(p->birth_date);
	free(p->sex);
	free(p->address);
	free(p->phone_number);
	free(p->email);
	cx_free_str(p->password_hash);
	if (p->totp_secret_enc != NULL) {
		cx_wipe(p->totp_secret_enc, p->totp_secret_enc_len);
		free(p->totp_secret_enc);
	}
	cx_wipe(p, sizeof(*p));
	free(p);
	*c = NULL;
}

void
srv_signing_key_row_free(struct srv_signing_key_row **k)
{
	struct srv_signing_key_row *p;

	if (k == NULL || (p = *k) == NULL)
		return;
	free(p->kid);
	free(p->alg);
	free(p->state);
	free(p->file);
	free(p);
	*k = NULL;
}

void
srv_audit_event_free(struct srv_audit_event **e)
{
	struct srv_audit_event *p;

	if (e == NULL || (p = *e) == NULL)
		return;
	free(p->actor);
	free(p->action);
	free(p->subject);
	free(p->outcome);
	free(p->details);
	free(p);
	*e = NULL;
}

void
srv_client_list_free(struct srv_client **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		srv_client_free(&v[i]);
	free(v);
}

void
srv_citizen_list_free(struct srv_citizen **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		srv_citizen_free(&v[i]);
	free(v);
}

void
srv_signing_key_list_free(struct srv_signing_key_row **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		srv_signing_key_row_free(&v[i]);
	free(v);
}

void
srv_audit_list_free(struct srv_audit_event **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		srv_audit_event_free(&v[i]);
	free(v);
}

void
srv_passkey_free(struct srv_passkey **p)
{
	struct srv_passkey *k;

	if (p == NULL || (k = *p) == NULL)
		return;
	free(k->account_id);
	free(k->credential_id);
	free(k->public_key);
	free(k->name);
	free(k->attestation);
	free(k);
	*p = NULL;
}

void
srv_passkey_list_free(struct srv_passkey **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		srv_passkey_free(&v[i]);
	free(v);
}

void
srv_consent_free(struct srv_consent **c)
{
	struct srv_consent *p;

	if (c == NULL || (p = *c) == NULL)
		return;
	free(p->client_id);
	free(p->client_name);
	free(p->scope);
	free(p);
	*c = NULL;
}

void
srv_consent_list_free(struct srv_consent **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		srv_consent_free(&v[i]);
	free(v);
}
